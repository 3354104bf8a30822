"""Tax lots and the wash-sale rule of 26 U.S.C. 1091, 26 CFR 1.1091-1/-2 and IRS Publication 550.

Why lot by lot: the disallowed loss is not a number on the account, it moves into the basis of
particular replacement shares and travels with them (with the holding period of the shares sold)
until they are sold. Brokers report it per lot (Form 1099-B box 1g), so we track it the same way.

The rules encoded here:

* a loss on a sale is disallowed to the extent substantially identical shares were acquired within
  30 days before or after the sale (the 61-day period, 1.1091-1(a));
* losses are matched in the order of the sales that produced them (1.1091-1(b)), and replacement
  shares in the order they were acquired, "beginning with the first shares bought" (Pub 550, "More
  or less stock bought than sold"); a share replaces at most one loss (1.1091-1(e));
* if fewer shares are acquired than sold, the loss on the excess shares is allowed (1.1091-1(c));
* the basis of a replacement share is its cost plus the disallowed loss (1.1091-2, section 1091(d));
  its holding period includes that of the share sold (section 1223(3)).

Only long lots are in scope; a sale beyond the shares held opens a short lot, which is tracked for
quantity only (short-sale wash rules, 1.1091-1(g), are not applied; see the README).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from qgtm_compliance._dates import trade_date
from qgtm_core import Fill, InstrumentId, JsonValue, PipelineError, Side

__all__ = ["Disposition", "PendingLoss", "TaxLot", "WashSaleAdjustment", "WashSaleLedger"]

_WINDOW = timedelta(days=30)
_ZERO = Decimal(0)
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class TaxLot:
    """Shares bought together; ``basis`` is the total adjusted basis of the remaining ``quantity``."""

    lot_id: str
    instrument: InstrumentId
    quantity: Decimal
    acquired: date
    holding_start: date
    basis: Decimal
    wash_adjustment: Decimal = _ZERO
    is_replacement: bool = False

    @property
    def basis_per_share(self) -> Decimal:
        """Adjusted basis of one share."""
        return self.basis / self.quantity


@dataclass(frozen=True, slots=True)
class Disposition:
    """Shares of one lot sold; ``disallowed_loss`` grows while replacements turn up within 30 days."""

    disposition_id: str
    lot_id: str
    instrument: InstrumentId
    quantity: Decimal
    sold: date
    acquired: date
    holding_start: date
    proceeds: Decimal
    basis: Decimal
    disallowed_loss: Decimal = _ZERO

    @property
    def gain(self) -> Decimal:
        """Realised gain (negative for a loss) before the wash-sale rule."""
        return self.proceeds - self.basis

    @property
    def allowed_gain(self) -> Decimal:
        """Gain or loss that is recognised: the loss less what the wash-sale rule disallowed."""
        return self.gain + self.disallowed_loss

    @property
    def long_term(self) -> bool:
        """Held more than one year, counting any holding period carried over by a wash sale."""
        return self.sold > _one_year_after(self.holding_start)


@dataclass(frozen=True, slots=True)
class WashSaleAdjustment:
    """Disallowed loss moved from one disposition into one replacement lot."""

    disposition_id: str
    replacement_lot_id: str
    instrument: InstrumentId
    quantity: Decimal
    disallowed_loss: Decimal
    sold: date
    replacement_acquired: date


@dataclass(frozen=True, slots=True)
class PendingLoss:
    """Loss shares of a sale not yet matched; a purchase up to 30 days after the sale still washes them."""

    disposition_id: str
    instrument: InstrumentId
    quantity: Decimal
    loss_per_share: Decimal
    sold: date
    holding_days: int

    @property
    def window_end(self) -> date:
        """Last day a purchase still washes this loss."""
        return self.sold + _WINDOW


def _cents(amount: Decimal) -> str:
    return format(amount.quantize(_CENT), "f")


def _one_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


class WashSaleLedger:
    """Tax lots per instrument, FIFO disposal, wash-sale matching in both directions of the window.

    ``identical`` maps an instrument to its group of substantially identical instruments (default:
    each instrument alone). Whether, say, GLD and IAU are substantially identical is a tax judgement,
    so it is configuration, not code.
    """

    def __init__(self, identical: Mapping[str, str] | None = None) -> None:
        self._group = {InstrumentId(k): v for k, v in (identical or {}).items()}
        self._lots: dict[InstrumentId, list[TaxLot]] = {}
        self._shorts: dict[InstrumentId, Decimal] = {}
        self._dispositions: dict[str, Disposition] = {}
        self._adjustments: list[WashSaleAdjustment] = []
        self._pending: list[PendingLoss] = []
        self._seen: set[str] = set()
        self._counter = 0
        self._last_day: date | None = None

    # ------------------------------------------------------------------ queries

    def group(self, instrument: InstrumentId) -> str:
        """Name of the substantially-identical group of an instrument."""
        return self._group_of(instrument)

    def _group_of(self, instrument: InstrumentId) -> str:
        return self._group.get(instrument, str(instrument))

    def lots(self, instrument: InstrumentId | None = None) -> tuple[TaxLot, ...]:
        """Open long lots, oldest first."""
        if instrument is not None:
            return tuple(self._lots.get(instrument, ()))
        return tuple(lot for key in sorted(self._lots) for lot in self._lots[key])

    def short_quantity(self, instrument: InstrumentId) -> Decimal:
        """Shares sold short and not yet covered."""
        return self._shorts.get(instrument, _ZERO)

    @property
    def dispositions(self) -> tuple[Disposition, ...]:
        """Every sale of lot shares, in order."""
        return tuple(self._dispositions.values())

    @property
    def adjustments(self) -> tuple[WashSaleAdjustment, ...]:
        """Every disallowed-loss transfer into a replacement lot, in order."""
        return tuple(self._adjustments)

    def report(self) -> list[dict[str, JsonValue]]:
        """One row per disposition in the shape of Form 8949: code ``W`` and the adjustment for wash sales.

        Amounts are strings rounded to cents; ``term`` uses the holding period carried over.
        """
        return [
            {
                "instrument": d.instrument,
                "quantity": format(d.quantity, "f"),
                "date_acquired": d.acquired.isoformat(),
                "holding_start": d.holding_start.isoformat(),
                "date_sold": d.sold.isoformat(),
                "proceeds": _cents(d.proceeds),
                "basis": _cents(d.basis),
                "code": "W" if d.disallowed_loss > 0 else "",
                "adjustment": _cents(d.disallowed_loss),
                "gain": _cents(d.allowed_gain),
                "term": "long" if d.long_term else "short",
            }
            for d in self._dispositions.values()
        ]

    def pending(self, on: date) -> tuple[PendingLoss, ...]:
        """Loss shares a purchase on ``on`` would still wash."""
        return tuple(p for p in self._pending if p.sold <= on <= p.window_end)

    # ------------------------------------------------------------------ events

    def record_fill(self, fill: Fill) -> bool:
        """Apply one fill; a repeated ``execution_id`` is ignored (returns False)."""
        if fill.execution_id in self._seen:
            return False
        self._seen.add(fill.execution_id)
        price = fill.price
        if fill.side is Side.BUY:
            self.buy(
                fill.instrument, fill.quantity, price * fill.quantity, trade_date(fill.at), lot_id=fill.execution_id
            )
        else:
            self.sell(fill.instrument, fill.quantity, price * fill.quantity, trade_date(fill.at))
        return True

    def buy(self, instrument: InstrumentId, quantity: Decimal, cost: Decimal, on: date, lot_id: str = "") -> None:
        """Shares bought for ``cost`` in total; they may wash earlier losses still in their window."""
        self._check(instrument, quantity, on)
        short = self._shorts.get(instrument, _ZERO)
        if short > 0:
            covered = min(short, quantity)
            self._shorts[instrument] = short - covered
            cost -= cost * covered / quantity
            quantity -= covered
            if quantity == 0:
                return
        lot = TaxLot(lot_id or self._next_id("lot"), instrument, quantity, on, on, cost)
        self._lots.setdefault(instrument, []).append(lot)
        self._wash_pending_into(lot)

    def sell(self, instrument: InstrumentId, quantity: Decimal, proceeds: Decimal, on: date) -> None:
        """Shares sold for ``proceeds`` in total, from the oldest lots first (FIFO, 1.1012-1(c))."""
        self._check(instrument, quantity, on)
        per_share = proceeds / quantity
        remaining = quantity
        sold: list[tuple[Disposition, TaxLot]] = []
        lots = self._lots.get(instrument, [])
        while remaining > 0 and lots:
            lot = lots[0]
            take = min(remaining, lot.quantity)
            basis = lot.basis * take / lot.quantity
            disposition = Disposition(
                self._next_id("disp"),
                lot.lot_id,
                instrument,
                take,
                on,
                lot.acquired,
                lot.holding_start,
                per_share * take,
                basis,
            )
            self._dispositions[disposition.disposition_id] = disposition
            sold.append((disposition, lot))
            if take == lot.quantity:
                lots.pop(0)
            else:
                lots[0] = replace(lot, quantity=lot.quantity - take, basis=lot.basis - basis)
            remaining -= take
        if remaining > 0:
            self._shorts[instrument] = self._shorts.get(instrument, _ZERO) + remaining
        for disposition, lot in sold:
            if disposition.gain < 0:
                self._wash_loss(disposition, lot)

    # ------------------------------------------------------------------ matching

    def _wash_loss(self, disposition: Disposition, lot: TaxLot) -> None:
        loss_per_share = -disposition.gain / disposition.quantity
        holding_days = (disposition.sold - lot.holding_start).days
        unmatched = disposition.quantity
        earliest = disposition.sold - _WINDOW
        group = self._group_of(disposition.instrument)
        # Replacement shares are taken in the order they were bought, across the whole group.
        eligible = sorted(
            (lot_.acquired, order, instrument, lot_.lot_id)
            for instrument in sorted(self._lots)
            if self._group_of(instrument) == group
            for order, lot_ in enumerate(self._lots[instrument])
            if not lot_.is_replacement and lot_.lot_id != lot.lot_id and earliest <= lot_.acquired <= disposition.sold
        )
        for _, _, instrument, lot_id in eligible:
            if unmatched <= 0:
                break
            candidates = self._lots[instrument]
            index = next(k for k, x in enumerate(candidates) if x.lot_id == lot_id)
            unmatched -= self._apply(
                candidates, index, disposition.disposition_id, unmatched, loss_per_share, holding_days
            )
        if unmatched > 0:
            self._pending.append(
                PendingLoss(
                    disposition.disposition_id,
                    disposition.instrument,
                    unmatched,
                    loss_per_share,
                    disposition.sold,
                    holding_days,
                )
            )

    def _wash_pending_into(self, lot: TaxLot) -> None:
        lots = self._lots[lot.instrument]
        group = self.group(lot.instrument)
        still: list[PendingLoss] = []
        for pending in self._pending:
            if pending.window_end < lot.acquired:
                continue  # window closed: the rest of that loss is allowed
            index = next((k for k, x in enumerate(lots) if x.lot_id == lot.lot_id and not x.is_replacement), None)
            if (
                index is None
                or self.group(pending.instrument) != group
                or not pending.sold <= lot.acquired <= (pending.window_end)
            ):
                still.append(pending)
                continue
            matched = self._apply(
                lots, index, pending.disposition_id, pending.quantity, pending.loss_per_share, pending.holding_days
            )
            if matched < pending.quantity:
                still.append(replace(pending, quantity=pending.quantity - matched))
        self._pending = still

    def _apply(
        self,
        lots: list[TaxLot],
        index: int,
        disposition_id: str,
        wanted: Decimal,
        loss_per_share: Decimal,
        holding_days: int,
    ) -> Decimal:
        """Make ``min(wanted, lot)`` shares of ``lots[index]`` a replacement; split the lot if needed."""
        lot = lots[index]
        matched = min(wanted, lot.quantity)
        disallowed = loss_per_share * matched
        matched_basis = lot.basis * matched / lot.quantity
        replacement = replace(
            lot,
            lot_id=lot.lot_id if matched == lot.quantity else f"{lot.lot_id}/w{len(self._adjustments) + 1}",
            quantity=matched,
            basis=matched_basis + disallowed,
            wash_adjustment=lot.wash_adjustment * matched / lot.quantity + disallowed,
            holding_start=min(lot.holding_start, lot.acquired - timedelta(days=holding_days)),
            is_replacement=True,
        )
        if matched == lot.quantity:
            lots[index] = replacement
        else:
            rest = replace(
                lot,
                quantity=lot.quantity - matched,
                basis=lot.basis - matched_basis,
                wash_adjustment=lot.wash_adjustment * (lot.quantity - matched) / lot.quantity,
            )
            lots[index : index + 1] = [replacement, rest]
        disposition = self._dispositions[disposition_id]
        self._dispositions[disposition_id] = replace(
            disposition, disallowed_loss=disposition.disallowed_loss + disallowed
        )
        self._adjustments.append(
            WashSaleAdjustment(
                disposition_id,
                replacement.lot_id,
                lot.instrument,
                matched,
                disallowed,
                disposition.sold,
                lot.acquired,
            )
        )
        return matched

    # ------------------------------------------------------------------ helpers

    def _check(self, instrument: InstrumentId, quantity: Decimal, on: date) -> None:
        if quantity <= 0:
            msg = f"wash-sale ledger: {instrument} quantity must be positive, got {quantity} on {on}"
            raise PipelineError(msg)
        if self._last_day is not None and on < self._last_day:
            msg = f"wash-sale ledger: {instrument} trade on {on} arrived after a trade on {self._last_day}"
            raise PipelineError(msg)
        self._last_day = on

    def _next_id(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}-{self._counter}"

    def replay(self, fills: Iterable[Fill]) -> int:
        """Apply many fills in time order (e.g. the OMS store at start-up); returns how many were new."""
        return sum(self.record_fill(f) for f in sorted(fills, key=lambda f: (f.at, f.execution_id)))
