"""Poll a growing Sierra Chart CSV: each poll returns only the complete lines appended since.

A partial last line (the writer is mid-write) stays for the next poll. If the file shrinks, the
writer replaced it: that is an error, not a reason to start over silently.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import polars as pl

from qgtm_core import DataError
from qgtm_data._batch import FeedBatch, Kind, RowCheck
from qgtm_data.adapters.sierra.parsing import DEPTH_HEADER, TICK_HEADER, parse_lines
from qgtm_data.adapters.sierra.publication import stamps

__all__ = ["SierraCsvPoller"]


class SierraCsvPoller:
    """``kind`` is ``"ticks"`` or ``"depth"``; ``zone`` is the chart's time zone."""

    def __init__(
        self, path: Path, instrument: str, kind: str, now: Callable[[], datetime], zone: str = "America/New_York"
    ) -> None:
        if kind not in ("ticks", "depth"):
            msg = f"{path}: unknown Sierra export kind {kind!r} (ticks or depth)"
            raise DataError(msg)
        self.path = path
        self.instrument = instrument
        self.kind = kind
        self._now = now
        self._zone = zone
        self._offset = 0
        self._line = 0
        self._header = TICK_HEADER if kind == "ticks" else DEPTH_HEADER

    def load(self) -> list[FeedBatch]:
        """The ``Adapter`` port: one poll, as a list."""
        batch = self.poll()
        return [] if batch is None else [batch]

    def poll(self) -> FeedBatch | None:
        """New complete rows since the last poll, or ``None`` when nothing new arrived."""
        if not self.path.is_file():
            msg = f"{self.path}: Sierra export not found"
            raise DataError(msg)
        size = self.path.stat().st_size
        if size < self._offset:
            msg = f"{self.path}: file shrank from {self._offset} to {size} bytes (replaced by the writer?)"
            raise DataError(msg)
        with self.path.open("rb") as handle:
            handle.seek(self._offset)
            chunk = handle.read(size - self._offset)
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self._offset += len(complete)
        lines: list[tuple[int, str]] = []
        for text in complete.decode("utf-8").splitlines():
            self._line += 1
            if self._line == 1:
                header = [c.strip() for c in text.split(",")]
                if header != self._header:
                    msg = f"{self.path}: row 1: wrong column layout: expected {self._header}, got {header}"
                    raise DataError(msg)
                continue
            if text.strip():
                lines.append((self._line, text))
        if not lines:
            return None
        return self._batch(lines)

    def _batch(self, lines: list[tuple[int, str]]) -> FeedBatch:
        source = str(self.path)
        text_columns = frozenset({"Side"}) if self.kind == "depth" else frozenset()
        frame, rejects = parse_lines(source, self._header, lines, text_columns)
        stamped = frame.with_columns(*stamps(self._zone, self._now()))
        if self.kind == "ticks":
            out = stamped.select(
                "row",
                "session",
                "as_of",
                "available_at",
                pl.col("Last").alias("price"),
                pl.col("Volume").alias("volume"),
                pl.col("BidVolume").alias("bid_volume"),
                pl.col("AskVolume").alias("ask_volume"),
            )
            values: tuple[str, ...] = ("price", "volume", "bid_volume", "ask_volume")
            checks: tuple[RowCheck, ...] = ()
            unique: tuple[str, ...] = ("row",)
        else:
            out = stamped.select(
                "row",
                "session",
                "as_of",
                "available_at",
                pl.col("Side").str.to_lowercase().alias("side"),
                pl.col("Level").alias("level"),
                pl.col("Price").alias("price"),
                pl.col("Quantity").alias("quantity"),
            )
            values = ("level", "price", "quantity")
            checks = (
                RowCheck("side", "side is not bid or ask", ~pl.col("side").is_in(["bid", "ask"])),
                RowCheck("level", "level outside 1..10", (pl.col("level") < 1) | (pl.col("level") > 10)),
            )
            unique = ("side", "level")
        return FeedBatch(
            source=source,
            instrument=self.instrument,
            feed=f"sierra_{self.kind}",
            kind=Kind.SERIES,
            frame=out,
            value_columns=values,
            price_columns=("price",),
            calendar=None,
            checks=checks,
            unique_key=unique,
            rejects=tuple(rejects),
        )
