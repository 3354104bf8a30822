"""Cross-sectional features over the aligned daily frame (one close column per instrument, plus
the macro series known at each bar): the gold/silver ratio, rolling correlations and betas,
real-yield and dollar sensitivities, the futures basis and the eigenvalue divergence."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from qgtm_features._eigen import eigen_feature
from qgtm_features._spec import Feature, FeatureTable

__all__ = ["CrossNames", "cross_table"]


class CrossNames:
    """Which column plays which role; strategies only ever see the output feature names."""

    def __init__(
        self,
        gold: str = "GLD",
        silver: str = "SLV",
        equity: str = "SPY",
        miners: str = "GDX",
        future: str = "GC",
        gold_oz: str = "GLD_OZ",
        real_yield: str = "DFII10",
        dollar: str = "DTWEXBGS",
    ) -> None:
        self.gold = gold
        self.silver = silver
        self.equity = equity
        self.miners = miners
        self.future = future
        self.gold_oz = gold_oz
        self.real_yield = real_yield
        self.dollar = dollar


def _lr(col: str) -> pl.Expr:
    return pl.col(col).log().diff()


def _beta(y: pl.Expr, x: pl.Expr, window: int) -> pl.Expr:
    var = pl.rolling_cov(x, x, window_size=window)
    return pl.when(var > 0).then(pl.rolling_cov(y, x, window_size=window) / var).otherwise(None)


def _z(x: pl.Expr, window: int) -> pl.Expr:
    """Rolling z-score; a window flat to rounding noise scores 0 (its 'std' is float error)."""
    std = x.rolling_std(window)
    mean = x.rolling_mean(window)
    return pl.when(std > 1e-9 * mean.abs() + 1e-12).then((x - mean) / std).otherwise(0.0)


def cross_table(
    names: CrossNames | None = None,
    fast: int = 20,
    slow: int = 100,
    eigen_instruments: Sequence[str] = (),
    eigen_windows: Sequence[int] = (20, 60, 120),
) -> FeatureTable:
    """Cross features; those whose inputs are absent are dropped by ``restricted_to``."""
    n = names or CrossNames()
    g, s, e, m = n.gold, n.silver, n.equity, n.miners
    ratio = pl.col(g) / pl.col(s)
    # front future over the spot implied by the ETF (close / ounces of gold per share)
    basis = pl.col(n.future) * pl.col(n.gold_oz) / pl.col(g) - 1.0
    feats: list[Feature] = [
        Feature("gold_silver_ratio", 1, ratio, (g, s)),
        Feature("gold_silver_ratio_z", slow, _z(ratio, slow), (g, s)),
        Feature("gold_silver_ratio_z_fast", fast, _z(ratio, fast), (g, s)),
        Feature("gold_silver_ratio_mom_20", 21, ratio / ratio.shift(20) - 1.0, (g, s)),
        Feature("corr_gold_silver_60", 61, pl.rolling_corr(_lr(g), _lr(s), window_size=60), (g, s)),
        Feature("corr_gold_equity_60", 61, pl.rolling_corr(_lr(g), _lr(e), window_size=60), (g, e)),
        Feature("beta_gold_equity_60", 61, _beta(_lr(g), _lr(e), 60), (g, e)),
        Feature("beta_silver_gold_60", 61, _beta(_lr(s), _lr(g), 60), (g, s)),
        Feature("equity_mom_20", 21, pl.col(e) / pl.col(e).shift(20) - 1.0, (e,)),
        Feature("equity_vol_20", 21, _lr(e).rolling_std(20) * (252.0**0.5), (e,)),
        Feature("equity_drawdown_60", 60, pl.col(e) / pl.col(e).rolling_max(60) - 1.0, (e,)),
        Feature("miners_gold_ratio_z", slow, _z((pl.col(m) / pl.col(g)).log(), slow), (g, m)),
        Feature("miners_gold_beta_60", 61, _beta(_lr(m), _lr(g), 60), (g, m)),
        Feature("gold_real_yield_beta_252", 253, _beta(_lr(g), pl.col(n.real_yield).diff(), 252), (g, n.real_yield)),
        Feature("gold_dollar_beta_252", 253, _beta(_lr(g), _lr(n.dollar), 252), (g, n.dollar)),
        Feature("real_yield_chg_20", 21, pl.col(n.real_yield).diff(20), (n.real_yield,)),
        Feature("real_yield_z_252", 252, _z(pl.col(n.real_yield), 252), (n.real_yield,)),
        Feature("dollar_mom_20", 21, pl.col(n.dollar) / pl.col(n.dollar).shift(20) - 1.0, (n.dollar,)),
        Feature("dollar_z_252", 252, _z(pl.col(n.dollar), 252), (n.dollar,)),
        Feature("gold_basis", 1, basis, (g, n.future, n.gold_oz)),
        Feature("gold_basis_z_60", 60, _z(basis, 60), (g, n.future, n.gold_oz)),
    ]
    arrays = (eigen_feature(eigen_instruments, eigen_windows),) if len(eigen_instruments) >= 2 else ()
    return FeatureTable(tuple(feats), arrays)
