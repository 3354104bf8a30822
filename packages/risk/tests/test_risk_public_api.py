"""The public surface of qgtm_risk: sorted, complete, and every name importable."""

from __future__ import annotations

import qgtm_risk


def test_all_is_sorted_and_importable() -> None:
    names = qgtm_risk.__all__
    assert list(names) == sorted(names, key=lambda n: (not n.isupper(), n))
    assert all(hasattr(qgtm_risk, n) for n in names)
    assert {"PortfolioRiskGate", "KillSwitch", "LeverageDrawdownRiskGate", "build_risk_gate"} <= set(names)
