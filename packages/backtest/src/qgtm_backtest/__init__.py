"""Backtesting for QGTM: the simulated venue (also the paper broker), replay and research tools.

from decimal import Decimal
from qgtm_core import ManualClock
from qgtm_backtest import SimulatedVenue
venue = SimulatedVenue(Decimal(100_000), ManualClock(start))
"""

from qgtm_backtest._venue import PerShareCommission, SimulatedVenue

__all__ = ["PerShareCommission", "SimulatedVenue"]
