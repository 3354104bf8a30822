"""How a run is set up: mode, universe, dates, capital and where files live."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path

from pydantic import Field, field_validator, model_validator

from qgtm_core.config._base import Section
from qgtm_core.universe import DEFAULT_UNIVERSE

__all__ = ["RunConfig", "RunMode"]


class RunMode(StrEnum):
    """Environment; only clock, data source and broker differ between them."""

    BACKTEST = "backtest"
    PAPER = "paper"
    SHADOW = "shadow"
    LIVE = "live"


class RunConfig(Section):
    """The ``[run]`` section."""

    mode: RunMode = RunMode.PAPER
    instruments: tuple[str, ...] = ("GLD", "SLV", "SPY")
    start: date = date(2015, 1, 2)
    end: date | None = None
    initial_cash: float = Field(default=1_000_000.0, gt=0)
    data_dir: Path = Path("data")
    var_dir: Path = Path("var")
    seed: int = 7
    max_cycles: int | None = Field(default=None, gt=0)

    @field_validator("instruments")
    @classmethod
    def _known_instruments(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for symbol in value:
            if symbol not in DEFAULT_UNIVERSE:
                known = ", ".join(sorted(DEFAULT_UNIVERSE))
                msg = f"unknown instrument {symbol!r} (known: {known})"
                raise ValueError(msg)
        if not value:
            msg = "at least one instrument is required"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _dates_ordered(self) -> RunConfig:
        if self.end is not None and self.end <= self.start:
            msg = f"end {self.end} must be after start {self.start}"
            raise ValueError(msg)
        return self
