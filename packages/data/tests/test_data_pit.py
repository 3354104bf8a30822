"""PIT queries against a brute-force reference, and leak injection for every adapter's rule."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import hypothesis.strategies as st
import polars as pl
import pytest
from hypothesis import given, settings
from ib_async import Future

from qgtm_core import DataError
from qgtm_data import TS_UTC, FeedBatch, PitSeries, bundled_adapters, pit_panel
from qgtm_data.adapters.alpaca import AlpacaHistoricalBars
from qgtm_data.adapters.ib import IbHistoricalBars
from qgtm_data.adapters.sierra import SierraCsvPoller
from qgtm_data.testing import RECORDINGS, FakeAlpacaDataApi, FakeIB, ReplayClock

from .conftest import DATA

EPOCH = datetime(2020, 1, 1, tzinfo=UTC)

# (as_of hour, delay hours) pairs; equal as_of with later available_at is a revision
rows_strategy = st.lists(
    st.tuples(st.integers(0, 40), st.integers(0, 30), st.floats(-10, 10, allow_nan=False)), min_size=0, max_size=30
)


def _frame(rows: list[tuple[int, int, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "as_of": [EPOCH + timedelta(hours=a) for a, _, _ in rows],
            "available_at": [EPOCH + timedelta(hours=a + d) for a, d, _ in rows],
            "value": [v for _, _, v in rows],
        },
        schema={"as_of": TS_UTC, "available_at": TS_UTC, "value": pl.Float64},
    )


def _dedupe(rows: list[tuple[int, int, float]]) -> list[tuple[int, int, float]]:
    # one value per (as_of, available_at): a vendor never publishes two values at the same instant
    seen: dict[tuple[int, int], tuple[int, int, float]] = {}
    for a, d, v in rows:
        seen.setdefault((a, a + d), (a, d, v))
    return list(seen.values())


def _reference_latest(rows: list[tuple[int, int, float]], t: int) -> float | None:
    known = [(a, a + d, v) for a, d, v in rows if a + d <= t]
    if not known:
        return None
    newest = max(a for a, _, _ in known)
    return max((k for k in known if k[0] == newest), key=lambda k: k[1])[2]


def _reference_history(rows: list[tuple[int, int, float]], t: int) -> dict[int, float]:
    out: dict[int, tuple[int, float]] = {}
    for a, d, v in rows:
        if a + d <= t and (a not in out or out[a][0] < a + d):
            out[a] = (a + d, v)
    return {a: v for a, (_, v) in out.items()}


@settings(max_examples=80, deadline=None)
@given(rows_strategy, st.lists(st.integers(-2, 75), min_size=1, max_size=10))
def test_latest_history_and_panel_match_brute_force(raw: list[tuple[int, int, float]], hours: list[int]) -> None:
    rows = _dedupe(raw)
    frame = _frame(rows)
    series = PitSeries(frame)
    steps = sorted(EPOCH + timedelta(hours=h) for h in hours)
    panel = pit_panel({"x": frame}, steps)
    for step, panel_value in zip(steps, panel.get_column("x").to_list(), strict=True):
        t = int((step - EPOCH).total_seconds() // 3600)
        expected = _reference_latest(rows, t)
        latest = series.latest(step)
        assert (None if latest is None else latest["value"]) == expected
        assert panel_value == expected
        history = series.history(step)
        assert dict(
            zip(
                [int((x - EPOCH).total_seconds() // 3600) for x in history.get_column("as_of").to_list()],
                history.get_column("value").to_list(),
                strict=True,
            )
        ) == _reference_history(rows, t)
        assert history.get_column("as_of").is_sorted()


def test_naive_time_and_unknown_panel_column_raise() -> None:
    series = PitSeries(_frame([(1, 1, 1.0)]))
    with pytest.raises(DataError, match="naive datetime"):
        series.latest(datetime(2020, 1, 2))
    with pytest.raises(DataError, match="series 'x' has no column 'close'"):
        pit_panel({"x": _frame([(1, 1, 1.0)])}, [EPOCH], column="close")


@pytest.fixture(scope="module")
def every_batch() -> list[FeedBatch]:
    return [batch for adapter in bundled_adapters(DATA) for batch in adapter.load()]


def test_every_adapter_rule_publishes_no_earlier_than_the_fact(every_batch: list[FeedBatch]) -> None:
    assert len(every_batch) == 50
    for batch in every_batch:
        frame = batch.frame
        assert frame.schema["as_of"] == TS_UTC, batch.key
        assert frame.schema["available_at"] == TS_UTC, batch.key
        late = frame.filter(pl.col("available_at") < pl.col("as_of"))
        assert late.height == 0, (batch.key, late.head(1))
        # nothing refers to a day after the one it was published on
        assert frame.filter(pl.col("available_at").dt.date() < pl.col("session")).height == 0, batch.key


def _inject_and_check(batch: FeedBatch, rng: random.Random) -> None:
    """A row stamped one microsecond after the query never appears; the history is unchanged."""
    frame = batch.frame.drop_nulls(subset=["available_at"])
    assert frame.filter(pl.col("available_at") < pl.col("as_of")).height == 0, batch.key
    series = PitSeries(frame)
    stamps = frame.get_column("available_at")
    for _ in range(5):
        t = stamps[rng.randrange(frame.height)]
        injected = frame.head(1).with_columns(
            pl.lit(t + timedelta(microseconds=1)).cast(TS_UTC).alias("available_at"),
            pl.lit(t + timedelta(days=3650)).cast(TS_UTC).alias("as_of"),
        )
        poisoned = PitSeries(pl.concat([frame, injected]))
        history = poisoned.history(t)
        assert history.get_column("available_at").max() <= t, batch.key
        assert history.height == series.history(t).height, batch.key
        latest = poisoned.latest(t)
        assert latest is not None
        assert latest["available_at"] <= t, batch.key


def test_leak_injection_for_every_bundled_adapter(every_batch: list[FeedBatch]) -> None:
    rng = random.Random(7)
    for batch in every_batch:
        _inject_and_check(batch, rng)


def test_leak_injection_for_network_and_live_adapters(tmp_path: Path) -> None:
    rng = random.Random(11)
    start = datetime(2026, 11, 23, 14, 30, tzinfo=UTC)
    ib = FakeIB(RECORDINGS / "ib_gc_session.json", ReplayClock(start))
    batches = [
        *IbHistoricalBars(ib, Future("GC", "202612", "COMEX"), "GC", bar_size="1 min").load(),
        *IbHistoricalBars(ib, Future("GC", "202612", "COMEX"), "GC", duration="2 D", bar_size="1 day").load(),
    ]
    bars = [
        {"t": f"2026-11-2{d}T05:00:00Z", "o": 380.0, "h": 381.0, "l": 379.0, "c": 380.5, "v": 1e6, "n": 1, "vw": 380.5}
        for d in range(0, 5)
    ]
    with FakeAlpacaDataApi({"GLD": bars}, "k", "s") as api:
        batches += AlpacaHistoricalBars(
            "k",
            "s",
            ["GLD"],
            datetime(2026, 11, 1, tzinfo=UTC),
            datetime(2026, 11, 30, tzinfo=UTC),
            url_override=api.url,
        ).load()
    sierra = tmp_path / "ticks.csv"
    sierra.write_text(
        "Date, Time, Open, High, Low, Last, Volume, NumberOfTrades, BidVolume, AskVolume\n"
        + "".join(f"2026/11/23, 09:30:0{i}, 1, 1, 1, 1, 1, 1, 0, 1\n" for i in range(6))
    )
    batches += SierraCsvPoller(sierra, "GC", "ticks", now=lambda: start + timedelta(seconds=30)).load()
    assert len(batches) == 4
    for batch in batches:
        _inject_and_check(batch, rng)


def test_pit_series_on_real_cot_release_times(every_batch: list[FeedBatch]) -> None:
    (batch,) = [b for b in every_batch if b.key == "GC/cot_legacy_futonly"]
    series = PitSeries(batch.frame)
    tuesday_report = date(2025, 3, 18)
    friday_before_release = datetime(2025, 3, 21, 19, 29, tzinfo=UTC)  # 15:29 EDT
    at_release = datetime(2025, 3, 21, 19, 30, tzinfo=UTC)
    before = series.latest(friday_before_release)
    after = series.latest(at_release)
    assert before is not None
    assert after is not None
    assert before["session"] == date(2025, 3, 11)
    assert after["session"] == tuesday_report
