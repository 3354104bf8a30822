"""What can be traded: the static facts the OMS needs to size and round an order."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from qgtm_core.ids import InstrumentId
from qgtm_core.money import round_to_increment

__all__ = ["AssetClass", "Instrument", "Venue"]


class AssetClass(StrEnum):
    """Families used by compliance limits and portfolio constraints."""

    METAL_ETF = "metal_etf"
    MINER_ETF = "miner_etf"
    EQUITY_ETF = "equity_etf"
    METAL_FUTURE = "metal_future"
    SPOT_METAL = "spot_metal"


class Venue(StrEnum):
    """Primary listing venue, which also selects the exchange calendar."""

    NYSE_ARCA = "ARCA"
    NASDAQ = "NASDAQ"
    COMEX = "COMEX"
    LBMA = "LBMA"


@dataclass(frozen=True, slots=True)
class Instrument:
    """An instrument with everything needed to turn a weight into a legal order.

    ``multiplier`` is the contract size (100 troy oz for GC): notional = price * qty * multiplier.
    ``tradable`` is False for reference series (LBMA fixes) that feed features but take no orders.
    """

    id: InstrumentId
    name: str
    asset_class: AssetClass
    venue: Venue
    currency: str
    tick_size: Decimal
    lot_size: Decimal
    multiplier: Decimal = Decimal(1)
    calendar: str = "XNYS"
    tradable: bool = True

    def __post_init__(self) -> None:
        if self.tick_size <= 0 or self.lot_size <= 0 or self.multiplier <= 0:
            msg = f"{self.id}: tick size, lot size and multiplier must be positive"
            raise ValueError(msg)

    def round_price(self, price: Decimal) -> Decimal:
        """Nearest legal price."""
        return round_to_increment(price, self.tick_size)

    def round_quantity(self, quantity: Decimal) -> Decimal:
        """Largest legal quantity not above ``quantity`` in magnitude."""
        return round_to_increment(quantity, self.lot_size, toward_zero=True)
