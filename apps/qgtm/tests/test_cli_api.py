"""``qgtm api`` over a real paper run: keys via the CLI, reads from the run's stores, audited writes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from qgtm_api import BackgroundServer, InMemoryState, MetricsRecorder, StreamHub, create_app
from qgtm_app.api_wiring import build_api_services, build_signal_publisher, portfolio_from_fills, publish_cycle
from qgtm_app.cli import app
from qgtm_app.paths import RunPaths, latest_run, new_run
from qgtm_app.wiring import build_paper_rig
from qgtm_core import (
    ClientOrderId,
    ConfigError,
    CorrelationId,
    CycleResult,
    Direction,
    ExecutionId,
    Fill,
    InstrumentId,
    ManualClock,
    QgtmSettings,
    Side,
    Signal,
    StrategyId,
    load_settings,
)
from qgtm_execution import SqliteStateStore
from qgtm_risk import KillSwitch
from qgtm_signals import EventBusChannel, InProcessBus, Subscriber, Tier

REPO = Path(__file__).resolve().parents[3]


@dataclass
class Served:
    settings: QgtmSettings
    run: RunPaths
    client: httpx.Client
    tokens: dict[str, str]
    summary: dict[str, object]


def _env(var: Path) -> dict[str, str]:
    return {"QGTM_RUN__VAR_DIR": str(var), "QGTM_RUN__DATA_DIR": str(REPO / "data")}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    var = tmp_path_factory.mktemp("api-cli")
    runner = CliRunner()
    env = _env(var)
    result = runner.invoke(app, ["run", "--max-cycles", "60"], env=env)
    assert result.exit_code == 0, result.output
    tokens: dict[str, str] = {}
    for scope in ("read", "trade", "admin"):
        created = runner.invoke(app, ["api", "keys", "create", f"{scope}-desk", "--scope", scope], env=env)
        assert created.exit_code == 0, created.output
        tokens[scope] = created.stdout.strip().splitlines()[-1]
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        cfg = load_settings(None)
    run = latest_run(var)
    services, model = build_api_services(cfg, run)
    summary = json.loads(run.summary.read_text())
    with BackgroundServer(create_app("test", services)) as server, httpx.Client(base_url=server.url) as client:
        yield Served(cfg, run, client, tokens, summary)
    model.close()


def _get(s: Served, path: str) -> httpx.Response:
    return s.client.get(path, headers={"X-API-Key": s.tokens["read"]})


def test_keys_cli_lists_without_secrets_and_revokes(served: Served) -> None:
    runner = CliRunner()
    env = _env(served.settings.run.var_dir)
    listed = runner.invoke(app, ["api", "keys", "list"], env=env)
    assert listed.exit_code == 0
    assert "read-desk" in listed.stdout
    for token in served.tokens.values():
        assert token.split(".", 1)[1] not in listed.stdout
    extra = runner.invoke(app, ["api", "keys", "create", "temp", "--scope", "read"], env=env).stdout.strip()
    key_id = extra.splitlines()[-1].split(".")[0].removeprefix("qgtm_")
    assert runner.invoke(app, ["api", "keys", "revoke", key_id], env=env).exit_code == 0
    assert served.client.get("/v1/portfolio", headers={"X-API-Key": extra.splitlines()[-1]}).status_code == 401
    missing = runner.invoke(app, ["api", "keys", "revoke", "nope"], env=env)
    assert missing.exit_code != 0
    bad_scope = runner.invoke(app, ["api", "keys", "create", "x", "--scope", "root"], env=env)
    assert bad_scope.exit_code != 0


def test_portfolio_positions_reconcile_with_the_fills(served: Served) -> None:
    fills = _get(served, "/v1/fills?limit=1000").json()
    assert len(fills) == served.summary["fills"]
    net: dict[str, Decimal] = {}
    cash = Decimal(str(served.settings.run.initial_cash))
    for f in fills:
        sign = 1 if f["side"] == "buy" else -1
        net[f["instrument"]] = net.get(f["instrument"], Decimal(0)) + sign * Decimal(f["quantity"])
        cash -= sign * Decimal(f["quantity"]) * Decimal(f["price"]) + Decimal(f["commission"])
    portfolio = _get(served, "/v1/portfolio").json()
    assert Decimal(portfolio["cash"]) == cash
    assert Decimal(portfolio["commissions"]) == Decimal(str(served.summary["commissions"])).quantize(Decimal("0.01"))
    assert {p["instrument"]: Decimal(p["quantity"]) for p in portfolio["positions"]} == {
        k: v for k, v in net.items() if v != 0
    }
    assert _get(served, "/v1/positions").json() == portfolio["positions"]
    orders = _get(served, "/v1/orders?limit=1000").json()
    assert orders
    assert {o["status"] for o in orders} <= {"filled", "rejected", "cancelled", "accepted", "partially_filled"}


def test_risk_trace_and_tear_sheet_come_from_the_run(served: Served) -> None:
    risk = _get(served, "/v1/risk").json()
    assert risk["correlation_id"] == served.summary["last_correlation_id"]
    assert risk["posture"] in {"full", "reduced", "no_new_entries", "flatten"}
    trace = _get(served, f"/v1/audit/{served.summary['last_correlation_id']}").json()
    assert [r["step"][:2] for r in trace] == [f"{n:02d}" for n in range(1, 11)]
    runs = _get(served, "/v1/backtests").json()
    assert [r["run_id"] for r in runs] == [served.run.root.name]
    assert runs[0]["created_at"] is not None
    sheet = _get(served, f"/v1/backtests/{served.run.root.name}/tear-sheet").json()
    assert sheet["metrics"]["final_equity"] == served.summary["final_equity"]
    assert _get(served, "/v1/backtests/..%2F..%2Fetc/tear-sheet").status_code in {404, 422}
    blocks = _get(served, "/v1/compliance/blocks?limit=1000").json()
    hits: dict[str, int] = {}
    for key, count in served.summary["rejects"].items():
        if key.startswith("compliance:"):
            rule = key.split(":")[1]
            hits[rule] = hits.get(rule, 0) + count
    assert hits, "the run should have hit at least one compliance rule"
    assert {b["rule"]: sum(1 for x in blocks if x["rule"] == b["rule"]) for b in blocks} == hits
    assert _get(served, "/v1/signals").json() == []


def test_writes_land_in_the_run_state_and_the_api_audit(served: Served) -> None:
    trade = {"X-API-Key": served.tokens["trade"]}
    denied = served.client.post(
        "/v1/kill-switch/trip", json={"reason": "drill"}, headers={"X-API-Key": served.tokens["read"]}
    )
    assert denied.status_code == 403
    tripped = served.client.post("/v1/kill-switch/trip", json={"reason": "operator drill"}, headers=trade)
    assert tripped.status_code == 200, tripped.text
    store = SqliteStateStore(served.run.state_db)
    switch = KillSwitch(store)
    assert switch.tripped
    assert switch.reason is not None
    assert "operator drill" in switch.reason
    assert _get(served, "/v1/risk").json()["kill_switch"] is True
    trace = _get(served, f"/v1/audit/{tripped.json()['correlation_id']}").json()
    assert trace[0]["actor"] == f"apikey:{tripped.json()['actor']}"
    reset = served.client.post(
        "/v1/kill-switch/reset", json={"reason": "drill over"}, headers={"X-API-Key": served.tokens["admin"]}
    )
    assert reset.json()["kill_switch"]["tripped"] is False
    assert not KillSwitch(store).tripped
    paused = served.client.post("/v1/strategies/gold_trend/pause", json={"reason": "review"}, headers=trade)
    assert paused.json()["strategy"]["paused"] is True
    assert store.get("strategies.paused") == ["gold_trend"]
    assert [s["paused"] for s in _get(served, "/v1/strategies").json() if s["name"] == "gold_trend"] == [True]
    served.client.post("/v1/strategies/gold_trend/resume", json={"reason": "review done"}, headers=trade)
    assert store.get("strategies.paused") == []
    assert served.client.post("/v1/strategies/nope/pause", json={"reason": "x" * 3}, headers=trade).status_code == 404
    flat = served.client.post("/v1/flatten", json={"reason": "risk off"}, headers=trade)
    assert flat.status_code == 200
    request = store.get("api.flatten_request")
    assert isinstance(request, dict)
    assert request["reason"] == "risk off"
    store.close()


def test_daemon_metrics_and_stream_hook_into_a_real_pipeline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in _env(tmp_path).items():
        monkeypatch.setenv(k, v)
    cfg = load_settings(None)
    recorder = MetricsRecorder()
    rig = build_paper_rig(cfg, new_run(tmp_path), observer=recorder.observe_step)
    hub = StreamHub()
    recent = InMemoryState()
    results: list[CycleResult] = []
    for at in rig.schedule[:40]:
        rig.clock.advance_to(at)
        rig.feed_venue(at)
        result = rig.pipeline.run_cycle(len(results))
        results.append(result)
        recorder.observe_cycle(result)
        publish_cycle(hub, result, recent)
    rig.close()
    registry = recorder.registry
    assert registry.get_sample_value("qgtm_cycles_total") == 40
    assert registry.get_sample_value("qgtm_step_latency_seconds_count", {"step": "07-risk"}) == 40
    fills = sum(len(r.execution.fills) for r in results)
    assert fills > 0
    assert registry.get_sample_value("qgtm_fills_total") == fills
    assert registry.get_sample_value("qgtm_data_freshness_seconds", {"feed": "bars:GLD"}) is not None
    assert hub.head_seq == sum(
        2 + len(r.signals) + len(r.execution.orders) + len(r.execution.fills) + 1 for r in results
    )
    signals = [s for r in results for s in r.signals]
    assert signals
    assert [v.instrument for v in recent.signals(1000)] == [s.instrument for s in signals][-1000:]


def test_signal_publisher_from_settings_holds_delayed_signals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QGTM_RUN__VAR_DIR", str(tmp_path))
    monkeypatch.setenv("QGTM_SIGNALS__DELAYED_MINUTES", "5")
    clock = ManualClock(_T0)
    publisher = build_signal_publisher(load_settings(None), clock)
    bus = InProcessBus()
    got: list[object] = []
    bus.subscribe("signal", got.append)
    publisher.subscribe(Subscriber("desk", Tier.DELAYED, EventBusChannel(bus)))
    signal = Signal(StrategyId("gold_trend"), InstrumentId("GLD"), Direction.LONG, 0.4, 5, _T0)
    publisher.publish([signal])
    clock.advance_to(_T0 + timedelta(minutes=5) - timedelta(seconds=1))
    publisher.pump()
    assert got == []
    clock.advance_to(_T0 + timedelta(minutes=5))
    assert len(publisher.pump().delivered) == 1
    assert (tmp_path / "signal-deliveries.sqlite").is_file()


def test_serve_refuses_a_directory_that_is_not_a_run(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["api", "serve", "--run", str(tmp_path)], env=_env(tmp_path))
    assert result.exit_code != 0
    assert isinstance(result.exception, ConfigError)
    assert "not a run directory" in str(result.exception)


def test_openapi_command_prints_the_schema(tmp_path: Path) -> None:
    out = tmp_path / "openapi.json"
    result = CliRunner().invoke(app, ["api", "openapi", "--out", str(out)])
    assert result.exit_code == 0
    schema = json.loads(out.read_text())
    assert "/v1/kill-switch/trip" in schema["paths"]


_T0 = datetime(2024, 1, 2, 21, tzinfo=UTC)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.booleans(), st.integers(1, 50), st.integers(100, 300), st.integers(0, 3)), min_size=1, max_size=30
    ),
    st.integers(100, 300),
)
def test_portfolio_accounting_identity(trades: list[tuple[bool, int, int, int]], mark: int) -> None:
    """Equity = initial cash + realised + unrealised P&L - commissions, whatever the fill sequence."""
    fills = [
        Fill(
            ExecutionId(f"e{n}"),
            ClientOrderId(f"c{n}"),
            InstrumentId("GLD"),
            Side.BUY if buy else Side.SELL,
            Decimal(qty),
            Decimal(price),
            Decimal(fee),
            _T0 + timedelta(minutes=n),
            CorrelationId("sig-20240102-210000-abcd"),
        )
        for n, (buy, qty, price, fee) in enumerate(trades)
    ]
    initial = Decimal(1_000_000)
    view = portfolio_from_fills(fills, initial, {"GLD": Decimal(mark)})
    identity = initial + view.realized_pnl + view.unrealized_pnl - view.commissions
    assert abs(view.equity - identity) < Decimal("1e-12")  # average cost divides: exact up to 28 digits
    net = sum((f.quantity * f.side.sign for f in fills), Decimal(0))
    assert sum((p.quantity for p in view.positions), Decimal(0)) == net
