"""The pipeline backtest engine over real GLD bars: determinism, provenance, look-ahead, tear sheet.

The ten steps here are small implementations of core's ports written in the test (SMA cross,
fixed weight, integer shares) so the engine is checked independently of the other packages; the
app's tests run the same engine with the real steps.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

import polars as pl
import pytest
from rich.console import Console

from qgtm_backtest import (
    RunManifest,
    SimulatedVenue,
    code_version,
    hash_files,
    read_manifest,
    render_tearsheet,
    run_backtest,
    sha256_file,
    verify_inputs,
)
from qgtm_core import (
    ZERO,
    AccountState,
    AuditEntry,
    AuditRecord,
    Bar,
    ComplianceResult,
    CorrelationId,
    DataError,
    Direction,
    ExecutionReport,
    FeatureSet,
    FilterResult,
    InstrumentId,
    IntegrityError,
    LookAheadError,
    ManualClock,
    OrderIntent,
    Pipeline,
    PipelineError,
    PipelineSteps,
    PitSnapshot,
    Posture,
    RiskReport,
    RiskResult,
    Side,
    Signal,
    StrategyId,
    TargetPortfolio,
    client_order_id_for,
    to_decimal,
)

GLD = InstrumentId("GLD")
DELAY = timedelta(minutes=15)
SESSION = timedelta(hours=6, minutes=30)


def pit_frame(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns((pl.col("as_of") + DELAY).alias("available_at")).select(
        "as_of", "available_at", "open", "high", "low", "close", "volume"
    )


@dataclass
class Source:
    frame: pl.DataFrame
    peek: timedelta = timedelta(0)

    def snapshot(self, at: datetime) -> PitSnapshot:
        visible = self.frame.filter(pl.col("available_at") <= at + self.peek)
        return PitSnapshot(at=at, bars={GLD: visible})


class Features:
    def compute(self, snapshot: PitSnapshot) -> FeatureSet:
        close = snapshot.bars[GLD].get_column("close")
        fast = close.tail(20).mean() if close.len() >= 50 else None
        slow = close.tail(50).mean() if close.len() >= 50 else None
        values = (
            {"fast": float(fast), "slow": float(slow)} if isinstance(fast, float) and isinstance(slow, float) else {}
        )
        return FeatureSet(snapshot.at, {GLD: values})


class Strategies:
    def generate(self, features: FeatureSet) -> tuple[Signal, ...]:
        fast, slow = features.get(GLD, "fast"), features.get(GLD, "slow")
        direction = Direction.LONG if fast > slow else Direction.FLAT
        return (Signal(StrategyId("sma"), GLD, direction, 1.0, 5, features.at),)


class Aggregator:
    def aggregate(self, signals: Sequence[Signal], features: FeatureSet) -> TargetPortfolio:
        return TargetPortfolio(
            features.at, {s.instrument: 0.5 if s.direction is Direction.LONG else 0.0 for s in signals}
        )


class PassThrough:
    def filter(self, target: TargetPortfolio, signals: Sequence[Signal], features: FeatureSet) -> FilterResult:
        return FilterResult(target, (), "calm")

    def check(self, target: TargetPortfolio, account: AccountState) -> ComplianceResult:
        return ComplianceResult(target, ())

    def assess(self, target: TargetPortfolio, account: AccountState, features: FeatureSet) -> RiskResult:
        equity = float(account.equity)
        report = RiskReport(target.at, equity, equity, 0.0, target.gross, target.net, Posture.FULL, False, ())
        return RiskResult(target, report)


class Planner:
    def plan(
        self,
        target: TargetPortfolio,
        account: AccountState,
        marks: Mapping[InstrumentId, Decimal],
        correlation_id: CorrelationId,
    ) -> tuple[OrderIntent, ...]:
        out = []
        for instrument, weight in target.weights.items():
            mark = marks[instrument]
            want = (to_decimal(weight) * account.equity / mark).quantize(Decimal(1), rounding=ROUND_DOWN)
            held = account.positions[instrument].quantity if instrument in account.positions else ZERO
            delta = want - held
            if delta != 0:
                side = Side.BUY if delta > 0 else Side.SELL
                coid = client_order_id_for(correlation_id, instrument, "entry")
                out.append(OrderIntent(coid, correlation_id, instrument, side, abs(delta)))
        return tuple(out)


@dataclass
class Executor:
    venue: SimulatedVenue
    clock: ManualClock
    cursor: int = 0

    def account(self, marks: Mapping[InstrumentId, Decimal]) -> AccountState:
        return AccountState(self.clock.now(), self.venue.cash(), self.venue.positions(), dict(marks))

    def execute(
        self, intents: Sequence[OrderIntent], correlation_id: CorrelationId, marks: Mapping[InstrumentId, Decimal]
    ) -> ExecutionReport:
        orders = tuple(self.venue.submit(i) for i in intents)
        fills, self.cursor = self.venue.fills_since(self.cursor)
        return ExecutionReport(orders, tuple(fills), self.account(marks))


@dataclass
class Audit:
    records: list[AuditRecord] = field(default_factory=list)

    def append(self, entry: AuditEntry) -> AuditRecord:
        record = AuditRecord(len(self.records) + 1, entry, "prev", f"h{len(self.records) + 1}")
        self.records.append(record)
        return record

    def flush(self) -> None:
        return None


@dataclass
class Rig:
    pipeline: Pipeline
    clock: ManualClock
    venue: SimulatedVenue
    schedule: list[datetime]
    frame: pl.DataFrame

    def feed(self, at: datetime) -> None:
        for row in self.frame.filter(pl.col("available_at") == at).iter_rows(named=True):
            bar = Bar(
                GLD,
                row["as_of"],
                row["available_at"],
                row["open"],
                row["high"],
                row["low"],
                row["close"],
                row["volume"],
            )
            self.venue.on_bar_ohlc(bar, row["as_of"] - SESSION)


def rig(frame: pl.DataFrame, *, peek: timedelta = timedelta(0), sessions: int = 400) -> Rig:
    pit = pit_frame(frame)
    schedule = pit.get_column("available_at").to_list()[-sessions:]
    clock = ManualClock(schedule[0] - timedelta(seconds=1))
    venue = SimulatedVenue(Decimal(100_000), clock)
    passthrough = PassThrough()
    steps = PipelineSteps(
        Source(pit, peek),
        Features(),
        Strategies(),
        Aggregator(),
        passthrough,
        passthrough,
        passthrough,
        Planner(),
        Executor(venue, clock),
        Audit(),
    )
    return Rig(Pipeline(steps, clock, actor="qgtm-backtest"), clock, venue, schedule, pit)


@pytest.fixture(scope="module")
def gld(gld_frame: pl.DataFrame) -> pl.DataFrame:
    return gld_frame


def run(r: Rig, **kw: object):  # type: ignore[no-untyped-def]
    return run_backtest(r.pipeline, r.clock, r.schedule, r.feed, **kw)  # type: ignore[arg-type]


def test_backtest_runs_the_pipeline_and_books_equity(gld: pl.DataFrame) -> None:
    r = rig(gld)
    seen: list[int] = []
    result = run(r, after_cycle=lambda c: seen.append(c.cycle))
    assert result.cycles == len(r.schedule) == len(seen) == 400
    assert result.fills.height > 4
    last_close = Decimal(repr(gld.get_column("close")[-1]))
    held = r.venue.positions().get(GLD)
    expected = r.venue.cash() + (held.quantity * last_close if held else ZERO)
    assert result.final_equity == pytest.approx(float(expected), abs=1e-6)
    assert 0.0 < result.metrics.exposure < 0.6
    assert result.metrics.turnover > 0
    returns = result.returns.to_numpy()
    assert (1 + returns).prod() * 100_000 == pytest.approx(result.final_equity, rel=1e-12)
    assert set(result.exposure.get_column("instrument").unique()) == {"GLD"}


def test_same_inputs_same_bytes_changed_input_changes_digest(gld: pl.DataFrame, tmp_path: Path) -> None:
    first, second = run(rig(gld)), run(rig(gld))
    assert first.outputs() == second.outputs()
    assert first.output_digest() == second.output_digest()
    late = pl.int_range(pl.len()) >= gld.height - 200
    bumped = gld.with_columns(
        pl.when(late).then(pl.col(c) * 1.01).otherwise(pl.col(c)).alias(c) for c in ("open", "close")
    )
    assert run(rig(bumped)).output_digest() != first.output_digest()
    written = first.write(tmp_path / "out")
    assert sorted(written) == ["equity.csv", "exposure.csv", "fills.csv", "metrics.json"]
    assert json.loads(written["metrics.json"].read_text())["cagr"] == pytest.approx(first.metrics.cagr)


def test_a_strategy_reading_tomorrows_bar_gets_an_error_not_a_profit(gld: pl.DataFrame) -> None:
    leaky = rig(gld, peek=timedelta(days=1))
    with pytest.raises(LookAheadError, match=r"bars:GLD row \d+ .* after the clock"):
        run(leaky)
    assert leaky.venue.fills_since(0)[1] == 0  # stopped on the first cycle, before any order


def test_progress_bar_and_empty_schedule(gld: pl.DataFrame) -> None:
    out = io.StringIO()
    r = rig(gld, sessions=30)
    run(r, progress=True, console=Console(file=out, force_terminal=True, width=100), description="unit")
    assert "unit" in out.getvalue()
    with pytest.raises(PipelineError, match="schedule is empty"):
        run_backtest(r.pipeline, r.clock, [])


def test_tearsheet_is_self_contained_and_deterministic(gld: pl.DataFrame) -> None:
    result = run(rig(gld))
    bench = pit_frame(gld).select(pl.col("available_at").alias("at"), pl.col("close").alias("equity"))
    folds = pl.DataFrame({"fold": [0, 1], "oos_sharpe": [0.4, -0.1]})
    manifest = {"kind": "backtest", "seed": 7}
    page = render_tearsheet(result, title="GLD <test>", benchmark=bench, folds=folds, manifest=manifest)
    again = render_tearsheet(result, title="GLD <test>", benchmark=bench, folds=folds, manifest=manifest)
    assert page == again
    assert page.startswith("<!DOCTYPE html>")
    assert "GLD &lt;test&gt;" in page
    for heading in (
        "Equity vs benchmark",
        "Drawdown",
        "Monthly returns",
        "Rolling Sharpe",
        "Rolling volatility",
        "Exposure by instrument",
        "Trades (",
        "Walk-forward folds",
        "Run manifest",
    ):
        assert heading in page
    assert page.count("<svg") == 5
    assert "<script" not in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in page
    empty = render_tearsheet(run(rig(gld, sessions=1)))
    assert "not enough data" in empty


def test_manifest_round_trip_and_tamper_detection(tmp_path: Path, data_dir: Path) -> None:
    data = tmp_path / "data"
    (data / "etf").mkdir(parents=True)
    shutil.copy(data_dir / "etf" / "GLD_daily_yahoo_2004_2024.csv", data / "etf" / "GLD.csv")
    hashes = hash_files(data, ["etf/GLD.csv", "etf/GLD.csv"])
    assert hashes == {"etf/GLD.csv": sha256_file(data_dir / "etf" / "GLD_daily_yahoo_2004_2024.csv")}
    version = code_version(["qgtm_backtest", "qgtm_core"])
    assert version == code_version(["qgtm_core", "qgtm_backtest"])
    assert "+src." in version
    manifest = RunManifest("backtest", {"run": {"seed": 7}}, hashes, version, 7, "abc", {"equity.csv": "def"})
    path = manifest.write(tmp_path / "manifest.json")
    loaded = read_manifest(path)
    assert loaded == manifest
    assert loaded.to_json() == path.read_bytes()
    verify_inputs(loaded, data)
    with (data / "etf" / "GLD.csv").open("a", encoding="utf-8") as stream:
        stream.write("2024-12-31,1,1,1,1,1,1\n")
    with pytest.raises(IntegrityError, match=r"GLD\.csv: sha256 .* differs from the manifest"):
        verify_inputs(loaded, data)
    body = json.loads(path.read_text())
    body["config"]["run"]["seed"] = 8
    path.write_text(json.dumps(body))
    with pytest.raises(IntegrityError, match="config_hash"):
        read_manifest(path)
    del body["seed"]
    path.write_text(json.dumps(body))
    with pytest.raises(DataError, match="missing seed"):
        read_manifest(path)
    path.write_text("[1]")
    with pytest.raises(DataError, match="JSON object"):
        read_manifest(path)
    path.write_text("{")
    with pytest.raises(DataError, match="not JSON"):
        read_manifest(path)
    with pytest.raises(DataError, match="manifest not found"):
        read_manifest(tmp_path / "nope.json")
    with pytest.raises(DataError, match="input file not found"):
        sha256_file(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="not an importable package"):
        code_version(["no_such_module_qgtm"])


def test_start_equity_is_the_account_before_the_first_cycle(gld: pl.DataFrame) -> None:
    result = run(rig(gld, sessions=60))
    first = result.equity.row(0, named=True)
    assert first["returns"] == pytest.approx(first["equity"] / 100_000 - 1)
    assert datetime(2024, 1, 1, tzinfo=UTC) < first["at"] + timedelta(days=400)
