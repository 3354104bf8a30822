"""Crash test: SIGKILL the daemon at each of the ten steps and between send and ack, restart it.

Each kill point runs in its own process, forked by a harness (this file run as a script, in a fresh
interpreter, so no thread pool of the test process is inherited and the heavy imports are paid
once). Each process builds the real app wiring over a run directory, resumes whatever the previous
process left, and kills itself with SIGKILL at its point. The next process resumes from there. Afterwards the
daemon is restarted one last time and runs to the end, and we assert:

* no client order id was ever sent twice (every submit attempt is logged before it is made);
* our positions equal the broker's, and equal those of an uninterrupted reference run (paper);
* every fill is accounted exactly once (execution ids unique; quantities per order match the broker);
* the audit log verifies.

Run against the journaled paper venue and against the fake Alpaca server on loopback.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import traceback
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import httpx

from qgtm_app.paths import RunPaths
from qgtm_app.wiring import PaperRig, build_paper_rig
from qgtm_core import (
    Broker,
    ClientOrderId,
    Fill,
    InstrumentId,
    Order,
    OrderIntent,
    PipelineStep,
    Position,
    QgtmSettings,
    load_settings,
)
from qgtm_execution import BrokerExecutor, JournalingBroker, SqliteStateStore
from qgtm_execution.testing import FakeAlpacaServer
from qgtm_live import ReplayDaemon

REPO = Path(__file__).resolve().parent.parent
CYCLES = 12
SEND = "send"
_STEPS = [step.value for step in PipelineStep]
KILL_ORDER = [*_STEPS[:8], SEND, *_STEPS[8:]]  # send-then-die sits inside step 9 (broker)


def _settings(root: Path, broker: str, fake_url: str | None) -> QgtmSettings:
    base = load_settings(None)
    run = base.run.model_copy(
        update={"data_dir": REPO / "data", "var_dir": root / "var", "start": datetime(2016, 3, 1).date()}
    )
    update: dict[str, object] = {"broker": broker}
    if fake_url is not None:
        update |= {"alpaca_url": fake_url, "alpaca_stream_url": fake_url.replace("http", "ws") + "/stream"}
        update |= {"alpaca_key_id": "fake-key", "alpaca_secret_key": "fake-secret"}
    execution = base.execution.model_validate(base.execution.model_dump() | update)
    return base.model_copy(update={"run": run, "execution": execution})


class _Spy:
    """Logs every submit attempt durably before making it; can SIGKILL between send and ack."""

    def __init__(self, inner: Broker, log: Path, kill_send_at: datetime | None, rig_clock: list[PaperRig]) -> None:
        self._inner = inner
        self._log = log
        self._kill_at = kill_send_at
        self._rig = rig_clock

    def submit(self, intent: OrderIntent) -> Order:
        with self._log.open("a", encoding="utf-8") as fh:
            fh.write(intent.client_order_id + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        order = self._inner.submit(intent)
        if self._kill_at is not None and self._rig and self._rig[0].clock.now() == self._kill_at:
            os.kill(os.getpid(), signal.SIGKILL)  # sent, ack not yet seen by the OMS
        return order

    def cancel(self, client_order_id: ClientOrderId) -> Order:
        return self._inner.cancel(client_order_id)

    def order(self, client_order_id: ClientOrderId) -> Order | None:
        return self._inner.order(client_order_id)

    def open_orders(self) -> Sequence[Order]:
        return self._inner.open_orders()

    def fills_since(self, cursor: int) -> tuple[Sequence[Fill], int]:
        return self._inner.fills_since(cursor)

    def positions(self) -> Mapping[InstrumentId, Position]:
        return self._inner.positions()

    def cash(self) -> Decimal:
        return self._inner.cash()

    @property
    def connected(self) -> bool:
        return bool(getattr(self._inner, "connected", True))


def _child(root: Path, broker: str, fake_url: str | None, kill: tuple[str, str] | None, cycles: int) -> None:
    """One daemon process: resume, run, and (maybe) die by SIGKILL at ``kill`` = (time, step)."""
    settings = _settings(root, broker, fake_url)
    kill_at = None if kill is None else datetime.fromisoformat(kill[0])
    holder: list[PaperRig] = []

    def observer(step: PipelineStep, nanos: int) -> None:
        if kill is not None and kill[1] == step.value and holder[0].clock.now() == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    send_kill = kill_at if kill is not None and kill[1] == SEND else None
    rig = build_paper_rig(
        settings,
        RunPaths(root / "run"),
        observer=observer,
        wrap_broker=lambda b: _Spy(b, root / "attempts.log", send_kill, holder),
    )
    holder.append(rig)
    assert isinstance(rig.executor, BrokerExecutor)
    rig.executor.reconcile()
    prices: dict[str, str] = {}

    def before(at: datetime) -> None:
        rig.feed_venue(at)
        if fake_url is not None:
            prices.update({str(i): str(round(o, 2)) for i, o, _ in rig.opens.get(at, ())})
            if prices:
                httpx.post(fake_url + "/_fake/prices", json=prices, timeout=5).raise_for_status()

    def after(result: object) -> None:
        with (root / "cycles.log").open("a", encoding="utf-8") as fh:
            intents = getattr(result, "intents", ())
            fh.write(json.dumps({"at": result.at.isoformat(), "intents": len(intents)}) + "\n")

    daemon = ReplayDaemon(rig.pipeline, rig.clock, before_cycle=before, after_cycle=after, state=rig.state)
    daemon.run(rig.schedule[:cycles])
    rig.audit.flush()
    rig.close()


def _fork(root: Path, broker: str, fake_url: str | None, kill: tuple[str, str] | None) -> int:
    """Run one daemon process; its exit code, negative for the signal that killed it."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover -- the child's coverage is the app's, measured elsewhere
        code = 0
        try:
            _child(root, broker, fake_url, kill, CYCLES)
        except BaseException:  # noqa: BLE001 -- the child must report any failure as its exit code
            traceback.print_exc()
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def _kill_points(reference: Path) -> list[tuple[str, str]]:
    """Spread the eleven kill points over the reference run's cycles that traded."""
    lines = [json.loads(line) for line in (reference / "cycles.log").read_text().splitlines()]
    trading = [c["at"] for c in lines if c["intents"] > 0]
    if len(trading) < 3:
        msg = f"reference run traded in only {len(trading)} cycles; pick another window"
        raise AssertionError(msg)
    return [
        (trading[min(k * len(trading) // len(KILL_ORDER), len(trading) - 1)], step) for k, step in enumerate(KILL_ORDER)
    ]


def _harness(spec: dict[str, str]) -> dict[str, object]:
    """Reference run, then one process per kill point, then a final clean run (all forked)."""
    reference, crashed, broker = Path(spec["reference"]), Path(spec["crashed"]), spec["broker"]
    ref_url, url = spec.get("reference_url"), spec.get("url")
    out: dict[str, object] = {"reference": _fork(reference, broker, ref_url, None)}
    kills = _kill_points(reference)
    out["kills"] = kills
    out["codes"] = [_fork(crashed, broker, url, point) for point in kills]
    out["final"] = _fork(crashed, broker, url, None)
    return out


def _crash_and_recover(tmp_path: Path, broker: str, reference_url: str | None = None, url: str | None = None) -> None:
    spec = {"reference": str(tmp_path / "reference"), "crashed": str(tmp_path / "crashed"), "broker": broker}
    if url is not None and reference_url is not None:
        spec |= {"reference_url": reference_url, "url": url}
    env = {k: v for k, v in os.environ.items() if not k.startswith("QGTM_")}
    done = subprocess.run(
        [sys.executable, __file__, json.dumps(spec)], capture_output=True, text=True, env=env, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["reference"] == 0, done.stderr[-3000:]
    for point, code in zip(result["kills"], result["codes"], strict=True):
        assert code == -signal.SIGKILL, f"kill point {point} was not reached (exit code {code}): {done.stderr[-2000:]}"
    assert result["final"] == 0, done.stderr[-3000:]


def _assert_books(root: Path, broker_positions: Mapping[InstrumentId, Decimal], broker_filled: Mapping[str, Decimal]):
    attempts = (root / "attempts.log").read_text().split()
    assert attempts, "no order was ever sent; the test would prove nothing"
    twice = [c for c, n in Counter(attempts).items() if n > 1]
    assert not twice, f"client order ids sent twice: {twice}"
    store = SqliteStateStore(root / "run" / "state.sqlite")
    fills = store.fills()
    assert len({f.execution_id for f in fills}) == len(fills)
    ours: Counter[InstrumentId] = Counter()
    per_order: Counter[str] = Counter()
    for f in fills:
        ours[f.instrument] += f.quantity * f.side.sign
        per_order[f.client_order_id] += f.quantity
    assert {i: q for i, q in ours.items() if q} == {i: q for i, q in broker_positions.items() if q}
    assert {c: q for c, q in per_order.items() if q} == {c: q for c, q in broker_filled.items() if q}
    store.close()


def _assert_audit_verifies(root: Path, broker: str, url: str | None) -> None:
    """Through the app's own wiring, so the check follows whichever audit log the app uses."""
    rig = build_paper_rig(_settings(root, broker, url), RunPaths(root / "run"))
    verdict = rig.audit.verify()
    assert verdict.ok, verdict
    rig.close()


def test_paper_daemon_survives_sigkill_at_every_step(tmp_path: Path) -> None:
    reference, crashed = tmp_path / "reference", tmp_path / "crashed"
    _crash_and_recover(tmp_path, "paper")

    def venue(root: Path) -> JournalingBroker:
        settings = _settings(root, "paper", None)
        rig = build_paper_rig(settings, RunPaths(root / "run"))
        assert isinstance(rig.venue, JournalingBroker)
        return rig.venue

    rebuilt, expected = venue(crashed), venue(reference)
    positions = {i: p.quantity for i, p in rebuilt.positions().items()}
    filled: dict[str, Decimal] = {}
    for fill in rebuilt.fills_since(0)[0]:
        filled[str(fill.client_order_id)] = filled.get(str(fill.client_order_id), Decimal(0)) + fill.quantity
    _assert_books(crashed, positions, filled)
    _assert_audit_verifies(crashed, "paper", None)
    assert positions == {i: p.quantity for i, p in expected.positions().items()}, "crashes changed the outcome"
    assert len(rebuilt.sent_client_order_ids()) == len(set(rebuilt.sent_client_order_ids()))


def test_alpaca_daemon_survives_sigkill_at_every_step(tmp_path: Path) -> None:
    crashed = tmp_path / "crashed"
    with FakeAlpacaServer(cash=Decimal(1_000_000)) as ref_server, FakeAlpacaServer(cash=Decimal(1_000_000)) as server:
        _crash_and_recover(tmp_path, "alpaca", ref_server.base_url, server.base_url)
        assert len(server.submitted) == len(set(server.submitted)), "the broker saw a client order id twice"
        filled: dict[str, Decimal] = {}
        for order in server.orders.values():
            filled[order.client_order_id] = order.filled_qty
        positions = {InstrumentId(s): q for s, q in server.position_quantities().items()}
        _assert_books(crashed, positions, filled)
        _assert_audit_verifies(crashed, "alpaca", server.base_url)


if __name__ == "__main__":
    print(json.dumps(_harness(json.loads(sys.argv[1]))))
