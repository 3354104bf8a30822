"""The engine the app has always wired, now a thin front over the full feature library."""

from __future__ import annotations

from qgtm_features._engine import LibraryFeatureEngine
from qgtm_features._library import FeatureParams

__all__ = ["BasicFeatureEngine"]


class BasicFeatureEngine(LibraryFeatureEngine):
    """``LibraryFeatureEngine`` with the historical constructor (windows and the metal ETFs)."""

    def __init__(self, fast_window: int = 20, slow_window: int = 100, gold: str = "GLD", silver: str = "SLV") -> None:
        if fast_window >= slow_window:
            msg = f"fast_window {fast_window} must be shorter than slow_window {slow_window}"
            raise ValueError(msg)
        super().__init__(FeatureParams(fast=fast_window, slow=slow_window, gold=gold, silver=silver))
