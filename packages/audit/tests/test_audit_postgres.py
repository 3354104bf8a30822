"""The correlation-id / sequence index in a real PostgreSQL server (127.0.0.1:5432, db test).

Skips only when the server is unreachable and ``QGTM_REQUIRE_SERVICES`` is unset.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from qgtm_audit import MerkleAuditLog, PostgresAuditIndex, open_index
from qgtm_core import AuditEntry, ConfigError, CorrelationId

URL = os.environ.get("QGTM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")

pytestmark = pytest.mark.services


@pytest.fixture
def index() -> Iterator[PostgresAuditIndex]:
    try:
        psycopg.connect(URL, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        if os.environ.get("QGTM_REQUIRE_SERVICES"):
            raise
        pytest.skip(f"PostgreSQL at {URL} unreachable: {exc}")
    opened = open_index(URL, Path("unused"))
    assert isinstance(opened, PostgresAuditIndex)
    yield opened
    opened.close()


def _entry(n: int) -> AuditEntry:
    at = datetime(2024, 3, 1, tzinfo=UTC) + timedelta(days=n // 10)
    return AuditEntry(at, CorrelationId(f"cycle-{n // 10}"), f"{n % 10:02d}-step", "pg-test", "i" * 64, "o" * 64)


def test_a_log_indexes_into_postgres_and_traces_cycles(index: PostgresAuditIndex, tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    log = MerkleAuditLog(tmp_path / "log", signing_key=key, index=index, batch_size=7, segment_records=16)
    for n in range(45):
        log.append(_entry(n))
    log.flush()
    assert index.last_seq(log.log_id) == 45
    steps = [r.entry.step for r in log.records("cycle-2")]
    assert steps == [f"{i:02d}-step" for i in range(10)]
    log_id = log.log_id
    offset_11 = 16 + sum(8 + len(log.payload(seq)) for seq in range(1, 11))
    log.close()
    # A second log sharing the table is kept apart by its log id.
    second = open_index(URL, tmp_path)
    other = MerkleAuditLog(tmp_path / "other", signing_key=key, index=second, segment_records=16)
    other.append(_entry(0))
    other.close()
    again = open_index(URL, tmp_path)
    assert again.seqs(log_id, "cycle-0") == list(range(1, 11))
    assert again.locate(log_id, 20) == (17, 16, 17)  # cycle 1's run splits at the segment of 16 records
    assert again.locate(log_id, 12) == (1, offset_11, 11)
    assert again.locate(log_id, 999) is None
    again.truncate_after(log_id, 5)
    assert again.last_seq(log_id) == 5
    again.close()


def test_a_lagging_postgres_index_is_caught_up_on_open(index: PostgresAuditIndex, tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    log = MerkleAuditLog(tmp_path / "log", signing_key=key, segment_records=16)  # SQLite index first
    for n in range(23):
        log.append(_entry(n))
    log.close()
    reopened = MerkleAuditLog(tmp_path / "log", read_only=True, index=index)
    assert index.last_seq(reopened.log_id) == 23
    assert [r.seq for r in reopened.records("cycle-1")] == list(range(11, 21))
    assert index.seqs(uuid.uuid4().hex, "cycle-1") == []


def test_an_unreachable_server_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"audit\.index_url"):
        PostgresAuditIndex("postgresql://postgres@127.0.0.1:1/test", connect_timeout=1)
