"""The public surface of qgtm_compliance: sorted, complete, and every name importable."""

from __future__ import annotations

import qgtm_compliance


def test_all_is_sorted_and_importable() -> None:
    names = qgtm_compliance.__all__
    assert list(names) == sorted(names, key=lambda n: (not n.isupper(), n))
    assert all(hasattr(qgtm_compliance, n) for n in names)
    assert {"RuleBookCompliance", "PositionLimitCompliance", "WashSaleLedger", "build_compliance_gate"} <= set(names)
