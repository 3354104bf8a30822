"""The simulated venue, shared by backtests and the paper broker of the live daemon.

The venue is the authority on cash and positions, exactly like a real broker, and refuses a
client order id it has already seen. It is advanced by market events (``on_bar`` with an open
price, ``on_bar_ohlc`` with a whole bar, ``on_quote`` with top of book); every order type the
OMS can send (market, limit, stop, stop-limit, brackets) is matched against those events under
an explicit ``FillModel`` with slippage, a volume participation cap, latency, time in force and
initial margin for futures. Nothing here reads the wall clock, so a replay is deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal

from qgtm_backtest._commission import CommissionSchedule, PerShareCommission
from qgtm_backtest._fills import FillModel, Slippage, trigger
from qgtm_core import (
    ZERO,
    Bar,
    BrokerError,
    ClientOrderId,
    Clock,
    ExecutionId,
    Fill,
    InstrumentId,
    Order,
    OrderIntent,
    OrderStatus,
    OrderType,
    Position,
    Quote,
    Side,
    TimeInForce,
    to_decimal,
)

__all__ = ["Bracket", "SimulatedVenue", "VenueRules"]

_ONE = Decimal(1)
_BPS = Decimal(10_000)


@dataclass(frozen=True)
class VenueRules:
    """How the venue fills. Defaults reproduce the first version: market orders at the next open.

    ``participation`` caps the quantity filled per bar at that fraction of the bar's volume (the
    rest stays working: partial fills); ``latency`` delays when an order can first fill;
    ``initial_margin`` is per contract, in account currency, for instruments traded on margin.
    """

    fill_model: FillModel = FillModel.NEXT_OPEN
    slippage: Slippage = field(default_factory=Slippage)
    spread_bps: Decimal = ZERO
    participation: float | None = None
    latency: timedelta = timedelta(0)
    initial_margin: Mapping[InstrumentId, Decimal] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.participation is not None and not 0 < self.participation <= 1:
            msg = f"venue.participation: must be in (0, 1], got {self.participation}"
            raise ValueError(msg)
        if self.latency < timedelta(0):
            msg = f"venue.latency: must not be negative, got {self.latency}"
            raise ValueError(msg)
        if self.spread_bps < 0:
            msg = f"venue.spread_bps: must not be negative, got {self.spread_bps}"
            raise ValueError(msg)


@dataclass(frozen=True, slots=True)
class Bracket:
    """An entry with a take-profit and a stop-loss leg; the legs cancel each other (OCO)."""

    entry: Order
    take_profit: Order
    stop_loss: Order


@dataclass(slots=True)
class _Working:
    active_from: datetime
    session: object = None
    triggered: bool = False


class SimulatedVenue:
    """Implements ``Broker``; advance it with ``on_bar``/``on_bar_ohlc``/``on_quote`` as the market moves."""

    def __init__(
        self,
        cash: Decimal,
        clock: Clock,
        commission: CommissionSchedule | None = None,
        multipliers: Mapping[InstrumentId, Decimal] | None = None,
        rules: VenueRules | None = None,
    ) -> None:
        self._cash = cash
        self._clock = clock
        self._commission: CommissionSchedule = commission or PerShareCommission()
        self._multipliers = dict(multipliers or {})
        self._rules = rules or VenueRules()
        self._orders: dict[ClientOrderId, Order] = {}
        self._working: dict[ClientOrderId, _Working] = {}
        self._held: dict[ClientOrderId, list[ClientOrderId]] = {}
        self._bracket_open: dict[ClientOrderId, Decimal] = {}
        self._positions: dict[InstrumentId, Position] = {}
        self._fills: list[Fill] = []
        self._last: dict[InstrumentId, Decimal] = {}

    @property
    def rules(self) -> VenueRules:
        """The fill rules in force."""
        return self._rules

    @property
    def has_working(self) -> bool:
        """True while any order can still fill (lets event loops skip idle bars cheaply)."""
        return bool(self._working)

    def multiplier(self, instrument: InstrumentId) -> Decimal:
        """Contract multiplier of ``instrument`` (1 unless configured)."""
        return self._multipliers.get(instrument, _ONE)

    # ------------------------------------------------------------------ Broker port

    def submit(self, intent: OrderIntent) -> Order:
        """Accept an order (or reject it for margin); it can fill from ``now + latency`` on."""
        self._check_new(intent.client_order_id)
        now = self._clock.now()
        refusal = self._margin_refusal(intent)
        if refusal is not None:
            order = Order(intent, OrderStatus.REJECTED, now, self._broker_id(), reject_reason=refusal)
            self._orders[intent.client_order_id] = order
            return order
        order = Order(intent=intent, status=OrderStatus.ACCEPTED, updated_at=now, broker_order_id=self._broker_id())
        self._orders[intent.client_order_id] = order
        self._working[intent.client_order_id] = _Working(now + self._rules.latency)
        return order

    def submit_bracket(self, entry: OrderIntent, take_profit: Decimal, stop_loss: Decimal) -> Bracket:
        """Place an entry with its exit legs at once; the legs work only once the entry fills."""
        buy = entry.side is Side.BUY
        if (take_profit <= stop_loss) if buy else (take_profit >= stop_loss):
            msg = f"{entry.client_order_id}: bracket take-profit {take_profit} and stop-loss {stop_loss} are inverted"
            raise BrokerError(msg)
        exit_side = Side.SELL if buy else Side.BUY
        legs = (
            replace(
                entry,
                client_order_id=ClientOrderId(f"{entry.client_order_id}-tp"),
                side=exit_side,
                order_type=OrderType.LIMIT,
                limit_price=take_profit,
                stop_price=None,
                time_in_force=TimeInForce.GTC,
                leg="take_profit",
                parent=entry.client_order_id,
            ),
            replace(
                entry,
                client_order_id=ClientOrderId(f"{entry.client_order_id}-sl"),
                side=exit_side,
                order_type=OrderType.STOP,
                stop_price=stop_loss,
                limit_price=None,
                time_in_force=TimeInForce.GTC,
                leg="stop_loss",
                parent=entry.client_order_id,
            ),
        )
        for leg in legs:
            self._check_new(leg.client_order_id)
        parent = self.submit(entry)
        now = self._clock.now()
        held = [Order(leg, OrderStatus.SUBMITTED, now, self._broker_id()) for leg in legs]
        for order in held:
            self._orders[order.client_order_id] = order
        self._held[entry.client_order_id] = [o.client_order_id for o in held]
        self._bracket_open[entry.client_order_id] = ZERO
        if parent.status is OrderStatus.REJECTED:
            for order in held:
                self._finish(order.client_order_id, OrderStatus.CANCELLED, now)
        return Bracket(parent, self._orders[held[0].client_order_id], self._orders[held[1].client_order_id])

    def cancel(self, client_order_id: ClientOrderId) -> Order:
        """Cancel a working order (and the held legs of a bracket entry)."""
        order = self._orders.get(client_order_id)
        if order is None:
            msg = f"unknown client order id {client_order_id}"
            raise BrokerError(msg)
        if order.status.is_terminal:
            return order
        now = self._clock.now()
        if order.filled_quantity == 0:
            for leg in self._held.get(client_order_id, ()):
                self._finish(leg, OrderStatus.CANCELLED, now)
        return self._finish(client_order_id, OrderStatus.CANCELLED, now)

    def order(self, client_order_id: ClientOrderId) -> Order | None:
        """Latest state of an order, or None if never seen."""
        return self._orders.get(client_order_id)

    def open_orders(self) -> Sequence[Order]:
        """Orders still working (held bracket legs included)."""
        return [o for o in self._orders.values() if not o.status.is_terminal]

    def fills_since(self, cursor: int) -> tuple[Sequence[Fill], int]:
        """Fills after position ``cursor`` and the new cursor."""
        return self._fills[cursor:], len(self._fills)

    def positions(self) -> Mapping[InstrumentId, Position]:
        """Non-zero positions."""
        return dict(self._positions)

    def cash(self) -> Decimal:
        """Cash balance."""
        return self._cash

    # ------------------------------------------------------------------ market events

    def on_bar(self, instrument: InstrumentId, open_price: float, at: datetime) -> tuple[Fill, ...]:
        """A new bar of ``instrument`` opened at ``open_price``: fill what is marketable at that price."""
        if not self._working:
            return ()
        return self._match(instrument, (open_price, open_price, open_price, open_price), None, at, at)

    def on_bar_ohlc(self, bar: Bar, opened_at: datetime | None = None) -> tuple[Fill, ...]:
        """A whole bar traded: match working orders along the fill model's path through it."""
        self._last[bar.instrument] = to_decimal(bar.close)
        if not self._working:
            return ()
        ohlc = (bar.open, bar.high, bar.low, bar.close)
        return self._match(bar.instrument, ohlc, bar.volume, opened_at or bar.as_of, bar.as_of)

    def on_quote(self, quote: Quote) -> tuple[Fill, ...]:
        """Top of book changed: marketable orders cross the spread, capped by the displayed size."""
        filled: list[Fill] = []
        bid, ask = to_decimal(quote.bid), to_decimal(quote.ask)
        self._last[quote.instrument] = (bid + ask) / 2
        for coid in self._eligible(quote.instrument, quote.as_of):
            intent = self._orders[coid].intent
            buy = intent.side is Side.BUY
            touch = ask if buy else bid
            if not self._quote_marketable(intent, touch):
                continue
            size = to_decimal(quote.ask_size if buy else quote.bid_size)
            quantity = min(self._fillable(coid), size)
            if quantity > 0:
                price = (
                    touch if intent.order_type is OrderType.LIMIT else self._rules.slippage.apply(touch, intent.side)
                )
                filled.append(self._fill(coid, quantity, price, quote.as_of))
        return tuple(filled)

    # ------------------------------------------------------------------ matching

    def _match(
        self,
        instrument: InstrumentId,
        ohlc: tuple[float, float, float, float],
        volume: float | None,
        opened_at: datetime,
        closed_at: datetime,
    ) -> tuple[Fill, ...]:
        rules = self._rules
        capacity = None if rules.participation is None or volume is None else Decimal(int(volume * rules.participation))
        hits: list[tuple[float, int, ClientOrderId, float]] = []
        for rank, coid in enumerate(self._eligible(instrument, opened_at)):
            intent = self._orders[coid].intent
            work = self._working[coid]
            if self._expired(coid, intent, work, opened_at):
                continue
            stop = None if work.triggered else _float(intent.stop_price)
            hit = trigger(rules.fill_model, intent.side, intent.order_type, _float(intent.limit_price), stop, ohlc)
            if hit is None and intent.order_type is OrderType.STOP_LIMIT and stop is not None:
                work.triggered = _stop_touched(intent.side, stop, ohlc)
            if hit is None:
                if intent.time_in_force in (TimeInForce.IOC, TimeInForce.FOK, TimeInForce.OPG):
                    self._finish(coid, OrderStatus.EXPIRED, opened_at)
                continue
            hits.append((hit[0], rank, coid, hit[1]))
        filled: list[Fill] = []
        for position, _, coid, level in sorted(hits):
            if coid not in self._working:
                continue  # cancelled by an OCO sibling earlier in this bar
            intent = self._orders[coid].intent
            wanted = self._fillable(coid)
            quantity = wanted if capacity is None else min(wanted, capacity)
            if intent.time_in_force is TimeInForce.FOK and quantity < wanted:
                self._finish(coid, OrderStatus.CANCELLED, opened_at)
                continue
            if quantity <= 0:
                continue
            price = self._price(intent, to_decimal(level))
            filled.append(self._fill(coid, quantity, price, opened_at if position == 0 else closed_at))
            if capacity is not None:
                capacity -= quantity
            if intent.time_in_force is TimeInForce.IOC and coid in self._working:
                self._finish(coid, OrderStatus.CANCELLED, opened_at)
        return tuple(filled)

    def _eligible(self, instrument: InstrumentId, at: datetime) -> list[ClientOrderId]:
        return [
            coid
            for coid, work in self._working.items()
            if work.active_from <= at and self._orders[coid].intent.instrument == instrument
        ]

    def _expired(self, coid: ClientOrderId, intent: OrderIntent, work: _Working, at: datetime) -> bool:
        if intent.time_in_force is not TimeInForce.DAY:
            return False
        if work.session is None:
            work.session = at.date()
            return False
        if at.date() != work.session:
            self._finish(coid, OrderStatus.EXPIRED, at)
            return True
        return False

    def _price(self, intent: OrderIntent, level: Decimal) -> Decimal:
        if intent.order_type is OrderType.LIMIT or (intent.order_type is OrderType.STOP_LIMIT):
            return level
        if intent.order_type is OrderType.MARKET and self._rules.fill_model is FillModel.QUOTE:
            half = self._rules.spread_bps / 2 / _BPS
            level = level * (1 + intent.side.sign * half)
        return self._rules.slippage.apply(level, intent.side)

    @staticmethod
    def _quote_marketable(intent: OrderIntent, touch: Decimal) -> bool:
        buy = intent.side is Side.BUY
        if intent.order_type is OrderType.MARKET:
            return True
        if intent.order_type is OrderType.LIMIT:
            assert intent.limit_price is not None  # guaranteed by OrderIntent
            return touch <= intent.limit_price if buy else touch >= intent.limit_price
        assert intent.stop_price is not None  # guaranteed by OrderIntent
        triggered = touch >= intent.stop_price if buy else touch <= intent.stop_price
        if intent.order_type is OrderType.STOP or not triggered:
            return triggered
        assert intent.limit_price is not None  # guaranteed by OrderIntent
        return touch <= intent.limit_price if buy else touch >= intent.limit_price

    def _fillable(self, coid: ClientOrderId) -> Decimal:
        order = self._orders[coid]
        parent = order.intent.parent
        if parent is not None and parent in self._bracket_open:
            return min(order.remaining, self._bracket_open[parent])
        return order.remaining

    # ------------------------------------------------------------------ book-keeping

    def _fill(self, coid: ClientOrderId, quantity: Decimal, price: Decimal, at: datetime) -> Fill:
        order = self._orders[coid]
        intent = order.intent
        multiplier = self._multipliers.get(intent.instrument, _ONE)
        commission = self._commission(quantity, price, multiplier)
        signed = quantity * intent.side.sign
        self._cash -= signed * price * multiplier + commission
        self._apply_position(intent.instrument, signed, price)
        fill = Fill(
            execution_id=ExecutionId(f"simx-{len(self._fills) + 1}"),
            client_order_id=coid,
            instrument=intent.instrument,
            side=intent.side,
            quantity=quantity,
            price=price,
            commission=commission,
            at=at,
            correlation_id=intent.correlation_id,
        )
        self._fills.append(fill)
        total = order.filled_quantity + quantity
        average = price if order.average_fill_price is None else _vwap(order, quantity, price, total)
        done = total >= intent.quantity
        self._orders[coid] = replace(
            order,
            status=OrderStatus.FILLED if done else OrderStatus.PARTIALLY_FILLED,
            updated_at=at,
            filled_quantity=total,
            average_fill_price=average,
        )
        if done:
            del self._working[coid]
        self._after_fill(intent, quantity, at)
        return fill

    def _after_fill(self, intent: OrderIntent, quantity: Decimal, at: datetime) -> None:
        legs = self._held.get(intent.client_order_id)
        if legs is not None:
            self._bracket_open[intent.client_order_id] += quantity
            for leg in legs:
                if self._orders[leg].status is OrderStatus.SUBMITTED:
                    self._orders[leg] = replace(self._orders[leg], status=OrderStatus.ACCEPTED, updated_at=at)
                    self._working[leg] = _Working(at)
            return
        parent = intent.parent
        if parent is None or parent not in self._bracket_open:
            return
        self._bracket_open[parent] -= quantity
        if self._bracket_open[parent] == 0 and self._orders[parent].status is OrderStatus.FILLED:
            for leg in self._held[parent]:
                if leg != intent.client_order_id and not self._orders[leg].status.is_terminal:
                    self._finish(leg, OrderStatus.CANCELLED, at)

    def _finish(self, coid: ClientOrderId, status: OrderStatus, at: datetime) -> Order:
        order = replace(self._orders[coid], status=status, updated_at=at)
        self._orders[coid] = order
        self._working.pop(coid, None)
        return order

    def _apply_position(self, instrument: InstrumentId, signed: Decimal, price: Decimal) -> None:
        current = self._positions.get(instrument)
        held = current.quantity if current else ZERO
        new_qty = held + signed
        if new_qty == 0:
            self._positions.pop(instrument, None)
            return
        if current is None or held == 0 or (held > 0) != (new_qty > 0):
            average = price
        elif (held > 0) == (signed > 0):
            average = (current.average_price * held + price * signed) / new_qty
        else:
            average = current.average_price
        self._positions[instrument] = Position(instrument, new_qty, average)

    def _margin_refusal(self, intent: OrderIntent) -> str | None:
        margins = self._rules.initial_margin
        per_contract = margins.get(intent.instrument)
        if per_contract is None:
            return None
        held = self._positions.get(intent.instrument)
        after = (held.quantity if held else ZERO) + intent.side.sign * intent.quantity
        required = (
            sum(
                (abs(p.quantity) * margins.get(i, ZERO) for i, p in self._positions.items() if i != intent.instrument),
                ZERO,
            )
            + abs(after) * per_contract
        )
        equity = self._cash + sum(
            (
                p.quantity * self._last.get(i, p.average_price) * self._multipliers.get(i, _ONE)
                for i, p in self._positions.items()
            ),
            ZERO,
        )
        if required > equity:
            return f"insufficient margin for {intent.instrument}: requires {required}, equity {equity}"
        return None

    def _check_new(self, coid: ClientOrderId) -> None:
        if coid in self._orders:
            msg = f"duplicate client order id {coid}"
            raise BrokerError(msg)

    def _broker_id(self) -> str:
        return f"sim-{len(self._orders) + 1}"


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _vwap(order: Order, quantity: Decimal, price: Decimal, total: Decimal) -> Decimal:
    assert order.average_fill_price is not None  # checked by the caller
    return (order.average_fill_price * order.filled_quantity + price * quantity) / total


def _stop_touched(side: Side, stop: float, ohlc: tuple[float, float, float, float]) -> bool:
    return ohlc[1] >= stop if side is Side.BUY else ohlc[2] <= stop
