"""Alpaca data API payloads (raw mode) -> frames.

REST bars carry ``t`` as RFC 3339 text; stream messages carry ``t`` as a msgpack Timestamp.
Field names are Alpaca's one-letter keys; a missing key is a malformed message and is rejected by
name rather than defaulted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import polars as pl

from qgtm_core import DataError
from qgtm_data._batch import TS_UTC, QuarantineRecord

__all__ = ["BAR_KEYS", "QUOTE_KEYS", "bars_frame", "quotes_frame", "stamp"]

BAR_KEYS = {"o": "open", "h": "high", "l": "low", "c": "close", "v": "volume"}
QUOTE_KEYS = {"bp": "bid", "ap": "ask", "bs": "bid_size", "as": "ask_size"}


def stamp(value: object, source: str, row: int) -> datetime:
    """``t`` as a tz-aware UTC datetime (RFC 3339 text or anything with ``to_datetime()``)."""
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    elif isinstance(value, datetime):
        parsed = value
    elif hasattr(value, "to_datetime"):
        parsed = value.to_datetime()
    else:
        msg = f"{source}: row {row}: field 't': not a timestamp: {value!r}"
        raise DataError(msg)
    if parsed.tzinfo is None:
        msg = f"{source}: row {row}: field 't': timestamp without a zone: {value!r}"
        raise DataError(msg)
    return parsed.astimezone(UTC)


def _frame(
    messages: Sequence[Mapping[str, object]], keys: Mapping[str, str], source: str, symbol_key: str | None
) -> tuple[pl.DataFrame, list[QuarantineRecord]]:
    columns: dict[str, list[object]] = {"row": [], "instrument": [], "t": [], **{v: [] for v in keys.values()}}
    rejects: list[QuarantineRecord] = []
    for row, message in enumerate(messages, start=1):
        absent = [k for k in ("t", *keys) if k not in message]
        if absent:
            reason = f"malformed message: missing key(s) {', '.join(absent)}"
            rejects.append(QuarantineRecord(source, row, absent[0], reason, str(dict(message))[:80]))
            continue
        columns["row"].append(row)
        columns["instrument"].append(str(message[symbol_key]) if symbol_key else "")
        columns["t"].append(stamp(message["t"], source, row))
        for key, name in keys.items():
            value = message[key]
            columns[name].append(float(value) if isinstance(value, int | float) else None)
    schema: dict[str, pl.DataType] = {"row": pl.Int64(), "instrument": pl.String(), "t": TS_UTC}
    schema |= {name: pl.Float64() for name in keys.values()}
    return pl.DataFrame(columns, schema=schema), rejects


def bars_frame(
    bars: Sequence[Mapping[str, object]], source: str, symbol_key: str | None = None
) -> tuple[pl.DataFrame, list[QuarantineRecord]]:
    """Bars with ``row`` (1-based message index), ``instrument``, ``t`` and OHLCV."""
    return _frame(bars, BAR_KEYS, source, symbol_key)


def quotes_frame(quotes: Sequence[Mapping[str, object]], source: str) -> tuple[pl.DataFrame, list[QuarantineRecord]]:
    """Quotes with ``row``, ``instrument``, ``t``, bid/ask and sizes."""
    return _frame(quotes, QUOTE_KEYS, source, "S")
