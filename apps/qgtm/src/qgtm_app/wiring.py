"""Composition root: builds the ten-step paper pipeline from the configuration.

This is the only module that knows which implementation backs each port. Backtest, paper and
live differ here only in clock, data source and broker.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from qgtm_app.desk_controls import FlattenOnRequest, PausableStrategies
from qgtm_app.paths import RunPaths
from qgtm_audit import MerkleAuditLog, SqliteHashChainLog, open_merkle_log
from qgtm_backtest import PerShareCommission, SimulatedVenue
from qgtm_compliance import RuleBookCompliance, build_compliance_gate
from qgtm_core import (
    DEFAULT_UNIVERSE,
    AccountState,
    Broker,
    Clock,
    ConfigError,
    CorrelationId,
    ExecutionReport,
    InstrumentId,
    ManualClock,
    OrderIntent,
    Pipeline,
    PipelineSteps,
    QgtmSettings,
    RunMode,
    StepObserver,
    Universe,
    to_decimal,
)
from qgtm_data import BundledDailySource
from qgtm_execution import (
    AlpacaBroker,
    BrokerExecutor,
    ExecutionPolicy,
    JournalingBroker,
    OrderStyle,
    PostgresStateStore,
    Router,
    RoutingPolicy,
    ShadowExecutor,
    SliceMethod,
    SqliteStateStore,
    TargetOrderPlanner,
    Urgency,
    broker_account,
)
from qgtm_features import FeatureParams, LibraryFeatureEngine
from qgtm_ml import PassThroughRegimeFilter
from qgtm_portfolio import build_aggregator
from qgtm_risk import PortfolioRiskGate, build_risk_gate
from qgtm_strategies import SessionMask, SessionWindow, StrategyBook, build_strategies

__all__ = ["PaperRig", "build_paper_rig"]

_OPEN_BEFORE_CLOSE = timedelta(hours=6, minutes=30)


StateStore = SqliteStateStore | PostgresStateStore
PaperBroker = JournalingBroker | SimulatedVenue


@dataclass
class PaperRig:
    """Everything a replay needs, wired. ``venue`` is None when a real broker (Alpaca) is used."""

    pipeline: Pipeline
    clock: ManualClock
    venue: PaperBroker | None
    source: BundledDailySource
    audit: MerkleAuditLog | SqliteHashChainLog
    state: StateStore
    risk: PortfolioRiskGate
    compliance: RuleBookCompliance
    schedule: list[datetime]
    opens: dict[datetime, list[tuple[InstrumentId, float, datetime]]]
    broker: Broker
    executor: BrokerExecutor | ShadowExecutor
    steps: PipelineSteps
    closers: list[Callable[[], None]] = field(default_factory=list)

    def feed_venue(self, at: datetime) -> None:
        """The world moves: bars that became available at ``at`` opened earlier that day."""
        if self.venue is None:
            return
        for instrument, open_price, opened_at in self.opens.get(at, ()):
            self.venue.on_bar(instrument, open_price, opened_at)

    def close(self) -> None:
        """Flush and close the stores and broker connections."""
        for closer in self.closers:
            closer()
        self.audit.close()
        self.state.close()


def _state_store(settings: QgtmSettings, paths: RunPaths) -> StateStore:
    state = settings.state
    if state.database_url:
        return PostgresStateStore(state.database_url, schema=state.schema_name)
    return SqliteStateStore(paths.state_db, power_safe=state.power_safe)


def _broker(
    settings: QgtmSettings, paths: RunPaths, clock: Clock, universe: Universe
) -> tuple[Broker, PaperBroker | None, list[Callable[[], None]]]:
    """The broker named by ``execution.broker``: the (journaled) simulated venue or Alpaca."""
    ex = settings.execution
    if ex.broker == "alpaca":
        if ex.alpaca_key_id is None or ex.alpaca_secret_key is None:
            msg = "execution.alpaca_key_id/alpaca_secret_key: set QGTM_EXECUTION__ALPACA_KEY_ID and _SECRET_KEY"
            raise ConfigError(msg)
        alpaca = AlpacaBroker(
            ex.alpaca_key_id.get_secret_value(),
            ex.alpaca_secret_key.get_secret_value(),
            paper=ex.alpaca_paper,
            url_override=ex.alpaca_url,
            stream_url=ex.alpaca_stream_url,
        )
        return alpaca, None, [alpaca.close]
    if ex.broker != "paper":
        msg = f"execution.broker: unknown broker {ex.broker!r} (expected paper or alpaca)"
        raise ConfigError(msg)

    def venue(venue_clock: Clock) -> SimulatedVenue:
        return SimulatedVenue(
            to_decimal(settings.run.initial_cash),
            venue_clock,
            PerShareCommission(to_decimal(ex.commission_per_share), to_decimal(ex.min_commission)),
            {i: universe[i].multiplier for i in universe},
        )

    if not ex.journal_paper_venue:
        plain = venue(clock)
        return plain, plain, []
    journaled = JournalingBroker(paths.root / "venue-journal.sqlite", venue, clock)
    return journaled, journaled, [journaled.close]


class _FillsToCompliance:
    """Step 9 decorator: every fill the executor reports joins compliance's tax-lot history.

    Compliance replays the stored fills once at start-up; after that it learns each fill here, in
    the cycle that reported it, instead of re-reading the whole fill table every cycle.
    """

    def __init__(self, inner: BrokerExecutor | ShadowExecutor, compliance: RuleBookCompliance) -> None:
        self._inner = inner
        self._compliance = compliance

    def account(self, marks: Mapping[InstrumentId, Decimal]) -> AccountState:
        return self._inner.account(marks)

    def execute(
        self, intents: Sequence[OrderIntent], correlation_id: CorrelationId, marks: Mapping[InstrumentId, Decimal]
    ) -> ExecutionReport:
        report = self._inner.execute(intents, correlation_id, marks)
        for fill in report.fills:
            self._compliance.record_fill(fill)
        return report


def _feature_engine(settings: QgtmSettings) -> LibraryFeatureEngine:
    f = settings.features
    return LibraryFeatureEngine(
        FeatureParams(
            fast=f.fast_window,
            slow=f.slow_window,
            eigen_windows=f.eigen_windows,
            eigen_instruments=f.eigen_instruments,
        )
    )


def _audit_log(settings: QgtmSettings, paths: RunPaths) -> MerkleAuditLog | SqliteHashChainLog:
    """The Merkle log by default; the plain hash chain when ``audit.log_format = "hash-chain"``."""
    if settings.audit.log_format == "merkle":
        return open_merkle_log(paths.audit_dir, settings.audit, settings.run.var_dir)
    return SqliteHashChainLog(paths.audit_db)


def _routing(settings: QgtmSettings) -> RoutingPolicy:
    ex = settings.execution
    return RoutingPolicy(
        style=OrderStyle(ex.order_style),
        urgency=Urgency(ex.urgency),
        max_spread_bps=ex.max_spread_bps,
        max_participation=ex.max_participation,
        slicing=SliceMethod(ex.slicing),
        take_profit=ex.take_profit,
        stop_loss=ex.stop_loss,
    )


def _schedule(source: BundledDailySource, settings: QgtmSettings) -> list[datetime]:
    run = settings.run
    sessions = [
        s for s in source.common_sessions() if s.date() >= run.start and (run.end is None or s.date() <= run.end)
    ]
    if not sessions:
        msg = f"run.start/run.end: no trading session of {', '.join(run.instruments)} between {run.start} and {run.end}"
        raise ConfigError(msg)
    return sessions


def build_paper_rig(
    settings: QgtmSettings,
    paths: RunPaths,
    *,
    observer: StepObserver | None = None,
    wrap_broker: Callable[[Broker], Broker] | None = None,
    on_alarm: Callable[[str], None] | None = None,
) -> PaperRig:
    """Wire the pipeline over the bundled data (paper by default; shadow never sends).

    ``wrap_broker`` lets tests and tools interpose on the broker (fault injection, counting);
    ``on_alarm`` receives reconciliation alarms.
    """
    run = settings.run
    universe = DEFAULT_UNIVERSE.select(run.instruments)
    source = BundledDailySource(
        run.data_dir,
        run.instruments,
        series=("DFII10",),
        bar_delay=timedelta(minutes=settings.data.bar_publication_delay_minutes),
    )
    schedule = _schedule(source, settings)
    clock = ManualClock(schedule[0] - timedelta(seconds=1))
    state = _state_store(settings, paths)
    broker, venue, closers = _broker(settings, paths, clock, universe)
    if wrap_broker is not None:
        broker = wrap_broker(broker)
    ex = settings.execution
    executor: BrokerExecutor | ShadowExecutor
    if run.mode is RunMode.SHADOW:
        executor = ShadowExecutor(broker_account(broker, universe, clock))
    else:
        policy = ExecutionPolicy(
            position_tolerance=Decimal(str(ex.position_tolerance)),
            submit_attempts=ex.submit_attempts,
            slice_interval=timedelta(seconds=ex.slice_interval_seconds),
        )
        executor = BrokerExecutor(broker, state, state, universe, clock, policy=policy, on_alarm=on_alarm)
    audit = _audit_log(settings, paths)
    risk = build_risk_gate(settings.risk, state, run.data_dir)
    compliance = build_compliance_gate(settings.compliance, universe)
    compliance.replay(state.fills())
    steps = PipelineSteps(
        data=source,
        features=_feature_engine(settings),
        strategies=PausableStrategies(
            StrategyBook(
                build_strategies(settings.strategies.enabled),
                SessionMask(
                    enabled=frozenset(SessionWindow(w) for w in settings.strategies.session_windows),
                    outside_windows=settings.strategies.trade_outside_sessions,
                ),
            ),
            state,
        ),
        aggregation=build_aggregator(settings.portfolio, universe),
        regime=PassThroughRegimeFilter(),
        compliance=compliance,
        risk=FlattenOnRequest(risk, state, risk.kill_switch),
        orders=TargetOrderPlanner(universe, ex.min_trade_weight, Router(_routing(settings))),
        executor=_FillsToCompliance(executor, compliance),
        audit=audit,
    )
    opens: dict[datetime, list[tuple[InstrumentId, float, datetime]]] = {}
    wanted = set(schedule)
    for instrument in universe:
        frame = source.bars(instrument).select("as_of", "available_at", "open")
        for as_of, available_at, open_price in frame.iter_rows():
            if available_at in wanted:
                opens.setdefault(available_at, []).append((instrument, open_price, as_of - _OPEN_BEFORE_CLOSE))
    pipeline = Pipeline(steps, clock, actor=f"qgtm-{run.mode.value}", observer=observer)
    return PaperRig(
        pipeline=pipeline,
        clock=clock,
        venue=venue,
        source=source,
        audit=audit,
        state=state,
        risk=risk,
        compliance=compliance,
        schedule=schedule,
        opens=opens,
        broker=broker,
        executor=executor,
        steps=steps,
        closers=closers,
    )
