"""The gold/silver universe QGTM trades, with SPY as the risk-on reference.

Kept as data, not code paths: a strategy asks the universe for "the gold ETF", never hard-codes
a ticker, so adding IAU as an alternative to GLD is one entry here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal

from qgtm_core.errors import ConfigError
from qgtm_core.ids import InstrumentId
from qgtm_core.instruments import AssetClass, Instrument, Venue

__all__ = ["DEFAULT_UNIVERSE", "Universe"]

_CENT = Decimal("0.01")
_ONE = Decimal(1)


def _etf(symbol: str, name: str, asset_class: AssetClass, venue: Venue = Venue.NYSE_ARCA) -> Instrument:
    return Instrument(InstrumentId(symbol), name, asset_class, venue, "USD", _CENT, _ONE)


_INSTRUMENTS: tuple[Instrument, ...] = (
    _etf("GLD", "SPDR Gold Shares", AssetClass.METAL_ETF),
    _etf("SLV", "iShares Silver Trust", AssetClass.METAL_ETF),
    _etf("IAU", "iShares Gold Trust", AssetClass.METAL_ETF),
    _etf("GDX", "VanEck Gold Miners ETF", AssetClass.MINER_ETF),
    _etf("SIL", "Global X Silver Miners ETF", AssetClass.MINER_ETF),
    _etf("SPY", "SPDR S&P 500 ETF Trust", AssetClass.EQUITY_ETF),
    _etf("QQQ", "Invesco QQQ Trust", AssetClass.EQUITY_ETF, Venue.NASDAQ),
    Instrument(
        InstrumentId("GC"),
        "COMEX Gold futures (front month)",
        AssetClass.METAL_FUTURE,
        Venue.COMEX,
        "USD",
        Decimal("0.10"),
        _ONE,
        Decimal(100),
        calendar="CMES",
    ),
    Instrument(
        InstrumentId("SI"),
        "COMEX Silver futures (front month)",
        AssetClass.METAL_FUTURE,
        Venue.COMEX,
        "USD",
        Decimal("0.005"),
        _ONE,
        Decimal(5000),
        calendar="CMES",
    ),
    Instrument(
        InstrumentId("XAU"),
        "LBMA Gold Price (USD/oz)",
        AssetClass.SPOT_METAL,
        Venue.LBMA,
        "USD",
        Decimal("0.05"),
        _ONE,
        calendar="XLON",
        tradable=False,
    ),
    Instrument(
        InstrumentId("XAG"),
        "LBMA Silver Price (USD/oz)",
        AssetClass.SPOT_METAL,
        Venue.LBMA,
        "USD",
        Decimal("0.005"),
        _ONE,
        calendar="XLON",
        tradable=False,
    ),
)


class Universe(Mapping[InstrumentId, Instrument]):
    """An immutable lookup of instruments by id that fails loudly on unknown ids."""

    def __init__(self, instruments: Iterable[Instrument]) -> None:
        self._by_id: dict[InstrumentId, Instrument] = {}
        for instrument in instruments:
            if instrument.id in self._by_id:
                msg = f"instrument {instrument.id} is defined twice"
                raise ConfigError(msg)
            self._by_id[instrument.id] = instrument

    def __getitem__(self, key: InstrumentId) -> Instrument:
        try:
            return self._by_id[key]
        except KeyError:
            known = ", ".join(sorted(self._by_id))
            msg = f"unknown instrument {key!r} (known: {known})"
            raise ConfigError(msg) from None

    def __contains__(self, key: object) -> bool:
        return key in self._by_id

    def __iter__(self) -> Iterator[InstrumentId]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def select(self, ids: Iterable[str]) -> Universe:
        """A sub-universe; raises ``ConfigError`` naming the first unknown id."""
        return Universe(self[InstrumentId(i)] for i in ids)

    def tradable(self) -> Universe:
        """Only the instruments that take orders."""
        return Universe(i for i in self._by_id.values() if i.tradable)


DEFAULT_UNIVERSE = Universe(_INSTRUMENTS)
