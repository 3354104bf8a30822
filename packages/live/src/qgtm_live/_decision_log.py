"""The shadow decision log: one JSON line per cycle, replayable offline.

Each line holds what a backtest needs to re-run the same cycle and compare: the cycle number and
time (so the correlation id, hence every client order id, is re-derived), the account the cycle
saw, the intents it decided (canonical JSON and their digest), the target weights, and the
measured offset between the local clock and the broker's (or exchange's) clock.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from qgtm_core import (
    AccountState,
    CycleResult,
    InstrumentId,
    JsonValue,
    OrderIntent,
    Position,
    canonical_bytes,
    digest,
)

__all__ = ["DecisionLog", "DecisionRecord", "intents_digest"]


def intents_digest(intents: tuple[OrderIntent, ...]) -> str:
    """The digest two runs must agree on to have made the same decisions."""
    return digest(intents)


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """One logged cycle."""

    cycle: int
    correlation_id: str
    at: datetime
    clock_offset_seconds: float
    account: AccountState
    intents_digest: str
    intents: JsonValue
    target: dict[str, float]

    def to_json(self) -> str:
        """One line."""
        account = {
            "at": self.account.at.isoformat(),
            "cash": str(self.account.cash),
            "positions": {k: [str(p.quantity), str(p.average_price)] for k, p in self.account.positions.items()},
            "marks": {k: str(v) for k, v in self.account.marks.items()},
            "multipliers": {k: str(v) for k, v in self.account.multipliers.items()},
        }
        body = {
            "cycle": self.cycle,
            "correlation_id": self.correlation_id,
            "at": self.at.isoformat(),
            "clock_offset_seconds": self.clock_offset_seconds,
            "account": account,
            "intents_digest": self.intents_digest,
            "intents": self.intents,
            "target": self.target,
        }
        return json.dumps(body, sort_keys=True)

    @classmethod
    def from_json(cls, line: str) -> DecisionRecord:
        """Inverse of ``to_json``."""
        data = json.loads(line)
        acc = data["account"]
        positions = {
            InstrumentId(k): Position(InstrumentId(k), Decimal(q), Decimal(p)) for k, (q, p) in acc["positions"].items()
        }
        account = AccountState(
            at=datetime.fromisoformat(acc["at"]),
            cash=Decimal(acc["cash"]),
            positions=positions,
            marks={InstrumentId(k): Decimal(v) for k, v in acc["marks"].items()},
            multipliers={InstrumentId(k): Decimal(v) for k, v in acc["multipliers"].items()},
        )
        return cls(
            cycle=int(data["cycle"]),
            correlation_id=str(data["correlation_id"]),
            at=datetime.fromisoformat(data["at"]),
            clock_offset_seconds=float(data["clock_offset_seconds"]),
            account=account,
            intents_digest=str(data["intents_digest"]),
            intents=data["intents"],
            target={str(k): float(v) for k, v in data["target"].items()},
        )


class DecisionLog:
    """Append-only JSON-lines file of ``DecisionRecord``s."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)

    def record(self, result: CycleResult, clock_offset_seconds: float) -> DecisionRecord:
        """Append the decisions of one cycle (flushed line by line)."""
        intents_json: JsonValue = json.loads(canonical_bytes(result.intents))
        record = DecisionRecord(
            cycle=result.cycle,
            correlation_id=result.correlation_id,
            at=result.at,
            clock_offset_seconds=clock_offset_seconds,
            account=result.account,
            intents_digest=intents_digest(result.intents),
            intents=intents_json,
            target={str(k): v for k, v in result.risk.approved.weights.items()},
        )
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(record.to_json() + "\n")
        return record

    def __iter__(self) -> Iterator[DecisionRecord]:
        if not self.path.is_file():
            return
        with self.path.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    yield DecisionRecord.from_json(line)
                except (KeyError, ValueError, TypeError) as exc:
                    msg = f"{self.path}:{n}: not a decision record ({exc})"
                    raise ValueError(msg) from exc
