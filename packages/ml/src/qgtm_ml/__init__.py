"""Regime models and the meta-label filter for QGTM.

from qgtm_ml import PassThroughRegimeFilter
result = PassThroughRegimeFilter().filter(target, signals, features)
result.decisions  # one keep/reduce/reject per signal, each with a reason
"""

from qgtm_ml._passthrough import PassThroughRegimeFilter

__all__ = ["PassThroughRegimeFilter"]
