"""SqliteHashChainLog, the plain hash chain kept for runs recorded before the Merkle log."""

from __future__ import annotations

import itertools
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from qgtm_audit import GENESIS_HASH, SqliteHashChainLog, record_hash
from qgtm_core import AuditEntry, CorrelationId


def _entry(n: int) -> AuditEntry:
    at = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=n // 3)
    return AuditEntry(at, CorrelationId(f"c{n // 3}"), f"step-{n % 3}", "chain-test", "i" * 64, "o" * 64, {"n": n})


def _log(path: Path, n: int) -> SqliteHashChainLog:
    log = SqliteHashChainLog(path, batch_size=4)
    for i in range(n):
        log.append(_entry(i))
    log.flush()
    return log


def test_records_link_and_verify(tmp_path: Path) -> None:
    log = _log(tmp_path / "a.sqlite", 10)
    records = list(log.records())
    assert records[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(records):
        assert after.prev_hash == before.record_hash
        assert after.record_hash == record_hash(after.seq, after.entry, after.prev_hash)
    assert [r.entry.step for r in log.records("c1")] == ["step-0", "step-1", "step-2"]
    result = log.verify()
    assert result.ok
    assert result.records == 10
    assert result.head_hash == log.head_hash
    log.close()
    reopened = SqliteHashChainLog(str(tmp_path / "a.sqlite"))
    assert reopened.head_hash == records[-1].record_hash
    reopened.close()


def _tamper(path: Path, sql: str) -> None:
    db = sqlite3.connect(path)
    db.execute(sql)
    db.commit()
    db.close()


def test_alteration_deletion_and_reordering_are_named(tmp_path: Path) -> None:
    path = tmp_path / "b.sqlite"
    _log(path, 8).close()
    _tamper(path, "UPDATE audit SET actor = 'mallory' WHERE seq = 5")
    result = SqliteHashChainLog(path).verify()
    assert (result.ok, result.first_bad_seq) == (False, 5)
    assert "content does not match" in (result.problem or "")
    path = tmp_path / "c.sqlite"
    _log(path, 8).close()
    _tamper(path, "DELETE FROM audit WHERE seq = 3")
    result = SqliteHashChainLog(path).verify()
    assert (result.ok, result.first_bad_seq) == (False, 3)
    assert "missing" in (result.problem or "")
    path = tmp_path / "d.sqlite"
    _log(path, 8).close()
    _tamper(path, "UPDATE audit SET prev_hash = (SELECT record_hash FROM audit WHERE seq = 1) WHERE seq = 4")
    result = SqliteHashChainLog(path).verify()
    assert (result.ok, result.first_bad_seq) == (False, 4)
    assert "does not link" in (result.problem or "")
