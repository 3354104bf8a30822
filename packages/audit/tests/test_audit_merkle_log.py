"""MerkleAuditLog: records, chain, signed heads, recovery, index and tamper detection on real files."""

from __future__ import annotations

import hashlib
import json
import shutil
import struct
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import Enum
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qgtm_audit import (
    GENESIS_HASH,
    MerkleAuditLog,
    SqliteAuditIndex,
    encode_record,
    is_merkle_log,
    leaf_hash,
    load_or_create_signing_key,
    load_public_key_file,
    open_index,
    open_merkle_log,
    public_key_pem,
    verify_directory,
)
from qgtm_audit._record import decode_record
from qgtm_audit.verifier import check_consistency_document, check_inclusion_document
from qgtm_core import (
    AuditEntry,
    ConfigError,
    CorrelationId,
    IntegrityError,
    PipelineStep,
    canonical_bytes,
    correlation_id_for,
    digest,
)
from qgtm_core.config import AuditConfig

PER_SEGMENT = 8
_START = datetime(2024, 1, 2, 21, 0, tzinfo=UTC)
_STEPS = list(PipelineStep)


def make_entry(n: int) -> AuditEntry:
    """The ``n``-th entry of a replay: ten steps per cycle, one cycle per day, real correlation ids."""
    cycle, step = divmod(n, len(_STEPS))
    at = _START + timedelta(days=cycle)
    return AuditEntry(
        at=at,
        correlation_id=correlation_id_for(at, cycle),
        step=_STEPS[step].value,
        actor="qgtm-paper",
        input_digest=digest({"cycle": cycle, "step": step, "side": "in"}),
        output_digest=digest({"cycle": cycle, "step": step, "side": "out"}),
        summary={"cycle": cycle, "note": "fill" if step == 8 else None, "weights": [0.25, 0.5]},
    )


def _write(directory: Path, key: Ed25519PrivateKey, n: int, **kwargs: int) -> MerkleAuditLog:
    options = {"segment_records": PER_SEGMENT, "batch_size": 3, "sign_every": 5} | kwargs
    log = MerkleAuditLog(directory, signing_key=key, **options)  # type: ignore[arg-type]
    for i in range(n):
        log.append(make_entry(i))
    return log


def _frames(path: Path) -> tuple[bytes, list[bytes]]:
    """Independent reader of the segment format: 16-byte header, then ``u32 length | 4-byte check | payload``."""
    data = path.read_bytes()
    header, pos, payloads = data[:16], 16, []
    while pos < len(data):
        (length,) = struct.unpack_from("<I", data, pos)
        payloads.append(data[pos + 8 : pos + 8 + length])
        pos += 8 + length
    return header, payloads


def _frame(payload: bytes) -> bytes:
    return struct.pack("<I", len(payload)) + leaf_hash(payload)[:4] + payload


def _segments(directory: Path) -> list[Path]:
    return sorted((directory / "segments").glob("*.seg"))


def _rewrite(directory: Path, payloads: list[bytes]) -> None:
    """Lay ``payloads`` out again in segments of ``PER_SEGMENT`` with valid framing (a careful forger)."""
    for path in _segments(directory):
        path.unlink()
    for start in range(0, len(payloads), PER_SEGMENT):
        first = start + 1
        body = b"".join(_frame(p) for p in payloads[start : start + PER_SEGMENT])
        (directory / "segments" / f"{first:020d}.seg").write_bytes(b"QGTMSEG1" + struct.pack("<Q", first) + body)


def _all_payloads(directory: Path) -> list[bytes]:
    return [p for path in _segments(directory) for p in _frames(path)[1]]


@pytest.fixture(scope="module")
def closed_log(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Ed25519PrivateKey]:
    key = Ed25519PrivateKey.generate()
    directory = tmp_path_factory.mktemp("audit") / "log"
    _write(directory, key, 30).close()
    return directory, key


def test_records_are_canonical_json_hash_linked_and_numbered(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    log = _write(tmp_path / "log", key, 25)
    records = list(log.records())
    assert [r.seq for r in records] == list(range(1, 26))
    prev = GENESIS_HASH
    for i, record in enumerate(records):
        assert record.entry == make_entry(i)
        assert record.prev_hash == prev
        stored = canonical_bytes({"seq": record.seq, "entry": record.entry, "prev_hash": prev})
        assert log.payload(record.seq) == stored
        assert record.record_hash == hashlib.sha256(b"\x00" + stored).hexdigest()
        prev = record.record_hash
    assert log.head_hash == prev
    log.close()
    log.close()  # idempotent


def test_append_returns_what_is_stored(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    log = _write(tmp_path / "log", key, 0)
    returned = [log.append(make_entry(i)) for i in range(12)]
    log.flush()
    assert returned == list(log.records())
    assert log.durable_size == log.size == 12
    log.close()


@settings(max_examples=60)
@given(
    seq=st.integers(min_value=1, max_value=10**12),
    text=st.text(),
    summary=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
        max_leaves=8,
    ),
)
def test_the_fast_encoder_is_the_canonical_serialisation(seq: int, text: str, summary: object) -> None:
    at = datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)
    entry = AuditEntry(at, CorrelationId(text), text, text + "x", "d" * 64, text, summary)  # type: ignore[arg-type]
    assert encode_record(seq, entry, "f" * 64) == canonical_bytes({"seq": seq, "entry": entry, "prev_hash": "f" * 64})


def test_naive_times_are_refused(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    log = _write(tmp_path / "log", key, 0)
    naive = AuditEntry(datetime(2024, 1, 1), CorrelationId("c"), "s", "a", "i", "o")
    with pytest.raises(ValueError, match="timezone-aware"):
        log.append(naive)
    log.close()


def test_verify_passes_and_heads_are_signed_periodically_and_on_close(
    closed_log: tuple[Path, Ed25519PrivateKey],
) -> None:
    directory, key = closed_log
    result = verify_directory(directory, key.public_key())
    assert result.ok, result.problem
    assert result.records == result.signed_size == 30
    log = MerkleAuditLog(directory, read_only=True)
    sizes = [h.size for h in log.signed_heads]
    # At the first batch boundary (every 3) with at least 5 unsigned records; the last also on close.
    assert sizes == [6, 12, 18, 24, 30]
    assert result.root_hash == log.root().hex()
    log.close()


def test_verify_with_another_key_fails(closed_log: tuple[Path, Ed25519PrivateKey]) -> None:
    directory, _ = closed_log
    result = verify_directory(directory, Ed25519PrivateKey.generate().public_key())
    assert not result.ok
    assert "signature does not verify" in (result.problem or "")


def test_a_log_reopens_and_continues_across_segments(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    log = _write(tmp_path / "log", key, 13)
    log.close()
    log = MerkleAuditLog(tmp_path / "log", signing_key=key, segment_records=PER_SEGMENT, batch_size=4)
    assert log.size == 13
    for i in range(13, 40):
        log.append(make_entry(i))
    log.close()
    assert len(_segments(tmp_path / "log")) == 5
    result = verify_directory(tmp_path / "log", key.public_key())
    assert result.ok, result.problem
    assert result.records == 40
    reopened = MerkleAuditLog(tmp_path / "log", read_only=True)
    assert [r.entry for r in reopened.records()] == [make_entry(i) for i in range(40)]
    reopened.close()


def test_trace_returns_every_step_of_one_cycle_in_order(closed_log: tuple[Path, Ed25519PrivateKey]) -> None:
    directory, _ = closed_log
    log = MerkleAuditLog(directory, read_only=True)
    cycle = make_entry(10).correlation_id
    steps = [r.entry.step for r in log.records(cycle)]
    assert steps == [make_entry(10 + i).step for i in range(10)]
    assert steps[0] == "01-data"
    assert steps[-1] == "10-audit"
    assert list(log.records("no-such-cycle")) == []
    log.close()


def test_index_is_rebuilt_when_missing_and_trimmed_when_ahead(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    _write(tmp_path / "log", key, 20).close()
    (tmp_path / "log" / "index.sqlite").unlink()
    log = MerkleAuditLog(tmp_path / "log", read_only=True)
    assert [r.seq for r in log.records(make_entry(0).correlation_id)] == list(range(1, 11))
    log.close()
    index = SqliteAuditIndex(tmp_path / "log" / "index.sqlite")
    log_id = json.loads((tmp_path / "log" / "log.json").read_text())["log_id"]
    # Cycle 1 is records 11..20; segments hold 8, so its run splits at 17 (segment 17).
    _, segment_9 = _frames(_segments(tmp_path / "log")[1])
    assert index.locate(log_id, 13) == (9, 16 + sum(8 + len(p) for p in segment_9[:2]), 11)
    assert index.locate(log_id, 18) == (17, 16, 17)
    assert index.locate(log_id, 20) == (17, 16, 17)
    assert index.locate(log_id, 3) == (1, 16, 1)
    assert index.locate(log_id, 500) is None
    index.add(log_id, [(99, 99, "ghost", 1, 0)])
    assert index.last_seq(log_id) == 99
    index.close()
    log = MerkleAuditLog(tmp_path / "log", read_only=True)
    assert list(log.records("ghost")) == []
    log.close()


def test_proof_documents_verify_with_only_the_public_key(closed_log: tuple[Path, Ed25519PrivateKey]) -> None:
    directory, key = closed_log
    log = MerkleAuditLog(directory, read_only=True)
    public = key.public_key()
    for seq in (1, 7, 16, 30):
        document = log.inclusion_document(seq)
        assert "ok" in check_inclusion_document(json.loads(json.dumps(document)), public)
        assert json.loads(str(document["record"]))["seq"] == seq
    sizes = [h.size for h in log.signed_heads]
    document = log.consistency_document(sizes[0], sizes[-1])
    assert "prefix" in check_consistency_document(document, public)
    older = log.inclusion_document(3, tree_size=sizes[1])
    assert older["tree_size"] == sizes[1]
    check_inclusion_document(older, public)
    with pytest.raises(IntegrityError, match="no signed tree head of size"):
        log.consistency_document(1, 30)
    with pytest.raises(IntegrityError, match="not covered"):
        log.inclusion_document(31)
    with pytest.raises(IntegrityError, match="outside"):
        log.inclusion_proof(0, 30)
    with pytest.raises(IntegrityError, match="first <= second"):
        log.consistency_proof(20, 10)
    log.close()


def test_read_only_logs_refuse_to_write(closed_log: tuple[Path, Ed25519PrivateKey], tmp_path: Path) -> None:
    directory, _ = closed_log
    log = MerkleAuditLog(directory, read_only=True)
    with pytest.raises(IntegrityError, match="read-only"):
        log.append(make_entry(0))
    with pytest.raises(IntegrityError, match="read-only"):
        log.sign()
    log.flush()  # nothing to do, no error
    log.close()
    assert is_merkle_log(directory)
    assert not is_merkle_log(tmp_path)
    with pytest.raises(ConfigError, match="no Merkle audit log"):
        MerkleAuditLog(tmp_path / "nothing", read_only=True)
    with pytest.raises(ConfigError, match="signing key is required"):
        MerkleAuditLog(tmp_path / "nothing")
    with pytest.raises(ConfigError, match="power of two"):
        MerkleAuditLog(tmp_path / "nothing", signing_key=Ed25519PrivateKey.generate(), segment_records=6)


def test_the_wrong_signing_key_cannot_extend_a_log(closed_log: tuple[Path, Ed25519PrivateKey]) -> None:
    directory, _ = closed_log
    with pytest.raises(IntegrityError, match="does not match"):
        MerkleAuditLog(directory, signing_key=Ed25519PrivateKey.generate())


def test_signing_keys_are_created_private_and_reloaded(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "audit-signing.key"
    key = load_or_create_signing_key(path)
    assert path.stat().st_mode & 0o777 == 0o600
    again = load_or_create_signing_key(path)
    assert public_key_pem(again.public_key()) == public_key_pem(key.public_key())
    public = load_public_key_file(path.with_name("audit-signing.key.pub"))
    assert public_key_pem(public) == public_key_pem(key.public_key())
    with pytest.raises(IntegrityError, match="cannot parse"):
        load_public_key_file(path)
    with pytest.raises(IntegrityError, match="No such file"):
        load_public_key_file(tmp_path / "missing.pub")


def test_open_index_defaults_to_sqlite(tmp_path: Path) -> None:
    index = open_index(None, tmp_path)
    assert isinstance(index, SqliteAuditIndex)
    assert index.last_seq("x") == 0
    index.close()
    assert (tmp_path / "index.sqlite").is_file()


# ---------------------------------------------------------------- tampering


def _copy(closed_log: tuple[Path, Ed25519PrivateKey], tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(closed_log[0], target)
    return target


_SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_SETTINGS
@given(seq=st.integers(min_value=1, max_value=29))
def test_an_altered_record_is_named(closed_log: tuple[Path, Ed25519PrivateKey], tmp_path: Path, seq: int) -> None:
    directory = _copy(closed_log, tmp_path)
    payloads = _all_payloads(directory)
    forged = json.loads(payloads[seq - 1])
    forged["entry"]["actor"] = "mallory"
    payloads[seq - 1] = canonical_bytes(forged)
    _rewrite(directory, payloads)
    result = verify_directory(directory, closed_log[1].public_key())
    assert not result.ok
    assert result.first_bad_seq == seq
    assert f"record {seq} was altered" in (result.problem or "")


def test_altering_the_last_record_is_caught_by_the_signed_head(
    closed_log: tuple[Path, Ed25519PrivateKey], tmp_path: Path
) -> None:
    directory = _copy(closed_log, tmp_path)
    payloads = _all_payloads(directory)
    forged = json.loads(payloads[-1])
    forged["entry"]["summary"] = {"cycle": -1}
    payloads[-1] = canonical_bytes(forged)
    _rewrite(directory, payloads)
    result = verify_directory(directory, closed_log[1].public_key())
    assert not result.ok
    assert result.first_bad_seq == 25  # the first record after the last head that still matches (24)
    assert "do not match the signed tree head" in (result.problem or "")


@_SETTINGS
@given(seq=st.integers(min_value=1, max_value=30))
def test_a_deleted_record_is_named(closed_log: tuple[Path, Ed25519PrivateKey], tmp_path: Path, seq: int) -> None:
    directory = _copy(closed_log, tmp_path)
    payloads = _all_payloads(directory)
    del payloads[seq - 1]
    _rewrite(directory, payloads)
    result = verify_directory(directory, closed_log[1].public_key())
    assert not result.ok
    assert result.first_bad_seq == seq


@_SETTINGS
@given(seq=st.integers(min_value=1, max_value=31))
def test_an_inserted_record_is_named(closed_log: tuple[Path, Ed25519PrivateKey], tmp_path: Path, seq: int) -> None:
    directory = _copy(closed_log, tmp_path)
    payloads = _all_payloads(directory)
    prev = GENESIS_HASH if seq == 1 else leaf_hash(payloads[seq - 2]).hex()
    payloads.insert(seq - 1, encode_record(seq, make_entry(500), prev))
    _rewrite(directory, payloads)
    result = verify_directory(directory, closed_log[1].public_key())
    assert not result.ok
    # The forged record links correctly to its predecessor, so the first record that fails is the
    # displaced original, which no longer carries its position's number.
    assert result.first_bad_seq is not None
    assert result.first_bad_seq in (seq, seq + 1)


@_SETTINGS
@given(seq=st.integers(min_value=1, max_value=29))
def test_reordered_records_are_named(closed_log: tuple[Path, Ed25519PrivateKey], tmp_path: Path, seq: int) -> None:
    directory = _copy(closed_log, tmp_path)
    payloads = _all_payloads(directory)
    payloads[seq - 1], payloads[seq] = payloads[seq], payloads[seq - 1]
    _rewrite(directory, payloads)
    result = verify_directory(directory, closed_log[1].public_key())
    assert not result.ok
    assert result.first_bad_seq == seq


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_changed_byte_of_any_segment_is_detected(
    closed_log: tuple[Path, Ed25519PrivateKey], tmp_path: Path, data: st.DataObject
) -> None:
    directory = _copy(closed_log, tmp_path)
    path = data.draw(st.sampled_from(_segments(directory)))
    raw = bytearray(path.read_bytes())
    position = data.draw(st.integers(0, len(raw) - 1))
    raw[position] ^= data.draw(st.integers(1, 255))
    path.write_bytes(bytes(raw))
    result = verify_directory(directory, closed_log[1].public_key())
    assert not result.ok


def test_deleting_trailing_records_or_segments_is_detected(
    closed_log: tuple[Path, Ed25519PrivateKey], tmp_path: Path
) -> None:
    directory = _copy(closed_log, tmp_path)
    payloads = _all_payloads(directory)
    _rewrite(directory, payloads[:-2])
    result = verify_directory(directory, closed_log[1].public_key())
    assert not result.ok
    assert result.first_bad_seq == 29
    assert "records deleted" in (result.problem or "")
    directory = _copy(closed_log, tmp_path)
    _segments(directory)[1].unlink()
    result = verify_directory(directory, closed_log[1].public_key())
    assert not result.ok
    assert result.first_bad_seq == 9


def test_head_file_damage_is_reported(closed_log: tuple[Path, Ed25519PrivateKey], tmp_path: Path) -> None:
    public = closed_log[1].public_key()
    directory = _copy(closed_log, tmp_path)
    (directory / "heads.jsonl").write_text("not json\n")
    assert "malformed signed tree head" in (verify_directory(directory, public).problem or "")
    (directory / "heads.jsonl").unlink()
    assert "no signed tree head" in (verify_directory(directory, public).problem or "")
    directory = _copy(closed_log, tmp_path)
    lines = (directory / "heads.jsonl").read_text().splitlines(keepends=True)
    (directory / "heads.jsonl").write_text("".join(reversed(lines)))
    assert "went backwards" in (verify_directory(directory, public).problem or "")


def test_a_damaged_log_is_not_reopened_for_writing(closed_log: tuple[Path, Ed25519PrivateKey], tmp_path: Path) -> None:
    directory = _copy(closed_log, tmp_path)
    payloads = _all_payloads(directory)
    payloads[3], payloads[4] = payloads[4], payloads[3]
    _rewrite(directory, payloads)
    with pytest.raises(IntegrityError, match="damaged"):
        MerkleAuditLog(directory, signing_key=closed_log[1])
    directory = _copy(closed_log, tmp_path)
    _rewrite(directory, _all_payloads(directory)[:20])
    with pytest.raises(IntegrityError, match="only 20 can be read"):
        MerkleAuditLog(directory, signing_key=closed_log[1])


# ---------------------------------------------------------------- torn writes


def _unsigned_tail(tmp_path: Path, key: Ed25519PrivateKey, n: int = 19) -> Path:
    """A flushed log whose last records no head covers (as after a crash), copied while open."""
    log = _write(tmp_path / f"live{n}", key, n, sign_every=10)
    log.flush()
    target = tmp_path / f"crashed{n}"
    shutil.copytree(tmp_path / f"live{n}", target)
    log.close()
    return target


def test_a_torn_final_write_is_cut_at_every_byte(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    source = _unsigned_tail(tmp_path, key)
    last = _segments(source)[-1]
    whole = last.read_bytes()
    _, payloads = _frames(last)
    frame_start = len(whole) - len(payloads[-1]) - 8
    for cut in range(frame_start + 1, len(whole), 7):
        directory = tmp_path / f"cut-{cut}"
        shutil.copytree(source, directory)
        (directory / "segments" / last.name).write_bytes(whole[:cut])
        assert not verify_directory(directory, key.public_key()).ok  # torn: reported until recovered
        log = MerkleAuditLog(directory, signing_key=key, segment_records=PER_SEGMENT)
        assert log.size == 18
        log.append(make_entry(18))
        log.close()
        result = verify_directory(directory, key.public_key())
        assert result.ok, result.problem
        assert result.records == 19


def test_zero_fill_and_torn_segment_headers_are_recovered(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    source = _unsigned_tail(tmp_path, key)
    directory = tmp_path / "zeros"
    shutil.copytree(source, directory)
    last = _segments(directory)[-1]
    last.write_bytes(last.read_bytes() + b"\x00" * 50)
    log = MerkleAuditLog(directory, signing_key=key, segment_records=PER_SEGMENT)
    assert log.size == 19
    log.close()
    assert verify_directory(directory, key.public_key()).ok
    directory = tmp_path / "header"
    shutil.copytree(_unsigned_tail(tmp_path, key, 24), directory)
    (directory / "segments" / f"{25:020d}.seg").write_bytes(b"QGTMS")
    log = MerkleAuditLog(directory, signing_key=key, segment_records=PER_SEGMENT)
    assert log.size == 24
    log.append(make_entry(24))
    log.close()
    assert verify_directory(directory, key.public_key()).ok


def test_a_torn_write_inside_signed_records_is_refused(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    _write(tmp_path / "log", key, 12).close()
    last = _segments(tmp_path / "log")[-1]
    last.write_bytes(last.read_bytes()[:-3])
    with pytest.raises(IntegrityError, match="signed tree head covers 12"):
        MerkleAuditLog(tmp_path / "log", signing_key=key, segment_records=PER_SEGMENT)


def test_a_torn_head_line_is_cut(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    _write(tmp_path / "log", key, 7).close()
    heads = tmp_path / "log" / "heads.jsonl"
    heads.write_bytes(heads.read_bytes() + b'{"tree_size": 9')
    log = MerkleAuditLog(tmp_path / "log", signing_key=key, segment_records=PER_SEGMENT)
    assert [h.size for h in log.signed_heads][-1] == 7
    log.close()
    assert verify_directory(tmp_path / "log", key.public_key()).ok


def test_a_writer_failure_is_raised_to_the_caller(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    log = _write(tmp_path / "log", key, 2, batch_size=2)
    log.flush()
    log._writer.close()  # type: ignore[union-attr]  # simulate the disk going away under the writer
    log.append(make_entry(2))
    log.append(make_entry(3))
    with pytest.raises(IntegrityError, match="audit writer failed"):
        log.flush()


def test_parallel_and_serial_scans_agree(
    closed_log: tuple[Path, Ed25519PrivateKey], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory, key = closed_log
    serial = verify_directory(directory, key.public_key())
    pools: list[object] = []

    def counting_pool(*args: object, **kwargs: object) -> ProcessPoolExecutor:
        pool = ProcessPoolExecutor(*args, **kwargs)  # type: ignore[arg-type]
        pools.append(pool)
        return pool

    monkeypatch.setattr("qgtm_audit._segments._PARALLEL_BYTES", 0)
    monkeypatch.setattr("qgtm_audit._segments._single_threaded", lambda: True)
    monkeypatch.setattr("qgtm_audit._segments.ProcessPoolExecutor", counting_pool)
    parallel = verify_directory(directory, key.public_key())
    assert len(pools) == 1  # the parallel path really ran
    assert parallel == serial
    assert parallel.ok
    damaged = _copy(closed_log, tmp_path)
    payloads = _all_payloads(damaged)
    del payloads[20]
    _rewrite(damaged, payloads)
    result = verify_directory(damaged, key.public_key())
    assert not result.ok
    assert result.first_bad_seq == 21


def test_segments_of_uneven_size_still_verify(closed_log: tuple[Path, Ed25519PrivateKey], tmp_path: Path) -> None:
    """The segment layout is storage, not signed content: a log split differently verifies the same."""
    directory = _copy(closed_log, tmp_path)
    payloads = _all_payloads(directory)
    for path in _segments(directory):
        path.unlink()
    for first, last in ((1, 8), (9, 12), (13, 30)):
        body = b"".join(_frame(p) for p in payloads[first - 1 : last])
        (directory / "segments" / f"{first:020d}.seg").write_bytes(b"QGTMSEG1" + struct.pack("<Q", first) + body)
    result = verify_directory(directory, closed_log[1].public_key())
    assert result.ok, result.problem
    assert result.root_hash == verify_directory(closed_log[0], closed_log[1].public_key()).root_hash


def test_newest_reads_backwards_by_step_and_predicate(closed_log: tuple[Path, Ed25519PrivateKey]) -> None:
    directory, _ = closed_log
    log = MerkleAuditLog(directory, read_only=True)
    (last_risk,) = log.newest("07-risk")
    assert last_risk.seq == 27  # cycles of ten: the risk step is the 7th record of cycle 2 (records 21..30)
    assert [r.seq for r in log.newest("07-risk", limit=5)] == [27, 17, 7]
    assert [r.seq for r in log.newest(limit=3)] == [30, 29, 28]
    fills = log.newest(
        "09-broker", limit=10, where=lambda r: r.entry.summary == {"cycle": 1, "note": "fill", "weights": [0.25, 0.5]}
    )
    assert [r.seq for r in fills] == [19]
    assert log.newest("no-such-step") == []
    log.close()


class _Side(Enum):
    BUY = "buy"


@pytest.mark.parametrize(
    "summary",
    [
        {"nan": float("nan"), "inf": [float("inf"), -0.0, 1e300]},
        {"price": Decimal("2031.45"), "side": _Side.BUY, "when": datetime(2024, 1, 2, tzinfo=UTC)},
        {"nested": [{"b": 1, "a": [True, None, "é\u2028"]}], "tuple": (1, 2.5)},
        {1: "int key", "x": 2},
        [_Side.BUY, {"k": float("-inf")}],
        "just text",
    ],
)
def test_unusual_summaries_still_encode_canonically(summary: object) -> None:
    entry = AuditEntry(datetime(2024, 1, 1, tzinfo=UTC), CorrelationId("c"), "s", "a", "i", "o", summary)  # type: ignore[arg-type]
    assert encode_record(7, entry, "e" * 64) == canonical_bytes({"seq": 7, "entry": entry, "prev_hash": "e" * 64})


def test_malformed_stored_records_are_integrity_errors() -> None:
    for payload in (b"not json", b'{"entry": {}, "prev_hash": "x", "seq": 1}', b'{"entry": 3}'):
        with pytest.raises(IntegrityError, match="malformed audit record"):
            decode_record(payload, "audit record 1")


def test_the_python_m_entry_point_runs_the_verifier(tmp_path: Path) -> None:
    (tmp_path / "doc.json").write_text("{}")
    (tmp_path / "key.hex").write_text("00" * 32)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "qgtm_audit",
            "inclusion",
            str(tmp_path / "doc.json"),
            "--public-key",
            str(tmp_path / "key.hex"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "FAILED: proof: expected a JSON object with type 'inclusion'" in result.stderr
    assert "RuntimeWarning" not in result.stderr


def test_a_dead_writer_thread_is_reported_not_waited_for(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    log = _write(tmp_path / "log", key, 1, batch_size=100)
    log._queue.put(None)  # the writer thread exits as on close, while records are still pending
    assert log._thread is not None
    log._thread.join()
    with pytest.raises(IntegrityError, match="writer thread stopped"):
        log.flush()


def test_open_merkle_log_follows_the_audit_config(tmp_path: Path) -> None:
    config = AuditConfig(batch_size=2, sign_every=3, segment_records=4)
    log = open_merkle_log(tmp_path / "run" / "audit", config, tmp_path / "var")
    for i in range(9):
        log.append(make_entry(i))
    log.close()
    public = load_public_key_file(tmp_path / "var" / "audit-signing.key.pub")
    result = verify_directory(tmp_path / "run" / "audit", public)
    assert result.ok, result.problem
    assert len(_segments(tmp_path / "run" / "audit")) == 3
    reader = MerkleAuditLog(tmp_path / "run" / "audit", read_only=True)
    assert [h.size for h in reader.signed_heads] == [4, 8, 9]
    reader.close()


def test_a_reader_follows_a_live_writer(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    writer = _write(tmp_path / "log", key, 5)
    writer.flush()
    reader = MerkleAuditLog(tmp_path / "log", read_only=True)
    assert reader.size == 5
    for i in range(5, 27):  # crosses two segment boundaries (8 records each)
        writer.append(make_entry(i))
    writer.flush()
    assert reader.refresh() == 22
    assert reader.refresh() == 0
    assert [r.entry for r in reader.records()] == [make_entry(i) for i in range(27)]
    assert reader.newest()[0].seq == 27
    assert [r.seq for r in reader.records(make_entry(15).correlation_id)] == list(range(11, 21))
    assert writer.refresh() == 0  # a writer has nothing to refresh
    writer.close()
    with pytest.raises(IntegrityError, match="closed"):
        writer.refresh()
    reader.refresh()
    assert reader.signed_heads[-1].size == 27
    assert "ok" in check_inclusion_document(reader.inclusion_document(27), key.public_key())
    assert reader.root() == MerkleAuditLog(tmp_path / "log", read_only=True).root()
    # A half-written frame at the end (a writer mid-append) is left for later, not an error.
    last = _segments(tmp_path / "log")[-1]
    last.write_bytes(last.read_bytes() + struct.pack("<I", 400) + b"\x01\x02")
    assert reader.refresh() == 0
    # Damage in what a reader has not yet read is an error.
    last.write_bytes(last.read_bytes()[:-6] + _frame(b'{"entry":{},"prev_hash":"' + b"0" * 64 + b'","seq":28}'))
    with pytest.raises(IntegrityError, match="record 27 was altered"):
        reader.refresh()
    reader.close()


def test_a_reader_waits_for_a_segment_header(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    _write(tmp_path / "log", key, 8).close()
    reader = MerkleAuditLog(tmp_path / "log", read_only=True)
    (tmp_path / "log" / "segments" / f"{9:020d}.seg").write_bytes(b"QGTM")
    assert reader.refresh() == 0
    (tmp_path / "log" / "segments" / f"{9:020d}.seg").write_bytes(b"QGTMSEG1" + struct.pack("<Q", 10))
    with pytest.raises(IntegrityError, match="bad segment header"):
        reader.refresh()
    reader.close()


def test_records_after_the_last_signed_head_fail_verification(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    source = _unsigned_tail(tmp_path, key)  # heads cover 12 of 19 records, as after a crash
    result = verify_directory(source, key.public_key())
    assert not result.ok
    assert result.first_bad_seq == 13
    assert "records 13..19 are not covered by a signed tree head" in (result.problem or "")
    log = MerkleAuditLog(source, signing_key=key, segment_records=PER_SEGMENT)
    assert log.verify().ok  # a writer signs what it holds before verifying
    log.close()
