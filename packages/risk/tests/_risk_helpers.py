"""Builders shared by the risk tests, and a real SQLite ``KeyValueStore``."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from qgtm_core import AccountState, FeatureSet, InstrumentId, JsonValue, Position, TargetPortfolio

DATA = Path(__file__).resolve().parents[3] / "data"


class SqliteKv:
    """A small durable key-value store: what the app's SQLite state store does for the kill switch."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path)
        self._db.execute("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        self._db.commit()

    def get(self, key: str) -> JsonValue:
        row = self._db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def put(self, key: str, value: JsonValue) -> None:
        self._db.execute("INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", (key, json.dumps(value)))
        self._db.commit()

    def close(self) -> None:
        self._db.close()


class MemoryKv:
    def __init__(self) -> None:
        self.data: dict[str, JsonValue] = {}

    def get(self, key: str) -> JsonValue:
        return self.data.get(key)

    def put(self, key: str, value: JsonValue) -> None:
        self.data[key] = value


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 21, tzinfo=UTC)


def account(
    when: datetime, cash: float, holdings: Mapping[str, float] | None = None, price: float = 100.0
) -> AccountState:
    """Every instrument marked at ``price``; ``holdings`` in shares."""
    positions = {
        InstrumentId(k): Position(InstrumentId(k), Decimal(str(q)), Decimal(str(price)))
        for k, q in (holdings or {}).items()
    }
    marks = {i: Decimal(str(price)) for i in positions}
    return AccountState(when, Decimal(str(cash)), positions, marks)


def target(when: datetime, weights: Mapping[str, float]) -> TargetPortfolio:
    return TargetPortfolio(when, {InstrumentId(k): v for k, v in weights.items()})


def features(when: datetime, vol: Mapping[str, float] | None = None) -> FeatureSet:
    return FeatureSet(when, {InstrumentId(k): {"vol_fast": v} for k, v in (vol or {}).items()})
