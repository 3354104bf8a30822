"""Shadow mode: the whole pipeline runs against the (fake) Alpaca account, zero orders reach the
broker, and the decision log replays offline, on the same data, to the same decisions."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path

from qgtm_app.paths import RunPaths
from qgtm_app.wiring import build_paper_rig
from qgtm_core import (
    Broker,
    ClientOrderId,
    Fill,
    InstrumentId,
    Order,
    OrderIntent,
    Position,
    RunMode,
    load_settings,
)
from qgtm_execution.testing import FakeAlpacaServer
from qgtm_live import DecisionLog, DecisionRecord, intents_digest

REPO = Path(__file__).resolve().parent.parent


class _RecordedAccount:
    """A broker that only knows the account a logged cycle saw (it refuses to trade)."""

    def __init__(self) -> None:
        self.record: DecisionRecord | None = None

    def _account(self) -> DecisionRecord:
        assert self.record is not None
        return self.record

    def positions(self) -> Mapping[InstrumentId, Position]:
        return self._account().account.positions

    def cash(self) -> Decimal:
        return self._account().account.cash

    def submit(self, intent: OrderIntent) -> Order:
        raise AssertionError("replay must never submit")

    def cancel(self, client_order_id: ClientOrderId) -> Order:
        raise AssertionError("replay must never cancel")

    def order(self, client_order_id: ClientOrderId) -> Order | None:
        return None

    def open_orders(self) -> Sequence[Order]:
        return []

    def fills_since(self, cursor: int) -> tuple[Sequence[Fill], int]:
        return [], cursor


def test_shadow_sends_nothing_and_its_log_replays_to_the_same_decisions(tmp_path: Path) -> None:
    cfg = tmp_path / "qgtm.toml"
    cfg.write_text(f'[run]\ndata_dir = "{REPO / "data"}"\nvar_dir = "{tmp_path / "var"}"\nstart = 2016-03-01\n')
    with FakeAlpacaServer(cash=Decimal(1_000_000), clock_skew_seconds=0.25) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("QGTM_")} | {
            "COLUMNS": "200",
            "QGTM_EXECUTION__BROKER": "alpaca",
            "QGTM_EXECUTION__ALPACA_URL": server.base_url,
            "QGTM_EXECUTION__ALPACA_STREAM_URL": server.stream_url,
            "QGTM_EXECUTION__ALPACA_KEY_ID": server.key_id,
            "QGTM_EXECUTION__ALPACA_SECRET_KEY": server.secret_key,
        }
        result = subprocess.run(
            [sys.executable, "-m", "qgtm_app", "run", "--config", str(cfg), "--mode", "shadow", "--max-cycles", "8"],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert "no order was sent" in result.stdout
        assert server.submitted == [], "shadow mode sent an order"
        assert server.secret_key not in result.stdout + result.stderr

    log_path = next((tmp_path / "var" / "runs").glob("run-*")) / "decisions.jsonl"
    records = list(DecisionLog(log_path))
    assert len(records) == 8
    assert sum(len(r.intents) for r in records if isinstance(r.intents, list)) > 0, "no decision to compare"
    assert all(0.1 < r.clock_offset_seconds < 0.4 for r in records)  # the measured broker clock offset

    # Offline: the same configuration over the same data, with each cycle seeing the logged account.
    settings = load_settings(cfg)
    settings = settings.model_copy(update={"run": settings.run.model_copy(update={"mode": RunMode.SHADOW})})
    recorded = _RecordedAccount()
    replay_broker: Broker = recorded
    rig = build_paper_rig(settings, RunPaths(tmp_path / "replay"), wrap_broker=lambda _: replay_broker)
    for record in records:
        recorded.record = record
        rig.clock.advance_to(record.at)
        cycle = rig.pipeline.run_cycle(record.cycle)
        assert cycle.correlation_id == record.correlation_id
        assert intents_digest(cycle.intents) == record.intents_digest, f"cycle {record.cycle} decided differently"
    rig.close()
