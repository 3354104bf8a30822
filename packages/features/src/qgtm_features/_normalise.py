"""Normalisation statistics as hashed artifacts.

Models are trained on features standardised with research-time means and deviations. Re-estimating
them live would silently shift every input, so they are fitted once, saved with their digest
(``qgtm_core.digest`` of the canonical payload) and loaded only when the digest verifies.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from qgtm_core import IntegrityError, digest

__all__ = ["NormalisationStats"]


@dataclass(frozen=True)
class NormalisationStats:
    """Per-feature mean and standard deviation fitted on a research window."""

    mean: Mapping[str, float]
    std: Mapping[str, float]
    fitted_on: str = ""

    @classmethod
    def fit(cls, frame: pl.DataFrame, columns: Sequence[str], fitted_on: str = "") -> NormalisationStats:
        """Fit on the finite values of each column; a column with no finite value is an error."""
        mean: dict[str, float] = {}
        std: dict[str, float] = {}
        for name in columns:
            if name not in frame.columns:
                msg = f"normalisation: feature column {name!r} not in the frame"
                raise ValueError(msg)
            values = frame.get_column(name).cast(pl.Float64).fill_nan(None).drop_nulls()
            if values.len() < 2:
                msg = f"normalisation: feature {name!r} has fewer than 2 finite values"
                raise ValueError(msg)
            mean[name] = float(values.mean())  # type: ignore[arg-type]  # polars types mean() loosely
            std[name] = float(values.std())  # type: ignore[arg-type]  # polars types std() loosely
        return cls(mean, std, fitted_on)

    def payload(self) -> dict[str, object]:
        """The canonical content the digest covers."""
        return {"mean": dict(self.mean), "std": dict(self.std), "fitted_on": self.fitted_on}

    @property
    def digest(self) -> str:
        """SHA-256 of the canonical payload."""
        return digest(self.payload())

    def save(self, path: Path) -> str:
        """Write the artifact (payload plus digest) and return the digest."""
        body = {"digest": self.digest, **self.payload()}
        path.write_text(json.dumps(body, sort_keys=True, indent=1), encoding="utf-8")
        return self.digest

    @classmethod
    def load(cls, path: Path, expected_digest: str | None = None) -> NormalisationStats:
        """Load and verify; a tampered file or an unexpected digest raises ``IntegrityError``."""
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
            stats = cls(
                {str(k): float(v) for k, v in body["mean"].items()},
                {str(k): float(v) for k, v in body["std"].items()},
                str(body["fitted_on"]),
            )
            recorded = str(body["digest"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            msg = f"{path}: not a normalisation artifact: {exc}"
            raise IntegrityError(msg) from exc
        if stats.digest != recorded:
            msg = f"{path}: digest {recorded} does not match its content ({stats.digest})"
            raise IntegrityError(msg)
        if expected_digest is not None and expected_digest != recorded:
            msg = f"{path}: digest {recorded} is not the expected {expected_digest}"
            raise IntegrityError(msg)
        return stats

    def apply(self, values: Mapping[str, float]) -> dict[str, float]:
        """Standardise with the stored statistics (never re-estimated); unknown names pass through."""
        out: dict[str, float] = {}
        for name, value in values.items():
            mean = self.mean.get(name)
            std = self.std.get(name)
            if mean is None or std is None:
                out[name] = value
            else:
                out[name] = (value - mean) / std if std > 0 and math.isfinite(std) else 0.0
        return out
