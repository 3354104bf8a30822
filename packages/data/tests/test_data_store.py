"""Content-addressed store: determinism, immutability, verify naming bad shards, revisions."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from qgtm_core import DataError, IntegrityError
from qgtm_data import (
    Ingestor,
    Partition,
    PitSeries,
    QuarantineTable,
    ShardStore,
    StorePitSource,
    ValidationRules,
    Validator,
)
from qgtm_data.adapters.cftc import CotProvider
from qgtm_data.adapters.fred import FredProvider
from qgtm_data.adapters.spdr import SpdrProvider
from qgtm_data.adapters.yahoo import YahooProvider

from .conftest import DATA, NOW


def _ingestor(root: Path) -> Ingestor:
    return Ingestor(
        ShardStore(root / "store"), Validator(ValidationRules(), lambda: NOW), QuarantineTable(root / "q.sqlite")
    )


def _small_sources() -> list:
    return [
        FredProvider(DATA / "fred/DTWEXBGS.csv", "DTWEXBGS"),
        FredProvider(DATA / "fred/CPIAUCSL.csv", "CPIAUCSL"),
        SpdrProvider(DATA / "etf/GLD_spdr_nav_holdings_2004_2025.csv"),
        CotProvider(DATA / "cot/cftc_legacy_futonly_raw_2025_gold_silver.txt", "legacy_raw"),
    ]


def test_same_data_twice_gives_identical_hashes_and_writes_nothing_new(tmp_path: Path) -> None:
    first = _ingestor(tmp_path / "a")
    reports = first.ingest_all(_small_sources())
    assert sum(len(r.shards) for r in reports) > 0
    manifest_before = (tmp_path / "a/store/manifest.json").read_bytes()
    again = first.ingest_all(_small_sources())
    assert [len(r.shards) for r in again] == [0] * len(again)
    assert (tmp_path / "a/store/manifest.json").read_bytes() == manifest_before
    other = _ingestor(tmp_path / "b")
    other.ingest_all(_small_sources())
    assert (tmp_path / "b/store/manifest.json").read_bytes() == manifest_before
    entries = json.loads(manifest_before)["shards"]
    assert all(Path(e["path"]).name == f"{e['sha256'][:16]}.parquet" for e in entries)
    # layout {instrument}/{feed}/{date}/{shard}.parquet, decade partitions for monthly CPI
    assert "FRED/CPIAUCSL/1940-01-01/" in {e["path"][: len("FRED/CPIAUCSL/1940-01-01/")] for e in entries}
    assert any(e["path"].startswith("GLD/spdr_nav/2004-01-01/") for e in entries)


def test_quarantine_table_holds_every_reject_with_source_row_field_reason(tmp_path: Path) -> None:
    ingestor = _ingestor(tmp_path)
    ingestor.ingest_all([SpdrProvider(DATA / "etf/GLD_spdr_nav_holdings_2004_2025.csv")])
    records = ingestor.quarantine.records(str(DATA / "etf/GLD_spdr_nav_holdings_2004_2025.csv"))
    assert len(records) == ingestor.quarantine.count() == 200
    holiday = next(r for r in records if r.reason.startswith("HOLIDAY"))
    assert (holiday.row, holiday.field, holiday.value, holiday.feed) == (7, "*", "25-Nov-2004", "spdr_nav")
    assert ingestor.metrics.rejected[("GLD/spdr_nav", "HOLIDAY marker row: the trust published no values")] == 175
    assert ingestor.metrics.accepted["GLD/spdr_nav"] == 5155
    assert ingestor.metrics.rejected_total() == 200
    assert ingestor.quarantine.records("elsewhere") == []
    counts = ingestor.quarantine.counts()
    assert counts[0] == ("GLD/spdr_nav", "HOLIDAY marker row: the trust published no values", 175)
    assert sum(n for _, _, n in counts) == 200
    ingestor.quarantine.close()


def test_verify_names_corrupted_missing_and_extra_shards(tmp_path: Path) -> None:
    ingestor = _ingestor(tmp_path)
    ingestor.ingest_all(_small_sources()[:1])
    store = ingestor.store
    assert store.verify().ok
    entries = sorted(store.manifest())
    corrupt, gone = entries[0], entries[1]
    target = store.root / corrupt
    target.chmod(0o644)
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    (store.root / gone).unlink()
    (store.root / "FRED/DTWEXBGS/stray.parquet").write_bytes(b"x")
    report = store.verify()
    assert not report.ok
    assert [(p.kind, p.path) for p in report.problems] == [
        ("corrupted", corrupt),
        ("missing", gone),
        ("extra", "FRED/DTWEXBGS/stray.parquet"),
    ]
    with pytest.raises(IntegrityError, match=f"{corrupt}: shard content does not match"):
        store.read("FRED", "DTWEXBGS")


def test_shards_are_read_only_and_reads_record_hashes(tmp_path: Path) -> None:
    ingestor = _ingestor(tmp_path)
    ingestor.ingest_all(_small_sources()[:1])
    store = ShardStore(tmp_path / "store")
    frame = store.read("FRED", "DTWEXBGS")
    assert frame.height == 5154
    assert sorted(store.hashes_read) == sorted(e.sha256 for e in store.manifest().values())
    assert all(not (store.root / p).stat().st_mode & 0o222 for p in store.manifest())
    with pytest.raises(DataError, match="no shards for FRED/NOPE"):
        store.read("FRED", "NOPE")


def test_bad_manifest_and_unpartitionable_frame_raise(tmp_path: Path) -> None:
    store = ShardStore(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(IntegrityError, match="unreadable store manifest"):
        store.manifest()
    with pytest.raises(DataError, match="no 'session' column"):
        ShardStore(tmp_path / "x").write("A", "b", pl.DataFrame({"a": [1]}), Partition.DAY)


def test_day_partition_layout(tmp_path: Path) -> None:
    store = ShardStore(tmp_path)
    stamp = datetime(2024, 1, 2, 15, tzinfo=UTC)
    frame = pl.DataFrame(
        {
            "session": [date(2024, 1, 2), date(2024, 1, 3)],
            "as_of": [stamp, stamp],
            "available_at": [stamp, stamp],
            "v": [1.0, 2.0],
        }
    )
    written = store.write("GC", "ticks", frame, Partition.DAY)
    assert [e.path.split("/")[2] for e in written] == ["2024-01-02", "2024-01-03"]


def test_revision_of_real_dtwexbgs_is_stored_as_a_new_vintage(tmp_path: Path) -> None:
    ingestor = _ingestor(tmp_path)
    ingestor.ingest_all([FredProvider(DATA / "fred/DTWEXBGS.csv", "DTWEXBGS")])
    revised_file = tmp_path / "DTWEXBGS_2026.csv"
    text = (DATA / "fred/DTWEXBGS.csv").read_text()
    assert "2018-01-02,109.6445" in text
    revised_file.write_text(text.replace("2018-01-02,109.6445", "2018-01-02,109.6444"))
    learned = datetime(2026, 1, 15, tzinfo=UTC)
    (report,) = ingestor.ingest_all([FredProvider(revised_file, "DTWEXBGS")], vintage_at=learned)
    assert report.revisions == 1
    assert len(report.shards) == 1
    series = PitSeries(ingestor.store.read("FRED", "DTWEXBGS"))

    def at(t: datetime) -> float:
        history = series.history(t)
        return float(history.filter(pl.col("session") == date(2018, 1, 2)).get_column("value").item())

    assert at(datetime(2019, 1, 1, tzinfo=UTC)) == 109.6445  # the first vintage, as known then
    assert at(datetime(2026, 2, 1, tzinfo=UTC)) == 109.6444  # the revision, once learned
    assert ingestor.store.read("FRED", "DTWEXBGS").height == 5155  # stored, not overwritten


def test_store_pit_source_snapshot_records_hashes_and_never_leaks(tmp_path: Path) -> None:
    ingestor = _ingestor(tmp_path)
    ingestor.ingest_all(
        [
            YahooProvider(DATA / "etf/GLD_daily_yahoo_2004_2024.csv", "GLD"),
            FredProvider(DATA / "fred/DFII10.csv", "DFII10"),
        ]
    )
    store = ShardStore(tmp_path / "store")
    source = StorePitSource(store, {"GLD": "yahoo_close"}, {"DFII10": ("FRED", "DFII10", "value")})
    wanted = {("GLD", "yahoo_close"), ("FRED", "DFII10")}
    read = {e.sha256 for e in store.manifest().values() if (e.instrument, e.feed) in wanted}
    assert source.sources == tuple(sorted(read))
    at = datetime(2020, 3, 20, 20, 0, tzinfo=UTC)  # Friday 16:00 EDT: that day's bar is not out yet
    snap = source.snapshot(at)
    snap.assert_no_leak()
    assert snap.bars["GLD"].get_column("as_of")[-1].date() == date(2020, 3, 19)  # type: ignore[index]
    assert snap.series["DFII10"].get_column("as_of")[-1].date() == date(2020, 3, 19)
    assert snap.sources == source.sources
    with pytest.raises(DataError, match="not a bar feed"):
        StorePitSource(store, {"FRED": "DFII10"})
    with pytest.raises(DataError, match="no column 'close' for series 'x'"):
        StorePitSource(store, {}, {"x": ("FRED", "DFII10", "close")})
