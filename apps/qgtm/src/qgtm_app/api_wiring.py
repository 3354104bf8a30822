"""Adapts a run directory (and a running daemon) into the API's read models, controls and stream.

The API package never opens our stores; this module does, in the app, where importing several
packages is allowed. A run directory holds ``state.sqlite`` (OMS orders, fills and key-value
state such as the kill switch), ``audit/`` (the daemon's Merkle audit log, read-only here;
``audit.sqlite`` for hash-chain runs) and
``summary.json``; the API's own writes go to ``api-audit.sqlite`` beside them, so the API never
races the daemon for the next link of the daemon's chain.

Controls write to the key-value state the daemon reads: the kill switch through
``qgtm_risk.KillSwitch`` (``risk.kill_switch``), a flatten request under ``api.flatten_request``
and paused strategies under ``strategies.paused`` (a sorted list of names).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import cast

import redis

from qgtm_api import (
    ApiKeyStore,
    ApiServices,
    AuditRecordView,
    BacktestRunView,
    ComplianceBlockView,
    FillView,
    FlattenView,
    InMemoryState,
    KillSwitchView,
    MetricsRecorder,
    OrderView,
    PortfolioView,
    PositionView,
    RateLimiter,
    RedisStreamRelay,
    RiskView,
    SignalView,
    StrategyView,
    StreamHub,
    StreamPublisher,
    TearSheetView,
)
from qgtm_app.desk_controls import FLATTEN_KEY, PAUSED_KEY
from qgtm_app.paths import RunPaths
from qgtm_audit import MerkleAuditLog, SqliteHashChainLog, is_merkle_log
from qgtm_core import (
    ZERO,
    AuditEntry,
    AuditRecord,
    Clock,
    CycleResult,
    Fill,
    JsonValue,
    Order,
    QgtmSettings,
    Signal,
    WallClock,
    to_jsonable,
)
from qgtm_execution import SqliteStateStore
from qgtm_risk import KillSwitch
from qgtm_signals import DeliveryLog, SignalPublisher, TierSchedule

__all__ = [
    "DaemonStreamPublisher",
    "RunDirectoryReadModel",
    "ThreadConfinedAuditLog",
    "build_api_services",
    "build_signal_publisher",
    "cycle_events",
    "portfolio_from_fills",
    "publish_cycle",
    "signal_view",
]

_RUN_STAMP = "run-%Y%m%dT%H%M%S%fZ"


class ThreadConfinedAuditLog:
    """The audit package's SQLite chain, driven from one dedicated thread.

    FastAPI runs endpoints on a thread pool, while a SQLite connection belongs to the thread that
    opened it; confining every call to one worker thread also serialises appends, which the hash
    chain needs anyway. Implements ``AuditLog``.
    """

    def __init__(self, path: Path) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qgtm-api-audit")
        self._log = self._pool.submit(SqliteHashChainLog, path).result()

    def append(self, entry: AuditEntry) -> AuditRecord:
        """Append on the audit thread."""
        return self._pool.submit(self._log.append, entry).result()

    def flush(self) -> None:
        """Flush on the audit thread."""
        self._pool.submit(self._log.flush).result()

    def records(self, correlation_id: str) -> list[AuditRecord]:
        """Flushed records of one correlation id."""

        def read() -> list[AuditRecord]:
            self._log.flush()
            return list(self._log.records(correlation_id))

        return self._pool.submit(read).result()

    def close(self) -> None:
        """Close the log and stop the thread."""
        self._pool.submit(self._log.close).result()
        self._pool.shutdown()


@dataclass
class _Book:
    quantity: Decimal = ZERO
    average: Decimal = ZERO
    realized: Decimal = ZERO
    last_price: Decimal = ZERO


def portfolio_from_fills(
    fills: Sequence[Fill], initial_cash: Decimal, marks: Mapping[str, Decimal] | None = None
) -> PortfolioView:
    """Replay fills into positions with average-cost P&L; unmarked positions use the last fill price."""
    books: dict[str, _Book] = {}
    cash = initial_cash
    commissions = ZERO
    for fill in fills:
        book = books.setdefault(fill.instrument, _Book())
        signed = fill.quantity * fill.side.sign
        cash -= signed * fill.price + fill.commission
        commissions += fill.commission
        book.last_price = fill.price
        if book.quantity == 0 or (book.quantity > 0) == (signed > 0):
            total = book.quantity + signed
            book.average = (book.average * book.quantity + fill.price * signed) / total
            book.quantity = total
            continue
        closing_qty = min(abs(signed), abs(book.quantity))
        direction = Decimal(1) if book.quantity > 0 else Decimal(-1)
        book.realized += closing_qty * (fill.price - book.average) * direction
        book.quantity += signed
        if book.quantity == 0:
            book.average = ZERO
        elif (book.quantity > 0) != (direction > 0):
            book.average = fill.price  # flipped through flat: the remainder opened at this price
    positions: list[PositionView] = []
    for instrument in sorted(books):
        book = books[instrument]
        mark = (marks or {}).get(instrument, book.last_price)
        if book.quantity == 0 and book.realized == 0:
            continue
        positions.append(
            PositionView(
                instrument=instrument,
                quantity=book.quantity,
                average_price=book.average,
                mark=mark,
                market_value=book.quantity * mark,
                unrealized_pnl=book.quantity * (mark - book.average),
                realized_pnl=book.realized,
            )
        )
    value = sum((p.market_value for p in positions), ZERO)
    return PortfolioView(
        at=fills[-1].at if fills else None,
        cash=cash,
        equity=cash + value,
        realized_pnl=sum((p.realized_pnl for p in positions), ZERO),
        unrealized_pnl=sum((p.unrealized_pnl for p in positions), ZERO),
        commissions=commissions,
        positions=[p for p in positions if p.quantity != 0],
    )


def _order_view(order: Order) -> OrderView:
    i = order.intent
    return OrderView(
        client_order_id=i.client_order_id,
        correlation_id=i.correlation_id,
        instrument=i.instrument,
        side=i.side.value,
        quantity=i.quantity,
        order_type=i.order_type.value,
        status=order.status.value,
        filled_quantity=order.filled_quantity,
        average_fill_price=order.average_fill_price,
        reject_reason=order.reject_reason,
        updated_at=order.updated_at,
    )


def _fill_view(fill: Fill) -> FillView:
    return FillView(
        execution_id=fill.execution_id,
        client_order_id=fill.client_order_id,
        correlation_id=fill.correlation_id,
        instrument=fill.instrument,
        side=fill.side.value,
        quantity=fill.quantity,
        price=fill.price,
        commission=fill.commission,
        at=fill.at,
    )


class RunDirectoryReadModel:
    """Implements the API's readers and ``Controls`` over one run directory.

    ``signals`` holds recent signals (the daemon publishes them; a finished run has none) and is
    shared with whatever feeds it from the event bus.
    """

    def __init__(
        self,
        run: RunPaths,
        settings: QgtmSettings,
        *,
        clock: Clock | None = None,
        signals: InMemoryState | None = None,
    ) -> None:
        self._run = run
        self._settings = settings
        self._clock = clock or WallClock()
        self._state = SqliteStateStore(run.state_db)
        self._switch = KillSwitch(self._state)
        self._api_audit = ThreadConfinedAuditLog(run.root / "api-audit.sqlite")
        self._daemon_audit: MerkleAuditLog | None = None
        self.recent = signals or InMemoryState(self._clock)

    @property
    def api_audit(self) -> ThreadConfinedAuditLog:
        """Where API writes are recorded (the ``AuditLog`` to inject)."""
        return self._api_audit

    def close(self) -> None:
        """Flush and close the stores this model opened."""
        self._api_audit.close()
        if self._daemon_audit is not None:
            self._daemon_audit.close()
        self._state.close()

    # ------------------------------------------------------------------ the daemon's audit log (read-only)
    def _daemon_log(self) -> MerkleAuditLog | None:
        """The run's Merkle log, opened read-only once and refreshed before each query."""
        if self._daemon_audit is None:
            if not is_merkle_log(self._run.audit_dir):
                return None
            self._daemon_audit = MerkleAuditLog(self._run.audit_dir, read_only=True)
        self._daemon_audit.refresh()
        return self._daemon_audit

    def _newest(self, step: str, limit: int, where: Callable[[AuditRecord], bool] | None = None) -> list[AuditRecord]:
        """Newest first; the Merkle log reads backwards, the legacy chain is filtered in full."""
        log = self._daemon_log()
        if log is not None:
            return log.newest(step, limit, where)
        matching = [r for r in self._legacy_records(None) if r.entry.step == step and (where is None or where(r))]
        return matching[::-1][:limit]

    def _cycle_records(self, correlation_id: str) -> list[AuditRecord]:
        log = self._daemon_log()
        return list(log.records(correlation_id)) if log is not None else self._legacy_records(correlation_id)

    def _legacy_records(self, correlation_id: str | None) -> list[AuditRecord]:
        """Runs written with ``audit.log_format = "hash-chain"``."""
        if not self._run.audit_db.is_file():
            return []
        chain = SqliteHashChainLog(self._run.audit_db)
        try:
            return list(chain.records(correlation_id))
        finally:
            chain.close()

    # ------------------------------------------------------------------ readers
    def portfolio(self) -> PortfolioView:
        """Positions and P&L replayed from the run's fills."""
        return portfolio_from_fills(list(self._state.fills()), Decimal(str(self._settings.run.initial_cash)))

    def orders(self, limit: int) -> Sequence[OrderView]:
        """Newest orders by last update."""
        ordered = sorted(self._state.orders(), key=lambda o: (o.updated_at, o.client_order_id))
        return [_order_view(o) for o in ordered[-limit:]]

    def fills(self, limit: int) -> Sequence[FillView]:
        """Newest fills in the order recorded."""
        return [_fill_view(f) for f in list(self._state.fills())[-limit:]]

    def risk(self) -> RiskView | None:
        """The last risk step's posture; the kill switch as it stands now."""
        newest = self._newest("07-risk", 1)
        if not newest:
            return None
        entry = newest[0].entry
        data = entry.summary if isinstance(entry.summary, dict) else {}
        tripped = bool(data.get("kill_switch")) or self._switch.tripped
        return RiskView(
            at=entry.at,
            correlation_id=str(entry.correlation_id),
            posture=str(data.get("posture", "unknown")),
            kill_switch=tripped,
        )

    def compliance_blocks(self, limit: int) -> Sequence[ComplianceBlockView]:
        """One entry per rule hit in the newest compliance steps that had any."""

        def has_violations(record: AuditRecord) -> bool:
            summary = record.entry.summary
            return isinstance(summary, dict) and bool(summary.get("violations"))

        blocks: list[ComplianceBlockView] = []
        for record in reversed(self._newest("06-compliance", limit, has_violations)):
            entry = record.entry
            rules = entry.summary.get("violations") if isinstance(entry.summary, dict) else None
            blocks.extend(
                ComplianceBlockView(at=entry.at, correlation_id=str(entry.correlation_id), rule=str(rule))
                for rule in (rules if isinstance(rules, list) else [])
            )
        return blocks[-limit:]

    def signals(self, limit: int) -> Sequence[SignalView]:
        """Recent signals seen on the bus."""
        return self.recent.signals(limit)

    def _paused(self) -> set[str]:
        stored = self._state.get(PAUSED_KEY)
        return {str(s) for s in stored} if isinstance(stored, list) else set()

    def strategies(self) -> Sequence[StrategyView]:
        """Configured strategies and their paused flag."""
        paused = self._paused()
        return [
            StrategyView(name=name, enabled=True, paused=name in paused)
            for name in sorted(self._settings.strategies.enabled)
        ]

    def trace(self, correlation_id: str) -> Sequence[AuditRecordView]:
        """The daemon's records of a cycle, or the API's records of a write."""
        views: list[AuditRecordView] = []
        for record in [*self._cycle_records(correlation_id), *self._api_audit.records(correlation_id)]:
            e = record.entry
            views.append(
                AuditRecordView(
                    seq=record.seq,
                    at=e.at,
                    correlation_id=e.correlation_id,
                    step=e.step,
                    actor=e.actor,
                    input_digest=e.input_digest,
                    output_digest=e.output_digest,
                    summary=e.summary,
                    prev_hash=record.prev_hash,
                    record_hash=record.record_hash,
                )
            )
        return views

    def _run_dirs(self) -> Iterator[Path]:
        runs = self._run.root.parent
        yield from sorted(p for p in runs.iterdir() if (p / "summary.json").is_file())

    def runs(self) -> Sequence[BacktestRunView]:
        """Every run beside this one that wrote a summary (its tear sheet)."""
        views: list[BacktestRunView] = []
        for path in self._run_dirs():
            try:
                created: datetime | None = datetime.strptime(path.name, _RUN_STAMP).replace(tzinfo=UTC)
            except ValueError:
                created = None
            views.append(BacktestRunView(run_id=path.name, created_at=created))
        return views

    def tear_sheet(self, run_id: str) -> TearSheetView | None:
        """The run's summary figures."""
        path = self._run.root.parent / run_id / "summary.json"
        if "/" in run_id or run_id in {".", ".."} or not path.is_file():
            return None
        metrics = cast("dict[str, JsonValue]", json.loads(path.read_text(encoding="utf-8")))
        return TearSheetView(run_id=run_id, metrics=metrics)

    # ------------------------------------------------------------------ controls
    def kill_switch(self) -> KillSwitchView:
        """The persisted switch."""
        stored = self._state.get("risk.kill_switch")
        at = stored.get("at") if isinstance(stored, dict) else None
        return KillSwitchView(
            tripped=self._switch.tripped,
            reason=self._switch.reason,
            at=datetime.fromisoformat(at) if isinstance(at, str) else None,
        )

    def trip_kill_switch(self, reason: str, actor: str) -> KillSwitchView:
        """Trip through the risk package's switch (first reason kept)."""
        self._switch.trip(f"{reason} (api key {actor})", self._clock.now())
        return self.kill_switch()

    def reset_kill_switch(self, actor: str) -> KillSwitchView:
        """Clear, naming the key that did it."""
        self._switch.reset(f"apikey:{actor}", self._clock.now())
        return self.kill_switch()

    def flatten(self, reason: str, actor: str) -> FlattenView:
        """Leave a flatten request for the daemon's next cycle."""
        at = self._clock.now()
        self._state.put(FLATTEN_KEY, {"reason": reason, "by": f"apikey:{actor}", "at": at.isoformat()})
        return FlattenView(requested=True, reason=reason, at=at)

    def set_paused(self, strategy: str, paused: bool, actor: str) -> StrategyView | None:
        """Add or remove a configured strategy from the paused list."""
        if strategy not in self._settings.strategies.enabled:
            return None
        names = self._paused()
        if paused:
            names.add(strategy)
        else:
            names.discard(strategy)
        self._state.put(PAUSED_KEY, list[JsonValue](sorted(names)))
        return StrategyView(name=strategy, enabled=True, paused=paused)


def build_api_services(
    settings: QgtmSettings,
    run: RunPaths,
    *,
    clock: Clock | None = None,
    keys: ApiKeyStore | None = None,
) -> tuple[ApiServices, RunDirectoryReadModel]:
    """Everything ``create_app`` needs for one run directory; close the model when done."""
    chosen = clock or WallClock()
    model = RunDirectoryReadModel(run, settings, clock=chosen)
    relay = None
    if settings.bus.redis_url:
        relay = RedisStreamRelay(redis.Redis.from_url(settings.bus.redis_url), settings.bus.stream_channel)
    hub = StreamHub(settings.api.stream_buffer, clock=chosen, relay=relay)
    keys_path = settings.api.keys_path or settings.run.var_dir / "api-keys.sqlite"
    services = ApiServices(
        portfolio=model,
        trades=model,
        risk=model,
        signals=model,
        audit_reader=model,
        backtests=model,
        controls=model,
        audit_log=model.api_audit,
        keys=keys or ApiKeyStore(keys_path),
        hub=hub,
        metrics=MetricsRecorder(),
        clock=chosen,
        limiter=RateLimiter(),
        cors_origins=settings.api.cors_origins,
        heartbeat_seconds=settings.api.heartbeat_seconds,
    )
    return services, model


def cycle_events(result: CycleResult) -> list[tuple[str, dict[str, JsonValue]]]:
    """What one cycle puts on the WebSocket stream: prices, P&L, signals, orders, fills, risk state."""
    account = result.execution.account
    events: list[tuple[str, dict[str, JsonValue]]] = [
        ("price", {"correlation_id": result.correlation_id, "marks": to_jsonable(dict(account.marks))}),
        (
            "pnl",
            {
                "correlation_id": result.correlation_id,
                "equity": str(account.equity),
                "cash": str(account.cash),
            },
        ),
    ]
    events.extend(("signal", cast("dict[str, JsonValue]", to_jsonable(s))) for s in result.signals)
    events.extend(
        ("order", cast("dict[str, JsonValue]", to_jsonable(_order_view(o).model_dump(mode="json"))))
        for o in result.execution.orders
    )
    events.extend(
        ("fill", cast("dict[str, JsonValue]", to_jsonable(_fill_view(f).model_dump(mode="json"))))
        for f in result.execution.fills
    )
    report = result.risk.report
    events.append(
        (
            "kill_switch" if report.kill_switch else "risk",
            {
                "correlation_id": result.correlation_id,
                "posture": report.posture.value,
                "kill_switch": report.kill_switch,
            },
        )
    )
    return events


def signal_view(signal: Signal) -> SignalView:
    """The API's view of a core signal."""
    return SignalView(
        strategy=signal.strategy,
        instrument=signal.instrument,
        direction=int(signal.direction),
        conviction=signal.conviction,
        horizon_bars=signal.horizon_bars,
        as_of=signal.as_of,
        family=signal.family,
        rationale=signal.rationale,
    )


def build_signal_publisher(settings: QgtmSettings, clock: Clock) -> SignalPublisher:
    """The tiered publisher over ``[signals]``; add subscribers, then ``publish`` and ``pump`` each cycle."""
    cfg = settings.signals
    hours, minutes = (int(part) for part in cfg.eod_cutoff.split(":"))
    schedule = TierSchedule(
        delay=timedelta(minutes=cfg.delayed_minutes), eod_cutoff=time(hours, minutes), eod_timezone=cfg.eod_timezone
    )
    log = DeliveryLog(cfg.delivery_log or settings.run.var_dir / "signal-deliveries.sqlite")
    return SignalPublisher(log, clock, schedule)


class DaemonStreamPublisher:
    """The daemon's side of the stream: events go through Redis, stamped with the daemon's clock.

    The daemon serves no WebSocket clients; API processes subscribed to the same channel number
    nothing themselves and fan the relay's numbered events out to their clients.
    """

    def __init__(self, relay: RedisStreamRelay, clock: Clock) -> None:
        self._relay = relay
        self._clock = clock

    def publish(self, kind: str, data: Mapping[str, JsonValue]) -> None:
        """Number (in Redis) and publish one event."""
        self._relay.publish(kind, self._clock.now().isoformat(), dict(data))


def publish_cycle(stream: StreamPublisher, result: CycleResult, recent: InMemoryState | None = None) -> None:
    """Put one cycle's events on the stream (the hub in-process, or a Redis relay from the daemon).

    ``recent`` (the read model's signal buffer) also remembers the cycle's signals for ``/v1/signals``.
    """
    for kind, data in cycle_events(result):
        stream.publish(kind, data)
    if recent is not None:
        for signal in result.signals:
            recent.add_signal(signal_view(signal))
