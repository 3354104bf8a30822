"""Crash test: SIGKILL a real writer process mid-append, again and again, on the same log.

After every kill the log must reopen (recovering a torn tail if there is one), contain every record
the writer had acknowledged as durable (``flush`` returned), in order and intact, and verify.
Writers are forked from the test process so each round does not pay for importing the platform.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path

from qgtm_audit import MerkleAuditLog, load_or_create_signing_key, verify_directory
from qgtm_core import AuditEntry, CorrelationId

_START = datetime(2024, 1, 1, tzinfo=UTC)


def _entry(n: int) -> AuditEntry:
    return AuditEntry(
        _START + timedelta(seconds=n),
        CorrelationId(f"c{n // 10}"),
        "step",
        "crash-test",
        f"{n:064x}",
        f"{n + 1:064x}",
        {"n": n, "pad": "x" * (n % 300)},
    )


def _writer(directory: Path, key_path: Path, batch: int, acks: Connection) -> None:
    """Append forever, acknowledging the durable size after every ``flush``."""
    log = MerkleAuditLog(
        directory,
        signing_key=load_or_create_signing_key(key_path),
        batch_size=batch,
        sign_every=700,
        segment_records=256,
    )
    while True:
        log.append(_entry(log.size))
        if log.size % 37 == 0:
            log.flush()
            acks.send(log.durable_size)


def _acknowledged_then_kill(directory: Path, key_path: Path, rng: random.Random) -> int:
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_writer, args=(directory, key_path, rng.choice([1, 5, 16, 64]), sender))
    process.start()
    sender.close()
    acknowledged = 0
    for _ in range(rng.randint(1, 6)):
        acknowledged = int(receiver.recv())
    assert process.pid is not None
    os.kill(process.pid, signal.SIGKILL)  # mid-append: the writer never stops appending
    process.join()
    while receiver.poll():  # acknowledgements sent before the kill landed still count
        try:
            acknowledged = max(acknowledged, int(receiver.recv()))
        except EOFError:
            break
    receiver.close()
    assert process.exitcode == -signal.SIGKILL
    return acknowledged


def test_killed_writers_lose_nothing_acknowledged(tmp_path: Path) -> None:
    rng = random.Random(20240601)  # fixed seed: a failure reproduces
    directory, key_path = tmp_path / "log", tmp_path / "key.pem"
    acknowledged = 0
    for _ in range(25):
        acknowledged = max(acknowledged, _acknowledged_then_kill(directory, key_path, rng))
        key = load_or_create_signing_key(key_path)
        log = MerkleAuditLog(directory, signing_key=key, segment_records=256)  # recovers a torn tail
        assert log.size >= acknowledged
        recovered = [record.entry for record in log.records()]
        assert recovered == [_entry(n) for n in range(len(recovered))]  # every record intact, in order
        log.close()  # signs a head over everything recovered
        result = verify_directory(directory, key.public_key())
        assert result.ok, result.problem
        assert result.records >= acknowledged
    assert acknowledged > 25 * 37 // 2
