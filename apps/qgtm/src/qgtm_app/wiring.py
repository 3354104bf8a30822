"""Composition root: builds the ten-step paper pipeline from the configuration.

This is the only module that knows which implementation backs each port. Backtest, paper and
live differ here only in clock, data source and broker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from qgtm_app.paths import RunPaths
from qgtm_audit import SqliteHashChainLog
from qgtm_backtest import PerShareCommission, SimulatedVenue
from qgtm_compliance import PositionLimitCompliance
from qgtm_core import (
    DEFAULT_UNIVERSE,
    ConfigError,
    InstrumentId,
    ManualClock,
    Pipeline,
    PipelineSteps,
    QgtmSettings,
    to_decimal,
)
from qgtm_data import BundledDailySource
from qgtm_execution import BrokerExecutor, SqliteStateStore, TargetOrderPlanner
from qgtm_features import BasicFeatureEngine
from qgtm_ml import PassThroughRegimeFilter
from qgtm_portfolio import ConvictionWeightedAggregator
from qgtm_risk import LeverageDrawdownRiskGate, RiskLimits
from qgtm_strategies import StrategyBook, build_strategies

__all__ = ["PaperRig", "build_paper_rig"]

_OPEN_BEFORE_CLOSE = timedelta(hours=6, minutes=30)


@dataclass
class PaperRig:
    """Everything a paper replay needs, wired."""

    pipeline: Pipeline
    clock: ManualClock
    venue: SimulatedVenue
    source: BundledDailySource
    audit: SqliteHashChainLog
    state: SqliteStateStore
    risk: LeverageDrawdownRiskGate
    schedule: list[datetime]
    opens: dict[datetime, list[tuple[InstrumentId, float, datetime]]]

    def feed_venue(self, at: datetime) -> None:
        """The world moves: bars that became available at ``at`` opened earlier that day."""
        for instrument, open_price, opened_at in self.opens.get(at, ()):
            self.venue.on_bar(instrument, open_price, opened_at)

    def close(self) -> None:
        """Flush and close the stores."""
        self.audit.close()
        self.state.close()


def _schedule(source: BundledDailySource, settings: QgtmSettings) -> list[datetime]:
    run = settings.run
    sessions = [
        s for s in source.common_sessions() if s.date() >= run.start and (run.end is None or s.date() <= run.end)
    ]
    if not sessions:
        msg = f"run.start/run.end: no trading session of {', '.join(run.instruments)} between {run.start} and {run.end}"
        raise ConfigError(msg)
    return sessions


def build_paper_rig(settings: QgtmSettings, paths: RunPaths) -> PaperRig:
    """Wire the paper pipeline over the bundled data."""
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
    venue = SimulatedVenue(
        to_decimal(run.initial_cash),
        clock,
        PerShareCommission(
            to_decimal(settings.execution.commission_per_share), to_decimal(settings.execution.min_commission)
        ),
        {i: universe[i].multiplier for i in universe},
    )
    state = SqliteStateStore(paths.state_db)
    audit = SqliteHashChainLog(paths.audit_db)
    risk = LeverageDrawdownRiskGate(
        RiskLimits(settings.risk.max_gross_leverage, settings.risk.max_net_leverage, settings.risk.max_drawdown),
        state,
    )
    steps = PipelineSteps(
        data=source,
        features=BasicFeatureEngine(settings.features.fast_window, settings.features.slow_window),
        strategies=StrategyBook(build_strategies(settings.strategies.enabled)),
        aggregation=ConvictionWeightedAggregator(
            settings.portfolio.max_weight, settings.portfolio.cash_buffer, settings.portfolio.long_only
        ),
        regime=PassThroughRegimeFilter(),
        compliance=PositionLimitCompliance(settings.compliance.max_position_weight, settings.compliance.restricted),
        risk=risk,
        orders=TargetOrderPlanner(universe, settings.execution.min_trade_weight),
        executor=BrokerExecutor(venue, state, state, universe, clock),
        audit=audit,
    )
    opens: dict[datetime, list[tuple[InstrumentId, float, datetime]]] = {}
    wanted = set(schedule)
    for instrument in universe:
        frame = source.bars(instrument).select("as_of", "available_at", "open")
        for as_of, available_at, open_price in frame.iter_rows():
            if available_at in wanted:
                opens.setdefault(available_at, []).append((instrument, open_price, as_of - _OPEN_BEFORE_CLOSE))
    pipeline = Pipeline(steps, clock, actor=f"qgtm-{run.mode.value}")
    return PaperRig(pipeline, clock, venue, source, audit, state, risk, schedule, opens)
