"""Restricted list, per-instrument and per-asset-class position limits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from qgtm_compliance._rules import RuleContext, violation
from qgtm_core import AssetClass, ComplianceAction, ComplianceRule, ComplianceViolation, ConfigError, InstrumentId

__all__ = ["AssetClassLimitRule", "InstrumentLimitRule", "RestrictedListRule"]


class RestrictedListRule:
    """Instruments the firm may not trade: the target goes to zero (selling an existing holding is allowed)."""

    name = "restricted_list"

    def __init__(self, restricted: Iterable[str]) -> None:
        self._restricted = frozenset(InstrumentId(r) for r in restricted)

    def apply(self, weights: dict[InstrumentId, float], ctx: RuleContext) -> list[ComplianceViolation]:
        """Block every restricted instrument with a non-zero target."""
        out: list[ComplianceViolation] = []
        for instrument in sorted(weights):
            weight = weights[instrument]
            if instrument in self._restricted and weight != 0.0:
                weights[instrument] = 0.0
                out.append(
                    violation(
                        ComplianceRule.RESTRICTED_LIST,
                        ComplianceAction.BLOCK,
                        instrument,
                        weight,
                        0.0,
                        f"{instrument} is on the restricted list",
                    )
                )
        return out


class InstrumentLimitRule:
    """Caps ``|weight|`` per instrument; ``overrides`` sets a different cap for named instruments."""

    name = "instrument_limit"

    def __init__(self, max_weight: float, overrides: Mapping[str, float] | None = None) -> None:
        self._default = max_weight
        self._overrides = {InstrumentId(k): v for k, v in (overrides or {}).items()}

    def limit(self, instrument: InstrumentId) -> float:
        """The cap that applies to one instrument."""
        return self._overrides.get(instrument, self._default)

    def apply(self, weights: dict[InstrumentId, float], ctx: RuleContext) -> list[ComplianceViolation]:
        """Reduce each weight above its cap to the cap."""
        out: list[ComplianceViolation] = []
        for instrument in sorted(weights):
            weight = weights[instrument]
            cap = self.limit(instrument)
            if abs(weight) > cap:
                capped = cap if weight > 0 else -cap
                weights[instrument] = capped
                out.append(
                    violation(
                        ComplianceRule.POSITION_LIMIT,
                        ComplianceAction.REDUCE,
                        instrument,
                        weight,
                        capped,
                        f"|weight| {abs(weight):.4f} above the position limit {cap:.4f} for {instrument}",
                    )
                )
        return out


class AssetClassLimitRule:
    """Caps the gross weight of each asset class; members are scaled down pro rata."""

    name = "asset_class_limit"

    def __init__(self, limits: Mapping[str, float]) -> None:
        known = {c.value for c in AssetClass}
        unknown = sorted(set(limits) - known)
        if unknown:
            msg = (
                f"compliance.asset_class_limits: unknown asset class {unknown[0]!r} (known: {', '.join(sorted(known))})"
            )
            raise ConfigError(msg)
        self._limits = {AssetClass(k): v for k, v in limits.items()}

    def apply(self, weights: dict[InstrumentId, float], ctx: RuleContext) -> list[ComplianceViolation]:
        """Scale every class whose gross weight is above its cap."""
        out: list[ComplianceViolation] = []
        for asset_class, cap in sorted(self._limits.items()):
            members = sorted(i for i in weights if ctx.asset_class(i) is asset_class and weights[i] != 0.0)
            gross = sum(abs(weights[i]) for i in members)
            if gross <= cap:
                continue
            scale = cap / gross
            for instrument in members:
                requested = weights[instrument]
                weights[instrument] = requested * scale
                out.append(
                    violation(
                        ComplianceRule.ASSET_CLASS_LIMIT,
                        ComplianceAction.REDUCE,
                        instrument,
                        requested,
                        weights[instrument],
                        f"{asset_class.value} gross {gross:.4f} above its limit {cap:.4f}",
                    )
                )
        return out
