"""Bayesian online change-point detection (Adams & MacKay, 2007) on daily returns.

A second, model-light regime signal next to the HMM: it needs no training, reacts within days to
a break in the mean or variance of returns, and says how sure it is. The model is a Gaussian with
unknown mean and variance (Normal-Gamma prior, Student-t predictive) and a constant hazard
``1 / expected_run``. Run lengths beyond ``max_run`` are folded into the last one, so a step costs
O(max_run) whatever the length of the history.

The published signal is the posterior probability that the current run is shorter than
``recent`` bars, i.e. that a change happened in the last few days.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.special import gammaln

from qgtm_ml._prices import FloatArray

__all__ = ["BayesianChangePoint", "ChangePointPrior"]


@dataclass(frozen=True)
class ChangePointPrior:
    """Normal-Gamma prior: mean ``mu0`` with ``kappa0`` pseudo-observations, precision Gamma(alpha0, beta0).

    The defaults suit daily returns: a prior variance of ``beta0 / alpha0`` = (1%)^2.
    """

    mu0: float = 0.0
    kappa0: float = 1.0
    alpha0: float = 2.0
    beta0: float = 2.0e-4
    expected_run: float = 250.0
    max_run: int = 500
    recent: int = 5

    def __post_init__(self) -> None:
        if self.kappa0 <= 0 or self.alpha0 <= 0 or self.beta0 <= 0:
            msg = "change-point prior: kappa0, alpha0 and beta0 must be positive"
            raise ValueError(msg)
        if self.expected_run <= 1 or self.max_run < 2 or not 1 <= self.recent < self.max_run:
            msg = "change-point prior: need expected_run > 1, max_run >= 2 and 1 <= recent < max_run"
            raise ValueError(msg)


@dataclass
class BayesianChangePoint:
    """The online posterior over the current run length; feed it one return per bar."""

    prior: ChangePointPrior = field(default_factory=ChangePointPrior)
    _log_r: FloatArray = field(init=False, repr=False)
    _mu: FloatArray = field(init=False, repr=False)
    _kappa: FloatArray = field(init=False, repr=False)
    _alpha: FloatArray = field(init=False, repr=False)
    _beta: FloatArray = field(init=False, repr=False)
    observations: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget everything: the run starts now."""
        p = self.prior
        self._log_r = np.array([0.0])
        self._mu = np.array([p.mu0])
        self._kappa = np.array([p.kappa0])
        self._alpha = np.array([p.alpha0])
        self._beta = np.array([p.beta0])
        self.observations = 0

    @property
    def run_length_posterior(self) -> FloatArray:
        """P(run length = r | data so far) for r = 0 .. current maximum."""
        out: FloatArray = np.exp(self._log_r - self._log_r.max())
        normalised: FloatArray = out / out.sum()
        return normalised

    @property
    def change_probability(self) -> float:
        """P(a change happened within the last ``recent`` bars); 0 until ``recent`` bars were seen.

        Right after a reset every run is short by construction, which says nothing about a change.
        """
        if self.observations <= self.prior.recent:
            return 0.0
        return float(self.run_length_posterior[: self.prior.recent].sum())

    @property
    def expected_run_length(self) -> float:
        """Posterior mean of the current run length, in bars."""
        post = self.run_length_posterior
        return float(post @ np.arange(post.shape[0]))

    def update(self, x: float) -> float:
        """Absorb one observation; return the new change probability. NaN is skipped."""
        if math.isnan(x):
            return self.change_probability
        p = self.prior
        # Student-t predictive of x under each run length's posterior
        nu = 2.0 * self._alpha
        var = self._beta * (self._kappa + 1.0) / (self._alpha * self._kappa)
        log_pred = (
            gammaln((nu + 1.0) / 2.0)
            - gammaln(nu / 2.0)
            - 0.5 * np.log(np.pi * nu * var)
            - (nu + 1.0) / 2.0 * np.log1p((x - self._mu) ** 2 / (nu * var))
        )
        log_h = math.log(1.0 / p.expected_run)
        log_1mh = math.log1p(-1.0 / p.expected_run)
        growth = self._log_r + log_pred + log_1mh
        change = float(np.logaddexp.reduce(self._log_r + log_pred + log_h))
        log_r = np.concatenate([[change], growth])
        # conjugate updates for every run length, with the prior for the new run at r = 0
        mu = np.concatenate([[p.mu0], (self._kappa * self._mu + x) / (self._kappa + 1.0)])
        kappa = np.concatenate([[p.kappa0], self._kappa + 1.0])
        alpha = np.concatenate([[p.alpha0], self._alpha + 0.5])
        beta = np.concatenate([[p.beta0], self._beta + self._kappa * (x - self._mu) ** 2 / (2.0 * (self._kappa + 1.0))])
        if log_r.shape[0] > p.max_run:
            # fold the tail into the longest run kept, so memory and time stay bounded
            tail = float(np.logaddexp.reduce(log_r[p.max_run - 1 :]))
            log_r = log_r[: p.max_run]
            log_r[-1] = tail
            mu, kappa, alpha, beta = (a[: p.max_run] for a in (mu, kappa, alpha, beta))
        self._log_r = log_r - float(np.logaddexp.reduce(log_r))
        self._mu, self._kappa, self._alpha, self._beta = mu, kappa, alpha, beta
        self.observations += 1
        return self.change_probability

    def run(self, xs: FloatArray) -> FloatArray:
        """Change probability after each observation of ``xs`` (causal)."""
        return np.array([self.update(float(x)) for x in xs])
