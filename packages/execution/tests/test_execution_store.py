"""Both state-store backends behave identically; PostgreSQL runs against the real server."""

import os
import sqlite3
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import psycopg
import pytest

from qgtm_core import (
    ClientOrderId,
    ConfigError,
    CorrelationId,
    ExecutionId,
    Fill,
    InstrumentId,
    Order,
    OrderIntent,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)
from qgtm_execution import MIGRATIONS, Migration, PostgresStateStore, SqliteStateStore, _migrations

PG_URL = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=3"
T = datetime(2024, 3, 1, 21, 15, tzinfo=UTC)


def _pg_reachable() -> bool:
    try:
        psycopg.connect(PG_URL).close()
    except psycopg.OperationalError:
        return False
    return True


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path):
    if request.param == "sqlite":
        s = SqliteStateStore(tmp_path / "state.sqlite")
        yield s
        s.close()
        return
    if not _pg_reachable():
        if os.environ.get("QGTM_REQUIRE_SERVICES"):
            pytest.fail(f"PostgreSQL required (QGTM_REQUIRE_SERVICES set) but unreachable at {PG_URL}")
        pytest.skip(f"PostgreSQL unreachable at {PG_URL} and QGTM_REQUIRE_SERVICES unset")
    s = PostgresStateStore(PG_URL, schema=f"t_{uuid.uuid4().hex[:12]}")
    yield s
    s.drop_schema()
    s.close()


def _intent(coid="c1", **kw):
    base = {
        "client_order_id": ClientOrderId(coid),
        "correlation_id": CorrelationId("sig-20240301-211500-abcd"),
        "instrument": InstrumentId("GLD"),
        "side": Side.BUY,
        "quantity": Decimal("10.5"),
    }
    return OrderIntent(**(base | kw))


def _fill(eid, coid="c1", qty="1"):
    return Fill(
        ExecutionId(eid),
        ClientOrderId(coid),
        InstrumentId("GLD"),
        Side.SELL,
        Decimal(qty),
        Decimal("180.25"),
        Decimal("1.00"),
        T,
        CorrelationId("sig-20240301-211500-abcd"),
    )


def test_schema_is_migrated_to_the_newest_version(store):
    assert store.schema_version == MIGRATIONS[-1].version


def test_intents_are_recorded_once_and_round_trip(store):
    limit = _intent(
        "c2",
        order_type=OrderType.LIMIT,
        limit_price=Decimal("180.10"),
        time_in_force=TimeInForce.GTC,
        parent=ClientOrderId("c1"),
        leg="take_profit",
        reason="bracket",
    )
    assert store.record_intent(_intent())
    assert not store.record_intent(_intent())
    assert store.record_intent(limit)
    assert store.intents() == [_intent(), limit]


def test_orders_upsert_and_open_orders_filter_terminal(store):
    store.update_order(Order(_intent(), OrderStatus.ACCEPTED, T, "b1"))
    store.update_order(Order(_intent("c2"), OrderStatus.NEW, T))
    assert [o.client_order_id for o in store.open_orders()] == ["c1", "c2"]
    filled = Order(_intent(), OrderStatus.FILLED, T, "b1", Decimal("10.5"), Decimal("180.2"))
    store.update_order(filled)
    assert store.orders()[0] == filled
    assert [o.client_order_id for o in store.open_orders()] == ["c2"]


def test_fills_are_deduplicated_by_execution_id_and_kept_in_order(store):
    assert store.record_fill(_fill("e2"))
    assert store.record_fill(_fill("e1"))
    assert not store.record_fill(_fill("e2", qty="99"))
    assert [f.execution_id for f in store.fills()] == ["e2", "e1"]
    assert store.fills()[0] == _fill("e2")


def test_key_values_round_trip(store):
    assert store.get("missing") is None
    store.put("k", {"a": [1, 2.5, "x", None, True]})
    store.put("k", {"a": 2})
    assert store.get("k") == {"a": 2}


def test_sqlite_reopens_with_its_data_in_wal_mode(tmp_path):
    s = SqliteStateStore(tmp_path / "a" / "s.sqlite", power_safe=True)
    s.record_intent(_intent())
    assert s.journal_mode == "wal"
    s.close()
    again = SqliteStateStore(tmp_path / "a" / "s.sqlite")
    assert again.schema_version == MIGRATIONS[-1].version
    assert not again.record_intent(_intent())
    again.close()


def test_a_failed_migration_leaves_the_previous_version(tmp_path, monkeypatch):
    broken = (*MIGRATIONS, Migration(99, "broken", ("CREATE TABLE kv (x TEXT)",)))
    monkeypatch.setattr(_migrations, "MIGRATIONS", broken)
    with pytest.raises(sqlite3.OperationalError, match="already exists"):
        SqliteStateStore(tmp_path / "s.sqlite")
    monkeypatch.setattr(_migrations, "MIGRATIONS", MIGRATIONS)
    s = SqliteStateStore(tmp_path / "s.sqlite")
    assert s.schema_version == MIGRATIONS[-1].version
    s.close()


def test_postgres_configuration_errors_name_the_setting():
    with pytest.raises(ConfigError, match=r"state\.schema"):
        PostgresStateStore(PG_URL, schema="Robert'); DROP TABLE")
    with pytest.raises(ConfigError, match=r"state\.database_url: cannot connect"):
        PostgresStateStore("host=127.0.0.1 port=1 user=postgres dbname=test", connect_timeout=1)
