from datetime import UTC, datetime
from decimal import Decimal

import pytest

from qgtm_core import (
    DEFAULT_UNIVERSE,
    AccountState,
    AssetClass,
    ClientOrderId,
    ConfigError,
    CorrelationId,
    Instrument,
    InstrumentId,
    OrderIntent,
    OrderStatus,
    OrderType,
    Position,
    Side,
    Universe,
    Venue,
)

GLD, GC = InstrumentId("GLD"), InstrumentId("GC")


def test_universe_covers_the_gold_silver_desk():
    for symbol in ("GLD", "SLV", "IAU", "GDX", "SIL", "GC", "SI", "SPY"):
        assert InstrumentId(symbol) in DEFAULT_UNIVERSE
    assert DEFAULT_UNIVERSE[GC].multiplier == Decimal(100)
    assert DEFAULT_UNIVERSE[GC].asset_class is AssetClass.METAL_FUTURE
    assert InstrumentId("XAU") not in DEFAULT_UNIVERSE.tradable()


def test_unknown_instrument_is_a_config_error_naming_it():
    with pytest.raises(ConfigError, match=r"unknown instrument 'PLTN'"):
        DEFAULT_UNIVERSE.select(["GLD", "PLTN"])


def test_duplicate_instrument_is_refused():
    gld = DEFAULT_UNIVERSE[GLD]
    with pytest.raises(ConfigError, match="defined twice"):
        Universe([gld, gld])


def test_instrument_rounding_uses_tick_and_lot():
    gc = DEFAULT_UNIVERSE[GC]
    assert gc.round_price(Decimal("2034.26")) == Decimal("2034.3")
    assert gc.round_quantity(Decimal("3.99")) == Decimal(3)
    with pytest.raises(ValueError, match="positive"):
        Instrument(InstrumentId("X"), "x", AssetClass.METAL_ETF, Venue.NYSE_ARCA, "USD", Decimal(0), Decimal(1))


def _intent(**kw):
    base = {
        "client_order_id": ClientOrderId("c1"),
        "correlation_id": CorrelationId("sig-20240101-000000-abcd"),
        "instrument": GLD,
        "side": Side.BUY,
        "quantity": Decimal(10),
    }
    return OrderIntent(**(base | kw))


def test_order_intent_validates_quantity_and_prices():
    with pytest.raises(ValueError, match="positive"):
        _intent(quantity=Decimal(0))
    with pytest.raises(ValueError, match="limit price"):
        _intent(order_type=OrderType.LIMIT)
    with pytest.raises(ValueError, match="stop price"):
        _intent(order_type=OrderType.STOP)
    assert _intent(order_type=OrderType.LIMIT, limit_price=Decimal("180.00")).limit_price == Decimal("180.00")


def test_terminal_statuses():
    assert {s for s in OrderStatus if s.is_terminal} == {
        OrderStatus.FILLED,
        OrderStatus.CANCELLED,
        OrderStatus.REJECTED,
        OrderStatus.EXPIRED,
    }
    assert Side.SELL.sign == -1


def test_account_equity_and_weights_use_marks_and_multipliers():
    account = AccountState(
        at=datetime(2024, 1, 2, tzinfo=UTC),
        cash=Decimal(100_000),
        positions={GLD: Position(GLD, Decimal(100), Decimal(180)), GC: Position(GC, Decimal(-1), Decimal(2000))},
        marks={GLD: Decimal(190), GC: Decimal(2050)},
        multipliers={GC: Decimal(100)},
    )
    # 100_000 + 100 * 190 - 1 * 2050 * 100
    assert account.equity == Decimal(100_000 + 19_000 - 205_000)
    assert account.market_value(InstrumentId("SLV")) == 0
    broke = AccountState(at=account.at, cash=Decimal(-1), positions={})
    assert broke.weight(GLD) == 0.0
    healthy = AccountState(
        account.at, Decimal(81_000), {GLD: Position(GLD, Decimal(100), Decimal(180))}, {GLD: Decimal(190)}
    )
    assert healthy.weight(GLD) == pytest.approx(19_000 / 100_000)
