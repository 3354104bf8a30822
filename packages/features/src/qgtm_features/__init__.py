"""Features for QGTM, computed the same way in research and live.

from qgtm_features import BasicFeatureEngine
features = BasicFeatureEngine(fast_window=20, slow_window=100).compute(snapshot)
features.get("GLD", "sma_fast")
"""

from qgtm_features._basic import BasicFeatureEngine

__all__ = ["BasicFeatureEngine"]
