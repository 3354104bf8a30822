"""The wash-sale ledger against the worked examples of IRS Publication 550 and 26 CFR 1.1091-1/-2."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from qgtm_compliance import WashSaleLedger
from qgtm_core import ClientOrderId, ExecutionId, Fill, InstrumentId, PipelineError, Side

X = InstrumentId("X")
D = Decimal


def test_pub550_wash_sales_example_1_basis_of_replacement_is_cost_plus_disallowed_loss() -> None:
    # Pub 550, "Wash Sales", Example 1: buy 100 shares of X for $1,000, sell them for $750 and
    # within 30 days buy 100 shares for $800. The $250 loss is not deductible; the new basis is $1,050.
    ledger = WashSaleLedger()
    ledger.buy(X, D(100), D(1000), date(2024, 1, 2))
    ledger.sell(X, D(100), D(750), date(2024, 3, 1))
    ledger.buy(X, D(100), D(800), date(2024, 3, 20))
    (sale,) = ledger.dispositions
    assert sale.gain == D(-250)
    assert sale.disallowed_loss == D(250)
    assert sale.allowed_gain == 0
    (lot,) = ledger.lots(X)
    assert lot.basis == D(1050)
    assert lot.wash_adjustment == D(250)
    (adjustment,) = ledger.adjustments
    assert (adjustment.replacement_lot_id, adjustment.quantity, adjustment.disallowed_loss) == (lot.lot_id, 100, 250)
    (row,) = ledger.report()  # Form 8949: proceeds 750, basis 1,000, code W, adjustment 250, gain 0
    assert (row["proceeds"], row["basis"], row["code"], row["adjustment"], row["gain"]) == (
        "750.00",
        "1000.00",
        "W",
        "250.00",
        "0.00",
    )
    assert row["term"] == "short"


def _pub550_more_or_less(buys: list[tuple[date, int]]) -> WashSaleLedger:
    # Pub 550, "More or less stock bought than sold": 100 shares of M bought on September 24,
    # sold on February 3 at a $1,000 loss; purchases of substantially identical stock follow.
    ledger = WashSaleLedger()
    ledger.buy(X, D(100), D(5000), date(2024, 9, 24))
    ledger.sell(X, D(100), D(4000), date(2025, 2, 3))
    for day, shares in buys:
        ledger.buy(X, D(shares), D(shares) * D(45), day)
    return ledger


def test_pub550_more_stock_bought_than_sold_example_1_matches_first_shares_bought() -> None:
    # Example 1: 50 shares bought on each of the 4 days February 12-15. The $1,000 loss is not
    # deductible; half ($500) goes to the shares bought on February 12 and half to those of February 13.
    ledger = _pub550_more_or_less([(date(2025, 2, d), 50) for d in (12, 13, 14, 15)])
    (sale,) = ledger.dispositions
    assert sale.disallowed_loss == D(1000)
    assert sale.allowed_gain == 0
    adjustments = {lot.acquired: lot.wash_adjustment for lot in ledger.lots(X)}
    assert adjustments == {
        date(2025, 2, 12): D(500),
        date(2025, 2, 13): D(500),
        date(2025, 2, 14): 0,
        date(2025, 2, 15): 0,
    }
    # Holding period carried over (section 1223(3)): the 132 days the sold shares were held are
    # added in front of each replacement lot; the lots bought on the 14th and 15th start fresh.
    starts = {lot.acquired: lot.holding_start for lot in ledger.lots(X)}
    held = (date(2025, 2, 3) - date(2024, 9, 24)).days
    assert held == 132
    assert (date(2025, 2, 12) - starts[date(2025, 2, 12)]).days == held
    assert (date(2025, 2, 13) - starts[date(2025, 2, 13)]).days == held
    assert starts[date(2025, 2, 14)] == date(2025, 2, 14)


def test_pub550_less_stock_bought_than_sold_example_2_allows_loss_on_unmatched_shares() -> None:
    # Example 2: only 50 shares bought on February 12. Half the loss ($500) is deductible; the other
    # $500 is added to the basis of the 50 shares bought on February 12.
    ledger = _pub550_more_or_less([(date(2025, 2, 12), 50)])
    (sale,) = ledger.dispositions
    assert sale.disallowed_loss == D(500)
    assert sale.allowed_gain == D(-500)
    (lot,) = ledger.lots(X)
    assert lot.basis == D(50) * D(45) + D(500)
    assert len(ledger.pending(date(2025, 3, 5))) == 1  # last day of the window
    assert ledger.pending(date(2025, 3, 6)) == ()  # window closed, the other half stays allowed


@pytest.mark.parametrize(
    ("example", "new_price", "expected_basis"),
    [
        # 26 CFR 1.1091-2(a) Example 1: bought for $100 (1935), sold January 15, 1955 for $80, new
        # share bought February 1, 1955 for $90: basis $110 (old basis increased by $90 - $80).
        (1, D(90), D(110)),
        # Example 2: the new share is bought for $70: basis $90 (old basis decreased by $80 - $70).
        (2, D(70), D(90)),
    ],
)
def test_cfr_1_1091_2_examples_basis_of_new_share(example: int, new_price: Decimal, expected_basis: Decimal) -> None:
    ledger = WashSaleLedger()
    ledger.buy(X, D(1), D(100), date(1935, 6, 1))
    ledger.sell(X, D(1), D(80), date(1955, 1, 15))
    ledger.buy(X, D(1), new_price, date(1955, 2, 1))
    (lot,) = ledger.lots(X)
    assert lot.basis == expected_basis, f"1.1091-2 Example {example}"
    assert ledger.dispositions[0].allowed_gain == 0
    # The new share's holding period includes the 20 years the old share was held.
    assert lot.holding_start == date(1955, 2, 1) - (date(1955, 1, 15) - date(1935, 6, 1))


def test_purchase_within_30_days_before_the_sale_is_a_replacement() -> None:
    # 1.1091-1(a): the 61-day period starts 30 days before the sale.
    ledger = WashSaleLedger()
    ledger.buy(X, D(10), D(1000), date(2024, 1, 2))
    ledger.buy(X, D(10), D(900), date(2024, 5, 2))
    ledger.sell(X, D(10), D(800), date(2024, 6, 1))  # FIFO: the January lot, $200 loss
    (lot,) = ledger.lots(X)
    assert lot.acquired == date(2024, 5, 2)
    assert lot.basis == D(1100)
    assert lot.is_replacement


def test_window_is_thirty_days_inclusive() -> None:
    day30 = WashSaleLedger()
    day30.buy(X, D(1), D(10), date(2024, 1, 2))
    day30.sell(X, D(1), D(8), date(2024, 3, 1))
    day30.buy(X, D(1), D(9), date(2024, 3, 31))
    assert day30.dispositions[0].disallowed_loss == D(2)
    day31 = WashSaleLedger()
    day31.buy(X, D(1), D(10), date(2024, 1, 2))
    day31.sell(X, D(1), D(8), date(2024, 3, 1))
    day31.buy(X, D(1), D(9), date(2024, 4, 1))
    assert day31.dispositions[0].disallowed_loss == 0
    assert day31.lots(X)[0].basis == D(9)


def test_gain_is_never_washed_and_sold_shares_do_not_replace_themselves() -> None:
    ledger = WashSaleLedger()
    ledger.buy(X, D(5), D(50), date(2024, 1, 2))
    ledger.sell(X, D(5), D(60), date(2024, 1, 10))
    ledger.buy(X, D(5), D(55), date(2024, 1, 12))
    assert ledger.adjustments == ()
    same = WashSaleLedger()
    same.buy(X, D(5), D(50), date(2024, 1, 2))
    same.sell(X, D(5), D(40), date(2024, 1, 10))  # bought within 30 days, but these are the shares sold
    assert same.adjustments == ()
    assert same.dispositions[0].allowed_gain == D(-10)


def test_a_replacement_share_replaces_only_one_loss() -> None:
    # 1.1091-1(e): shares used as replacements for one loss cannot replace a later one.
    ledger = WashSaleLedger()
    ledger.buy(X, D(10), D(100), date(2024, 1, 2))
    ledger.buy(X, D(10), D(100), date(2024, 1, 3))
    ledger.sell(X, D(10), D(80), date(2024, 3, 1))  # lot 1 at a loss, no replacement yet
    ledger.buy(X, D(10), D(90), date(2024, 3, 5))  # replaces the March 1 loss
    ledger.sell(X, D(10), D(70), date(2024, 3, 10))  # lot 2 at a loss: March 5 lot already used
    first, second = ledger.dispositions
    assert first.disallowed_loss == D(20)
    assert second.disallowed_loss == 0
    assert [lot.basis for lot in ledger.lots(X)] == [D(110)]
    assert len(ledger.pending(date(2024, 3, 10))) == 1  # the second loss waits for a new purchase


def test_loss_shares_are_matched_to_partial_lots_by_splitting() -> None:
    ledger = WashSaleLedger()
    ledger.buy(X, D(100), D(1000), date(2024, 1, 2))
    ledger.sell(X, D(40), D(200), date(2024, 3, 1))  # $5/share loss on 40 shares
    ledger.buy(X, D(100), D(600), date(2024, 3, 4))
    lots = ledger.lots(X)
    assert [(lot.quantity, lot.wash_adjustment) for lot in lots] == [(60, 0), (40, 200), (60, 0)]
    assert lots[1].basis == D(40) * D(6) + D(200)
    assert sum((lot.basis for lot in lots), D(0)) == D(60 * 10) + D(600) + D(
        200
    )  # 60 old shares, the new lot, the moved loss


def test_substantially_identical_group_is_configuration() -> None:
    gld, iau = InstrumentId("GLD"), InstrumentId("IAU")
    ledger = WashSaleLedger({"GLD": "gold-trust", "IAU": "gold-trust"})
    ledger.buy(gld, D(10), D(2000), date(2024, 1, 2))
    ledger.sell(gld, D(10), D(1800), date(2024, 3, 1))
    ledger.buy(iau, D(40), D(1600), date(2024, 3, 2))
    assert ledger.lots(iau)[0].wash_adjustment == D(200)
    alone = WashSaleLedger()
    alone.buy(gld, D(10), D(2000), date(2024, 1, 2))
    alone.sell(gld, D(10), D(1800), date(2024, 3, 1))
    alone.buy(iau, D(40), D(1600), date(2024, 3, 2))
    assert alone.adjustments == ()


def _fill(eid: str, side: Side, qty: int, price: str, day: date) -> Fill:
    return Fill(
        ExecutionId(eid),
        ClientOrderId(f"o-{eid}"),
        X,
        side,
        D(qty),
        D(price),
        D(0),
        datetime(day.year, day.month, day.day, 15, tzinfo=UTC),
    )


def test_fills_drive_the_ledger_deduplicated_and_in_order() -> None:
    ledger = WashSaleLedger()
    fills = [
        _fill("e1", Side.BUY, 10, "100", date(2024, 1, 2)),
        _fill("e2", Side.SELL, 10, "90", date(2024, 2, 1)),
        _fill("e3", Side.BUY, 10, "95", date(2024, 2, 5)),
    ]
    assert ledger.replay(reversed(fills)) == 3
    assert ledger.record_fill(fills[0]) is False
    assert ledger.lots(X)[0].basis == D(1050)
    with pytest.raises(PipelineError, match="arrived after"):
        ledger.record_fill(_fill("e4", Side.BUY, 1, "1", date(2024, 1, 3)))
    with pytest.raises(PipelineError, match="quantity must be positive"):
        ledger.buy(X, D(0), D(0), date(2024, 3, 1))


def test_selling_more_than_held_opens_a_short_that_a_buy_covers_first() -> None:
    ledger = WashSaleLedger()
    ledger.buy(X, D(5), D(50), date(2024, 1, 2))
    ledger.sell(X, D(8), D(88), date(2024, 1, 3))
    assert ledger.short_quantity(X) == 3
    assert ledger.lots() == ()
    ledger.buy(X, D(2), D(20), date(2024, 1, 4))
    assert ledger.short_quantity(X) == 1
    ledger.buy(X, D(4), D(40), date(2024, 1, 5))
    assert ledger.short_quantity(X) == 0
    (lot,) = ledger.lots()
    assert (lot.quantity, lot.basis, lot.basis_per_share) == (3, 30, 10)


def test_long_term_counts_the_carried_holding_period() -> None:
    ledger = WashSaleLedger()
    ledger.buy(X, D(1), D(100), date(2023, 1, 2))
    ledger.sell(X, D(1), D(90), date(2023, 12, 1))
    ledger.buy(X, D(1), D(95), date(2023, 12, 5))
    ledger.sell(X, D(1), D(120), date(2024, 2, 1))
    first, second = ledger.dispositions
    assert not first.long_term
    assert second.long_term  # 11 months + 2 months held in total
    assert second.gain == D(120) - D(105)
    leap = WashSaleLedger()
    leap.buy(X, D(1), D(1), date(2024, 2, 29))
    leap.sell(X, D(1), D(2), date(2025, 3, 1))
    assert leap.dispositions[0].long_term


def test_replacements_are_taken_in_purchase_order_across_identical_instruments() -> None:
    gld, iau = InstrumentId("GLD"), InstrumentId("IAU")
    ledger = WashSaleLedger({"GLD": "gold", "IAU": "gold"})
    ledger.buy(gld, D(10), D(2000), date(2024, 1, 2))
    ledger.buy(iau, D(10), D(400), date(2024, 2, 20))  # bought first within the window
    ledger.buy(gld, D(10), D(1900), date(2024, 2, 25))
    ledger.sell(gld, D(10), D(1800), date(2024, 3, 1))  # FIFO: the January GLD lot, $200 loss
    assert ledger.lots(iau)[0].wash_adjustment == D(200)
    assert ledger.lots(gld)[0].wash_adjustment == 0
