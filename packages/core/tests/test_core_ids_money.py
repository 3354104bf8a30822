from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qgtm_core import (
    CorrelationId,
    InstrumentId,
    client_order_id_for,
    correlation_id_for,
    parse_correlation_id,
    round_to_increment,
    to_decimal,
)

AT = datetime(2024, 3, 1, 21, 15, tzinfo=UTC)


def test_correlation_id_has_the_documented_shape_and_is_deterministic():
    cid = correlation_id_for(AT, 7)
    assert cid.startswith("sig-20240301-211500-")
    assert parse_correlation_id(cid) == cid
    assert correlation_id_for(AT, 7) == cid


def test_correlation_id_differs_between_cycles_in_the_same_second():
    assert correlation_id_for(AT, 1) != correlation_id_for(AT, 2)


def test_correlation_id_uses_utc_whatever_the_input_zone():
    new_york = AT.astimezone(timezone(timedelta(hours=-5)))
    assert correlation_id_for(new_york, 1) == correlation_id_for(AT, 1)


def test_correlation_id_refuses_naive_time():
    with pytest.raises(ValueError, match="timezone-aware"):
        correlation_id_for(datetime(2024, 1, 1), 1)


@pytest.mark.parametrize("bad", ["sig-2024-01-01", "sig-20240101-000000-XYZW", "", "foo"])
def test_parse_correlation_id_rejects_malformed(bad):
    with pytest.raises(ValueError, match="not a correlation id"):
        parse_correlation_id(bad)


def test_client_order_id_is_stable_per_cycle_instrument_and_leg():
    cid = CorrelationId("sig-20240301-211500-abcd")
    gld, slv = InstrumentId("GLD"), InstrumentId("SLV")
    assert client_order_id_for(cid, gld, "entry") == client_order_id_for(cid, gld, "entry")
    ids = {client_order_id_for(cid, i, leg) for i in (gld, slv) for leg in ("entry", "tp", "sl")}
    assert len(ids) == 6
    assert all(i.startswith(cid) and len(i) <= 48 for i in ids)


def test_to_decimal_avoids_binary_noise_and_refuses_non_finite():
    assert to_decimal(0.1) == Decimal("0.1")
    assert to_decimal(3) == Decimal(3)
    assert to_decimal("2.50") == Decimal("2.50")
    for bad in (float("nan"), float("inf")):
        with pytest.raises(ValueError, match="non-finite"):
            to_decimal(bad)


def test_round_to_increment_ticks_and_lots():
    assert round_to_increment(Decimal("101.237"), Decimal("0.01")) == Decimal("101.24")
    assert round_to_increment(Decimal("10.7"), Decimal(1), toward_zero=True) == Decimal(10)
    assert round_to_increment(Decimal("-10.7"), Decimal(1), toward_zero=True) == Decimal(-10)
    with pytest.raises(ValueError, match="positive"):
        round_to_increment(Decimal(1), Decimal(0))


@given(
    value=st.decimals(min_value=-(10**6), max_value=10**6, allow_nan=False, allow_infinity=False, places=4),
    increment=st.sampled_from([Decimal("0.01"), Decimal("0.005"), Decimal("0.1"), Decimal(1), Decimal(100)]),
)
def test_lot_rounding_never_grows_a_quantity_and_lands_on_the_grid(value, increment):
    rounded = round_to_increment(value, increment, toward_zero=True)
    assert abs(rounded) <= abs(value)
    assert abs(value - rounded) < increment
    assert (rounded / increment) == (rounded / increment).to_integral_value()
