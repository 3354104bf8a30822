"""Fixtures: an in-memory API with one key per scope, and a real Redis connection."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
import redis

from qgtm_api import (
    ApiServices,
    BackgroundServer,
    FillView,
    InMemoryState,
    OrderView,
    PortfolioView,
    PositionView,
    Scope,
    StrategyView,
    create_app,
)

T0 = datetime(2024, 3, 4, 21, 0, tzinfo=UTC)


@dataclass
class Api:
    client: httpx.Client
    server: BackgroundServer
    services: ApiServices
    state: InMemoryState
    tokens: dict[Scope, str]
    key_ids: dict[Scope, str]

    def headers(self, scope: Scope) -> dict[str, str]:
        return {"X-API-Key": self.tokens[scope]}


def seeded_state() -> InMemoryState:
    state = InMemoryState()
    gld = PositionView(
        instrument="GLD",
        quantity=Decimal(100),
        average_price=Decimal("190.00"),
        mark=Decimal("195.50"),
        market_value=Decimal("19550.00"),
        unrealized_pnl=Decimal("550.00"),
        realized_pnl=Decimal("0"),
    )
    state.portfolio_view = PortfolioView(
        at=T0,
        cash=Decimal("981000.00"),
        equity=Decimal("1000550.00"),
        realized_pnl=Decimal(0),
        unrealized_pnl=Decimal("550.00"),
        commissions=Decimal("1.00"),
        positions=[gld],
    )
    state.order_views = [
        OrderView(
            client_order_id=f"sig-20240304-210000-abcd-{n:010x}",
            correlation_id="sig-20240304-210000-abcd",
            instrument="GLD",
            side="buy",
            quantity=Decimal(100),
            order_type="market",
            status="filled",
            filled_quantity=Decimal(100),
            average_fill_price=Decimal("190.00"),
            reject_reason=None,
            updated_at=T0,
        )
        for n in range(3)
    ]
    state.fill_views = [
        FillView(
            execution_id="e1",
            client_order_id="c1",
            correlation_id="sig-20240304-210000-abcd",
            instrument="GLD",
            side="buy",
            quantity=Decimal(100),
            price=Decimal("190.00"),
            commission=Decimal("1.00"),
            at=T0,
        )
    ]
    state.strategy_views = {
        "gold_trend": StrategyView(name="gold_trend", enabled=True, paused=False),
        "gold_silver_ratio_mr": StrategyView(name="gold_silver_ratio_mr", enabled=True, paused=False),
    }
    return state


@contextmanager
def running_api(state: InMemoryState | None = None, **kwargs: object) -> Iterator[Api]:
    """Serve an in-memory API on loopback with one key per scope."""
    state = state or seeded_state()
    services = ApiServices.in_memory(state, **kwargs)  # type: ignore[arg-type]
    tokens: dict[Scope, str] = {}
    ids: dict[Scope, str] = {}
    for scope in Scope:
        key, token = services.keys.create(f"{scope.name.lower()}-key", scope, rate_per_minute=10_000)
        tokens[scope] = token
        ids[scope] = key.key_id
    with BackgroundServer(create_app("9.9.9", services)) as server, httpx.Client(base_url=server.url) as client:
        yield Api(client, server, services, state, tokens, ids)


@pytest.fixture
def api() -> Iterator[Api]:
    with running_api() as built:
        yield built


@pytest.fixture
def redis_url() -> str:
    client = redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.ConnectionError:
        if os.environ.get("QGTM_REQUIRE_SERVICES"):
            raise
        pytest.skip("Redis at 127.0.0.1:6379 is unreachable and QGTM_REQUIRE_SERVICES is unset")
    finally:
        client.close()
    return "redis://127.0.0.1:6379/0"
