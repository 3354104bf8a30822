"""Features for QGTM, defined once and computed the same way in research (batch) and live.

from qgtm_features import FeatureLibrary, LibraryFeatureEngine
history = FeatureLibrary().history(bars, series)      # research: every date
features = LibraryFeatureEngine().compute(snapshot)   # live: the latest bar
features.get("GLD", "vol_yz_20"); features.cross["eig_divergence"]
"""

from qgtm_features._bars import BAR_INPUTS, bar_table, ewm_weights
from qgtm_features._basic import BasicFeatureEngine
from qgtm_features._cross import CrossNames, cross_table
from qgtm_features._eigen import eigen_feature, largest_eigenvalues, rolling_correlations
from qgtm_features._engine import LibraryFeatureEngine
from qgtm_features._kalman import KalmanHedgeRatio, LocalLinearTrend, StatefulFilter, run_filter
from qgtm_features._library import FeatureHistory, FeatureLibrary, FeatureParams
from qgtm_features._microstructure import depth_columns, microstructure_table
from qgtm_features._normalise import NormalisationStats
from qgtm_features._series import SERIES_WINDOW, series_table
from qgtm_features._spec import ArrayFeature, Feature, FeatureTable

__all__ = [
    "BAR_INPUTS",
    "SERIES_WINDOW",
    "ArrayFeature",
    "BasicFeatureEngine",
    "CrossNames",
    "Feature",
    "FeatureHistory",
    "FeatureLibrary",
    "FeatureParams",
    "FeatureTable",
    "KalmanHedgeRatio",
    "LibraryFeatureEngine",
    "LocalLinearTrend",
    "NormalisationStats",
    "StatefulFilter",
    "bar_table",
    "cross_table",
    "depth_columns",
    "eigen_feature",
    "ewm_weights",
    "largest_eigenvalues",
    "microstructure_table",
    "rolling_correlations",
    "run_filter",
    "series_table",
]
