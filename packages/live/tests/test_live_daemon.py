"""The daemon loop: resume after a crash with the same cycle numbers, stops, halts, broker errors."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from qgtm_core import (
    AccountState,
    BrokerError,
    ClientOrderId,
    CorrelationId,
    InstrumentId,
    ManualClock,
    OrderIntent,
    Position,
    Side,
    WallClock,
    correlation_id_for,
)
from qgtm_live import (
    CYCLE_KEY,
    Daemon,
    DecisionLog,
    Heartbeat,
    MemoryAlerts,
    ModelHotSwap,
    ReplayDaemon,
    RestartTracker,
    WallClockPacer,
    Watchdog,
    WatchdogLimits,
)

T0 = datetime(2024, 3, 1, 14, 30, tzinfo=UTC)
SCHEDULE = [T0 + timedelta(days=d) for d in range(6)]


class Kv(dict):
    def get(self, key):
        return super().get(key)

    def put(self, key, value):
        self[key] = value


class Pipeline:
    """Stands in for ``qgtm_core.Pipeline``: records (cycle, time) and can fail on cue."""

    def __init__(self, clock, fail_at=None, error=RuntimeError):
        self.clock = clock
        self.ran: list[tuple[int, datetime]] = []
        self.fail_at = fail_at
        self.error = error

    def run_cycle(self, cycle):
        at = self.clock.now()
        if self.fail_at == cycle:
            self.fail_at = None
            raise self.error(f"boom at cycle {cycle}")
        self.ran.append((cycle, at))
        return SimpleNamespace(cycle=cycle, at=at, correlation_id=correlation_id_for(at, cycle))


def test_a_crashed_cycle_is_rerun_with_the_same_number_and_time(tmp_path):
    state, clock = Kv(), ManualClock(T0 - timedelta(seconds=1))
    first = Pipeline(clock, fail_at=3)
    with pytest.raises(RuntimeError, match="cycle 3"):
        ReplayDaemon(first, clock, state=state).run(SCHEDULE)
    assert state[CYCLE_KEY] == {"cycle": 3, "at": SCHEDULE[2].isoformat(), "done": False}
    second = Pipeline(clock)
    beat = Heartbeat(tmp_path / "hb.json")
    stats = ReplayDaemon(second, clock, state=state, heartbeat=beat).run(SCHEDULE)
    assert second.ran[0] == (3, SCHEDULE[2])  # same number, same time: same correlation id
    assert [c for c, _ in first.ran + second.ran] == [1, 2, 3, 4, 5, 6]
    assert stats.resumed_at_cycle == 3
    assert beat.read().cycle == 6
    third = Pipeline(clock)
    assert Daemon(third, clock, state=state).run(SCHEDULE).cycles == 0  # everything was done


def test_stop_max_cycles_and_halt_end_the_loop_between_cycles():
    clock = ManualClock(T0 - timedelta(seconds=1))
    daemon = Daemon(
        Pipeline(clock), clock, before_cycle=lambda at: daemon.request_stop() if at == SCHEDULE[2] else None
    )
    stats = daemon.run(SCHEDULE)
    assert (stats.cycles, stats.stopped_early) == (3, True)
    assert Daemon(Pipeline(clock), clock).run(SCHEDULE[3:], max_cycles=2).cycles == 2
    halted = Daemon(Pipeline(ManualClock(T0)), ManualClock(T0), halted=lambda: "mismatch")
    stats = halted.run(SCHEDULE)
    assert (stats.cycles, stats.halted) == (1, "mismatch")


def test_a_broker_error_skips_the_cycle_with_an_alarm():
    clock = ManualClock(T0 - timedelta(seconds=1))
    alerts = MemoryAlerts()
    pipeline = Pipeline(clock, fail_at=2, error=BrokerError)
    stats = Daemon(pipeline, clock, watchdog=Watchdog(alerts)).run(SCHEDULE[:4])
    assert stats.broker_errors == 1
    assert [c for c, _ in pipeline.ran] == [1, 2, 3]  # cycle 2 ran at the next time instead
    assert pipeline.ran[1][1] == SCHEDULE[2]
    assert alerts.sent[0][0] == "broker disconnected"


def test_watchdogs_restarts_and_hot_swap_are_driven_by_the_loop():
    clock = ManualClock(T0 - timedelta(seconds=1))
    alerts, state = MemoryAlerts(), Kv()
    installed = []
    swap = ModelHotSwap(lambda: "m2", installed.append)
    daemon = Daemon(
        Pipeline(clock),
        clock,
        state=state,
        watchdog=Watchdog(alerts, WatchdogLimits(stale_data=timedelta(hours=1), cycle_overrun=timedelta(0))),
        restarts=RestartTracker(state, alerts),
        hot_swap=swap,
        session_open=lambda at: at.replace(hour=14, minute=30),
        latest_data=lambda at: at - timedelta(hours=2),
        broker_connected=lambda: False,
    )
    stats = daemon.run(SCHEDULE[:2])
    assert stats.hot_swaps == 2  # one install per session open
    assert {"stale data", "broker disconnected", "cycle overrun"} <= set(stats.alarms)
    assert state["live.failed_restarts"] == 0


def test_wall_clock_pacer_waits_and_can_be_interrupted():
    pacer = WallClockPacer(WallClock())
    assert pacer.wait_until(datetime.now(UTC) - timedelta(seconds=1))
    assert pacer.wait_until(datetime.now(UTC) + timedelta(milliseconds=30))
    pacer.stop()
    assert not pacer.wait_until(datetime.now(UTC) + timedelta(hours=1))
    clock = WallClock()
    daemon = Daemon(Pipeline(clock), clock, pacer=WallClockPacer(clock))
    daemon.request_stop()
    assert daemon.run([datetime.now(UTC) + timedelta(hours=1)]).stopped_early


def test_decision_log_round_trips_and_names_bad_lines(tmp_path):
    gld = InstrumentId("GLD")
    cid = CorrelationId("sig-20240301-143000-abcd")
    intent = OrderIntent(ClientOrderId(f"{cid}-1"), cid, gld, Side.BUY, Decimal(3))
    account = AccountState(
        T0, Decimal(1000), {gld: Position(gld, Decimal(2), Decimal(180))}, {gld: Decimal(181)}, {gld: Decimal(1)}
    )
    result = SimpleNamespace(
        cycle=4,
        correlation_id=cid,
        at=T0,
        account=account,
        intents=(intent,),
        risk=SimpleNamespace(approved=SimpleNamespace(weights={gld: 0.25})),
    )
    log = DecisionLog(tmp_path / "d" / "decisions.jsonl")
    assert list(log) == []
    written = log.record(result, 0.125)
    (read,) = list(log)
    assert read == written
    assert read.account.equity == account.equity
    assert read.intents[0]["client_order_id"] == intent.client_order_id
    with log.path.open("a") as fh:
        fh.write("\n{not json\n")
    with pytest.raises(ValueError, match=r"decisions\.jsonl:3"):
        list(log)
