"""Gaussian HMM regimes on (log return, volatility), relabelled so state 0 is always the calmest.

hmmlearn numbers states arbitrarily, and two fits on overlapping data can swap them. Sorting the
states by their mean volatility after every fit gives them stable names ("calm" ... "turbulent")
so regime weights keyed by name keep meaning across refits. The parameters travel as JSON
(never pickle); the live side only needs the forward recursion, done here in numpy so a cycle
costs a few microseconds and uses only information up to that bar.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from hmmlearn.hmm import GaussianHMM
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]  # ships no stubs or py.typed

from qgtm_core import DataError, JsonValue
from qgtm_ml._prices import FloatArray

__all__ = ["GaussianRegimeHmm", "hmm_observations", "state_names"]

_NAMES = {2: ("calm", "turbulent"), 3: ("calm", "normal", "turbulent"), 4: ("calm", "normal", "stressed", "turbulent")}


def state_names(n_states: int) -> tuple[str, ...]:
    """Names ordered from the lowest to the highest volatility state."""
    return _NAMES.get(n_states, tuple(f"vol{k}" for k in range(n_states)))


def hmm_observations(ret_1: FloatArray, vol_fast: FloatArray) -> FloatArray:
    """Rows of (log return, annualised volatility); rows with a NaN are dropped by the caller."""
    return np.column_stack([np.log1p(ret_1), vol_fast])


@dataclass(frozen=True)
class GaussianRegimeHmm:
    """A fitted, relabelled HMM: everything the forward filter needs, in plain arrays."""

    names: tuple[str, ...]
    startprob: FloatArray
    transmat: FloatArray
    means: FloatArray  # in standardised units
    covars: FloatArray  # full covariances, standardised units
    center: FloatArray
    scale: FloatArray
    log_likelihood: float

    @classmethod
    def fit(cls, observations: FloatArray, n_states: int = 3, seed: int = 7, n_iter: int = 200) -> GaussianRegimeHmm:
        """Fit on rows of ``hmm_observations`` (NaN rows removed) and sort states by volatility."""
        x = np.asarray(observations, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != 2:
            msg = f"HMM observations must have shape (n, 2), got {x.shape}"
            raise DataError(msg)
        if not np.all(np.isfinite(x)):
            row = int(np.flatnonzero(~np.all(np.isfinite(x), axis=1))[0])
            msg = f"HMM observations: row {row} is not finite; drop warm-up rows first"
            raise DataError(msg)
        if x.shape[0] < 50 * n_states:
            msg = f"HMM observations: {x.shape[0]} rows is too few for {n_states} states (need {50 * n_states})"
            raise DataError(msg)
        center = x.mean(axis=0)
        scale = x.std(axis=0)
        z = (x - center) / scale
        model = GaussianHMM(
            n_components=n_states,
            covariance_type="full",
            n_iter=n_iter,
            random_state=seed,
            tol=1e-4,
            implementation="scaling",
        )
        # 2x2 covariances: BLAS threads only add contention (10x slower on a busy 2-core host)
        with threadpool_limits(limits=1):
            model.fit(z)
        means = np.asarray(model.means_, dtype=np.float64)
        order = np.argsort(means[:, 1], kind="stable")
        return cls(
            names=state_names(n_states),
            startprob=np.asarray(model.startprob_, dtype=np.float64)[order],
            transmat=np.asarray(model.transmat_, dtype=np.float64)[np.ix_(order, order)],
            means=means[order],
            covars=np.asarray(model.covars_, dtype=np.float64)[order],
            center=center,
            scale=scale,
            log_likelihood=float(model.score(z)),
        )

    @property
    def n_states(self) -> int:
        """Number of hidden states."""
        return len(self.names)

    def state_vols(self) -> FloatArray:
        """Mean annualised volatility of each state, back in original units (ascending)."""
        vols: FloatArray = self.means[:, 1] * self.scale[1] + self.center[1]
        return vols

    @cached_property
    def _gaussians(self) -> tuple[FloatArray, FloatArray]:
        """Inverse covariances and the constant part of each state's log density, computed once.

        The forward step runs every cycle; inverting the covariances each time would cost more
        than the rest of the step.
        """
        inverses = np.asarray(np.linalg.inv(self.covars), dtype=np.float64)
        _, logdets = np.linalg.slogdet(self.covars)
        consts = -0.5 * (logdets + 2 * math.log(2 * math.pi)) - float(np.log(self.scale).sum())
        return inverses, np.asarray(consts, dtype=np.float64)

    def log_emissions(self, observations: FloatArray) -> FloatArray:
        """log N(x_t; mean_k, cov_k) for each row and state, in the original units."""
        inverses, consts = self._gaussians
        z = (np.atleast_2d(observations) - self.center) / self.scale
        d = z[:, None, :] - self.means[None, :, :]
        maha = np.einsum("tki,kij,tkj->tk", d, inverses, d)
        out: FloatArray = consts - 0.5 * maha
        return out

    def step(self, prior: FloatArray | None, observation: FloatArray) -> FloatArray:
        """One forward-filter step: P(state_t | x_1..x_t) from the previous posterior."""
        predicted = self.startprob if prior is None else prior @ self.transmat
        log_e = self.log_emissions(observation)[0]
        w = predicted * np.exp(log_e - log_e.max())
        total = float(w.sum())
        if total <= 0 or not math.isfinite(total):
            return predicted.copy()
        posterior: FloatArray = w / total
        return posterior

    def filter(self, observations: FloatArray) -> FloatArray:
        """Causal (filtered, not smoothed) state probabilities for each row; NaN rows carry over."""
        x = np.asarray(observations, dtype=np.float64)
        probs = np.full((x.shape[0], self.n_states), np.nan)
        prior: FloatArray | None = None
        for t in range(x.shape[0]):
            if not np.all(np.isfinite(x[t])):
                if prior is not None:
                    probs[t] = prior
                continue
            prior = self.step(prior, x[t])
            probs[t] = prior
        return probs

    def to_json(self) -> dict[str, JsonValue]:
        """The parameters as plain JSON (the artifact payload)."""
        return {
            "names": list(self.names),
            "startprob": self.startprob.tolist(),
            "transmat": self.transmat.tolist(),
            "means": self.means.tolist(),
            "covars": self.covars.tolist(),
            "center": self.center.tolist(),
            "scale": self.scale.tolist(),
            "log_likelihood": self.log_likelihood,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object], source: str = "hmm") -> GaussianRegimeHmm:
        """Rebuild from ``to_json`` output; a ``DataError`` names a missing or malformed key."""
        try:
            names = data["names"]
            if not isinstance(names, Sequence) or isinstance(names, str):
                msg = f"{source}: 'names' must be a list of state names"
                raise DataError(msg)
            k = len(names)
            arrays = {
                key: np.asarray(data[key], dtype=np.float64)
                for key in ("startprob", "transmat", "means", "covars", "center", "scale")
            }
            log_likelihood = float(str(data["log_likelihood"]))
        except KeyError as exc:
            msg = f"{source}: missing key {exc.args[0]!r}"
            raise DataError(msg) from None
        except (TypeError, ValueError) as exc:
            msg = f"{source}: malformed parameters: {exc}"
            raise DataError(msg) from None
        shapes = {
            "startprob": (k,),
            "transmat": (k, k),
            "means": (k, 2),
            "covars": (k, 2, 2),
            "center": (2,),
            "scale": (2,),
        }
        for key, shape in shapes.items():
            if arrays[key].shape != shape:
                msg = f"{source}: '{key}' has shape {arrays[key].shape}, expected {shape}"
                raise DataError(msg)
        return cls(
            tuple(str(n) for n in names),
            arrays["startprob"],
            arrays["transmat"],
            arrays["means"],
            arrays["covars"],
            arrays["center"],
            arrays["scale"],
            log_likelihood,
        )
