"""The validation wall on synthetic batches: one test per rule, plus 'nothing is lost'."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import hypothesis.strategies as st
import polars as pl
import pytest
from hypothesis import given, settings

from qgtm_core import DataError
from qgtm_data import TS_UTC, FeedBatch, Kind, RowCheck, ValidationRules, Validator

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def _bars(rows: list[tuple[date, float, float, float, float]], calendar: str | None = "XNYS") -> FeedBatch:
    frame = pl.DataFrame(
        {
            "row": list(range(2, len(rows) + 2)),
            "session": [r[0] for r in rows],
            "as_of": [datetime.combine(r[0], datetime.min.time(), UTC) + timedelta(hours=21) for r in rows],
            "open": [r[1] for r in rows],
            "high": [r[2] for r in rows],
            "low": [r[3] for r in rows],
            "close": [r[4] for r in rows],
            "volume": [100.0] * len(rows),
        },
        schema_overrides={"as_of": TS_UTC},
    ).with_columns((pl.col("as_of") + pl.duration(minutes=15)).alias("available_at"))
    return FeedBatch(
        source="synthetic.csv",
        instrument="GLD",
        feed="test",
        kind=Kind.BARS,
        frame=frame,
        value_columns=("open", "high", "low", "close", "volume"),
        price_columns=("open", "high", "low", "close"),
        jump_columns=("close",),
        calendar=calendar,
    )


def _reasons(validator: Validator, batch: FeedBatch) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for record in validator.validate(batch).rejects:
        out.setdefault(record.row, set()).add(f"{record.field}: {record.reason}")
    return out


GOOD = (date(2024, 1, 2), 10.0, 11.0, 9.0, 10.5)


def test_clean_rows_pass_untouched(validator: Validator) -> None:
    batch = _bars([GOOD, (date(2024, 1, 3), 10.5, 11.0, 10.0, 10.8)])
    result = validator.validate(batch)
    assert result.rejects == ()
    assert result.clean.equals(batch.frame)


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ((date(2024, 1, 3), float("nan"), 11.0, 9.0, 10.0), "open: blank or NaN value"),
        ((date(2024, 1, 3), None, 11.0, 9.0, 10.0), "open: blank or NaN value"),
        ((date(2024, 1, 3), 10.0, 11.0, 0.0, 10.0), "low: non-positive price"),
        ((date(2024, 1, 3), 10.0, 9.0, 11.0, 10.0), "high: high below low"),
        ((date(2024, 1, 3), 12.0, 11.0, 9.0, 10.0), "open: open outside the low-high range"),
        ((date(2024, 1, 3), 10.0, 11.0, 9.0, 8.0), "close: close outside the low-high range"),
        ((date(2024, 1, 6), 10.0, 11.0, 9.0, 10.0), "session: not an open session of XNYS"),  # Saturday
        ((date(2024, 12, 25), 10.0, 11.0, 9.0, 10.0), "session: not an open session of XNYS"),  # Christmas
        ((date(2026, 11, 23), 10.0, 11.0, 9.0, 10.0), "available_at: timestamp in the future"),
    ],
)
def test_each_row_rule_names_row_field_and_reason(validator: Validator, row: tuple, expected: str) -> None:
    batch = _bars([GOOD, row])
    reasons = _reasons(validator, batch)
    assert list(reasons) == [3]
    assert any(r.startswith(expected) for r in reasons[3]), reasons
    assert validator.validate(batch).clean.get_column("row").to_list() == [2]


def test_duplicate_and_out_of_order_timestamps(validator: Validator) -> None:
    third = (date(2024, 1, 4), 10.0, 11.0, 9.0, 10.0)
    batch = _bars([GOOD, third, third, (date(2024, 1, 3), 10.0, 11.0, 9.0, 10.0)])
    assert _reasons(validator, batch) == {4: {"as_of: duplicate timestamp"}, 5: {"as_of: out-of-order timestamp"}}


def test_crossed_and_locked_quotes_are_rejected(validator: Validator) -> None:
    stamp = datetime(2024, 1, 2, 15, tzinfo=UTC)
    frame = pl.DataFrame(
        {
            "row": [2, 3, 4],
            "session": [date(2024, 1, 2)] * 3,
            "as_of": [stamp, stamp + timedelta(seconds=1), stamp + timedelta(seconds=2)],
            "bid": [10.0, 10.0, 10.1],
            "ask": [10.1, 10.0, 10.0],
        },
        schema_overrides={"as_of": TS_UTC},
    ).with_columns(pl.col("as_of").alias("available_at"))
    batch = FeedBatch("q", "GLD", "quotes", Kind.QUOTES, frame, ("bid", "ask"), ("bid", "ask"), calendar="XNYS")
    reasons = _reasons(validator, batch)
    assert reasons == {
        3: {"ask: crossed or locked quote (ask <= bid)"},
        4: {"ask: crossed or locked quote (ask <= bid)"},
    }


def test_unknown_instrument_batch_and_row_level() -> None:
    strict = Validator(ValidationRules(instruments=frozenset({"SLV"})), lambda: NOW)
    batch = _bars([GOOD])
    assert _reasons(strict, batch) == {2: {"instrument: unknown instrument 'GLD'"}}
    per_row = replace(batch, frame=batch.frame.with_columns(pl.lit("SLV").alias("instrument")))
    assert _reasons(strict, per_row) == {}
    mixed = replace(
        batch,
        frame=pl.concat(
            [
                per_row.frame,
                per_row.frame.with_columns(pl.lit("XYZ").alias("instrument"), row=pl.lit(3, dtype=pl.Int64)),
            ]
        ),
    )
    assert _reasons(strict, mixed) == {3: {"instrument: unknown instrument"}}


def test_source_specific_check_is_applied(validator: Validator) -> None:
    batch = replace(_bars([GOOD]), checks=(RowCheck("volume", "volume too small", pl.col("volume") < 1000),))
    assert _reasons(validator, batch) == {2: {"volume: volume too small"}}


def test_spike_against_both_neighbours_is_rejected_level_shift_is_not(validator: Validator) -> None:
    days = [date(2024, 1, 2) + timedelta(days=i) for i in range(60)]
    days = [d for d in days if d.weekday() < 5][:30]
    closes = [100.0 + 0.1 * (i % 3) for i in range(30)]
    closes[10] = 60.0  # a spike down and back
    for i in range(20, 30):
        closes[i] += 40.0  # a real level shift
    rows = [(d, c, c, c, c) for d, c in zip(days, closes, strict=True)]
    reasons = _reasons(validator, _bars(rows, calendar="WEEKDAYS"))
    assert list(reasons) == [12]
    assert next(iter(reasons[12])).startswith("close: price spike beyond 8 robust sigmas")


def test_missing_columns_raise_naming_source(validator: Validator) -> None:
    batch = _bars([GOOD])
    with pytest.raises(DataError, match=r"synthetic\.csv: adapter produced no column\(s\) session"):
        validator.validate(replace(batch, frame=batch.frame.drop("session")))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=30),
            st.one_of(st.floats(min_value=-5, max_value=50), st.just(float("nan"))),
            st.floats(min_value=0.5, max_value=5),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_no_row_is_dropped_unrecorded(rows: list[tuple[int, float, float]]) -> None:
    validator = Validator(ValidationRules(), lambda: NOW)
    batch = _bars(
        [(date(2024, 1, 1) + timedelta(days=d), c, c + w, c - w, c) for d, c, w in rows],
        calendar="WEEKDAYS",
    )
    result = validator.validate(batch)
    rejected = {r.row for r in result.rejects}
    clean = set(result.clean.get_column("row").to_list())
    assert clean.isdisjoint(rejected)
    assert clean | rejected == set(batch.frame.get_column("row").to_list())
    assert (result.clean.get_column("low") > 0).all()


def test_calendar_without_deep_history_is_a_clear_error() -> None:
    validator = Validator(ValidationRules(), lambda: NOW)
    with pytest.raises(DataError, match="calendar 'XSHG' cannot check sessions back to 1960-01-04"):
        validator.validate(_bars([GOOD], calendar="XSHG"))
