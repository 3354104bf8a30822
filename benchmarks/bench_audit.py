"""Audit log benchmarks: durable batched appends/s, verifying 1,000,000 records, proof latency.

    uv run python benchmarks/bench_audit.py            # 1,000,000 records (about two minutes)
    uv run python benchmarks/bench_audit.py --records 200000

Targets (issue 8): >= 100,000 durable appends/s, verify 1,000,000 records in < 3 s, proofs < 1 ms.
Records are shaped like the pipeline's (ten steps per cycle sharing a correlation id and time,
SHA-256 input/output digests, a small summary). "Durable" means the time until ``flush`` returns,
that is until the last batch is fsynced and indexed. The machine's load average is printed with the
figures because a shared box makes them move.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from qgtm_audit import MerkleAuditLog, verify_directory
from qgtm_core import AuditEntry, PipelineStep, correlation_id_for, digest

STEPS = [step.value for step in PipelineStep]


def entries(count: int) -> list[AuditEntry]:
    """Pipeline-shaped entries (built up front so the timing is the log's, not the generator's)."""
    start = datetime(2004, 1, 2, 21, tzinfo=UTC)
    digests = [digest(i) for i in range(64)]
    out = []
    for n in range(count):
        cycle, step = divmod(n, 10)
        at = start + timedelta(days=cycle)
        out.append(
            AuditEntry(
                at,
                correlation_id_for(at, cycle),
                STEPS[step],
                "qgtm-paper",
                digests[n % 64],
                digests[(n + 1) % 64],
                {"instruments": 6, "cycle": cycle},
            )
        )
    return out


def cpu_seconds() -> float:
    """CPU time of this process, its threads and its finished children (the verify workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def bench_appends(
    directory: Path, key: Ed25519PrivateKey, batch: list[AuditEntry], batch_size: int
) -> tuple[float, float]:
    """(records per wall-clock second, records per CPU second) until the final ``flush`` returns."""
    log = MerkleAuditLog(directory, signing_key=key, batch_size=batch_size, sign_every=100_000)
    started, cpu = time.perf_counter(), cpu_seconds()
    for entry in batch:
        log.append(entry)
    log.flush()
    elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    log.close()
    return len(batch) / elapsed, len(batch) / cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=1_000_000)
    args = parser.parse_args()
    key = Ed25519PrivateKey.generate()
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as tmp:
        root = Path(tmp)
        sample = entries(200_000)
        for batch_size in (1_000, 10_000):
            rate, cpu_rate = bench_appends(root / f"append-{batch_size}", key, sample, batch_size)
            print(
                f"durable appends, batch {batch_size:>6,}: {rate:>10,.0f} records/s wall, "
                f"{cpu_rate:>10,.0f} per CPU-second  (target >= 100,000)"
            )

        big = root / "big"
        log = MerkleAuditLog(big, signing_key=key, batch_size=10_000, sign_every=100_000)
        made = 0
        started = time.perf_counter()
        while made < args.records:
            chunk = sample[: min(len(sample), args.records - made)]
            for entry in chunk:
                log.append(entry)
            made += len(chunk)
        log.close()
        print(f"wrote {made:,} records in {time.perf_counter() - started:.1f} s (for the verify run)")

        started, cpu = time.perf_counter(), cpu_seconds()
        result = verify_directory(big, key.public_key())
        elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        assert result.ok, result.problem
        print(
            f"verify {result.records:,} records against the signed head: {elapsed:.2f} s wall, "
            f"{cpu:.2f} CPU-seconds over {os.cpu_count()} CPUs  (target < 3 s)"
        )

        started = time.perf_counter()
        reader = MerkleAuditLog(big, read_only=True)
        print(f"reopen (scan + rebuild tree) of {reader.size:,} records: {time.perf_counter() - started:.2f} s")
        rng = random.Random(7)
        size = reader.size
        for name, call in (
            ("inclusion proof", lambda: reader.inclusion_proof(rng.randint(1, size), size)),
            ("consistency proof", lambda: reader.consistency_proof(rng.randint(1, size), size)),
            ("inclusion document (reads the record)", lambda: reader.inclusion_document(rng.randint(1, size))),
        ):
            samples = []
            for _ in range(2_000):
                t = time.perf_counter_ns()
                call()
                samples.append((time.perf_counter_ns() - t) / 1_000)
            samples.sort()
            print(
                f"{name:<40} median {statistics.median(samples):7.1f} us, "
                f"p99 {samples[int(len(samples) * 0.99)]:7.1f} us  (target < 1,000 us)"
            )
        reader.close()
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
