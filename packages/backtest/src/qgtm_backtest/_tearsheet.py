"""A self-contained HTML tear sheet: inline SVG charts and tables, no script, no CDN, no network.

It opens from an e-mail attachment or an air-gapped research box and renders the same bytes for
the same run (no timestamps), so it can sit next to the manifest as a reproducible output.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np
import polars as pl

from qgtm_backtest._engine import BacktestResult
from qgtm_core import JsonValue

__all__ = ["render_tearsheet"]

_W, _H, _PAD = 900, 240, 44
_PALETTE = ("#1f6feb", "#d29922", "#8250df", "#2da44e", "#cf222e", "#0a7b83", "#9a6700", "#6e7781")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_CSS = """
body{font:14px/1.45 -apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px auto;max-width:960px;color:#1f2328}
h1{font-size:22px}h2{font-size:16px;margin-top:28px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
table{border-collapse:collapse;font-size:12px}td,th{padding:3px 8px;border:1px solid #d0d7de;text-align:right}
th{background:#f6f8fa}.kpi td:first-child{text-align:left}
pre{background:#f6f8fa;padding:8px;font-size:11px;overflow:auto}
svg text{font-size:10px;fill:#57606a}.legend span{margin-right:12px}
"""


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _thin(n: int, limit: int = 800) -> np.ndarray:
    return np.unique(np.linspace(0, n - 1, num=min(n, limit)).round().astype(int)) if n else np.asarray([], int)


def _chart(times: Sequence[datetime], series: Mapping[str, np.ndarray], fmt: str, *, area: bool = False) -> str:
    """Lines (or a filled area) over a shared time axis, with min/max and first/last labels."""
    n = len(times)
    finite = [v[np.isfinite(v)] for v in series.values()]
    values = np.concatenate(finite) if finite else np.asarray([])
    if n < 2 or values.size == 0:
        return "<p><em>not enough data</em></p>"
    lo, hi = float(values.min()), float(values.max())
    if area:
        hi = max(hi, 0.0)
    span = hi - lo or 1.0
    idx = _thin(n)

    def x(i: int) -> float:
        return _PAD + (_W - 2 * _PAD) * i / (n - 1)

    def y(v: float) -> float:
        return _PAD / 2 + (_H - _PAD) * (hi - v) / span

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" viewBox="0 0 {_W} {_H}">']
    parts.append(
        f'<rect x="{_PAD}" y="{_PAD / 2}" width="{_W - 2 * _PAD}" height="{_H - _PAD}" fill="none" stroke="#d0d7de"/>'
    )
    for k, (name, vals) in enumerate(series.items()):
        color = _PALETTE[k % len(_PALETTE)]
        pts = " ".join(f"{x(int(i)):.1f},{y(float(vals[i])):.1f}" for i in idx if math.isfinite(float(vals[i])))
        if area:
            base = f"{x(int(idx[-1])):.1f},{y(0.0):.1f} {x(int(idx[0])):.1f},{y(0.0):.1f}"
            parts.append(f'<polygon points="{pts} {base}" fill="{color}" fill-opacity="0.35" stroke="{color}"/>')
        else:
            parts.append(
                f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="1.3">'
                f"<title>{_esc(name)}</title></polyline>"
            )
    parts.append(f'<text x="2" y="{y(hi) + 4:.1f}">{_esc(format(hi, fmt))}</text>')
    parts.append(f'<text x="2" y="{y(lo) + 4:.1f}">{_esc(format(lo, fmt))}</text>')
    parts.append(f'<text x="{_PAD}" y="{_H - 4}">{_esc(times[0].date())}</text>')
    parts.append(f'<text x="{_W - _PAD}" y="{_H - 4}" text-anchor="end">{_esc(times[-1].date())}</text>')
    parts.append("</svg>")
    legend = "".join(
        f'<span style="color:{_PALETTE[k % len(_PALETTE)]}">&#9632; {_esc(name)}</span>'
        for k, name in enumerate(series)
    )
    return f'<div class="legend">{legend}</div>' + "".join(parts)


def _table(frame: pl.DataFrame, limit: int = 500) -> str:
    head = "".join(f"<th>{_esc(c)}</th>" for c in frame.columns)
    rows = []
    for row in frame.head(limit).iter_rows():
        cells = "".join(f"<td>{_esc(_cell(v))}</td>" for v in row)
        rows.append(f"<tr>{cells}</tr>")
    more = f"<p>{frame.height - limit} more rows in the CSV output.</p>" if frame.height > limit else ""
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>{more}"


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:,.4f}"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _heat(value: float) -> str:
    if not math.isfinite(value):
        return "#ffffff"
    strength = min(abs(value) / 0.08, 1.0)
    base = (45, 164, 78) if value >= 0 else (207, 34, 46)
    r, g, b = (round(255 - (255 - c) * strength) for c in base)
    return f"#{r:02x}{g:02x}{b:02x}"


def _monthly(equity: pl.DataFrame) -> str:
    monthly = (
        equity.select(pl.col("at").dt.year().alias("y"), pl.col("at").dt.month().alias("m"), "returns")
        .group_by("y", "m", maintain_order=True)
        .agg(((pl.col("returns") + 1).product() - 1).alias("r"))
    )
    table: dict[int, dict[int, float]] = {}
    for year, month, value in monthly.iter_rows():
        table.setdefault(int(year), {})[int(month)] = float(value)
    head = "<tr><th>year</th>" + "".join(f"<th>{m}</th>" for m in _MONTHS) + "<th>year</th></tr>"
    rows = []
    for year in sorted(table):
        cells = []
        for month in range(1, 13):
            v = table[year].get(month, math.nan)
            text = "" if math.isnan(v) else f"{v:.1%}"
            cells.append(f'<td style="background:{_heat(v)}">{text}</td>')
        total = math.prod(1 + v for v in table[year].values()) - 1
        cells.append(f'<td style="background:{_heat(total)}"><b>{total:.1%}</b></td>')
        rows.append(f"<tr><th>{year}</th>{''.join(cells)}</tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _rolling(returns: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    n = returns.size
    sharpe = np.full(n, np.nan)
    vol = np.full(n, np.nan)
    for i in range(window - 1, n):
        w = returns[i - window + 1 : i + 1]
        sd = float(np.std(w, ddof=1))
        vol[i] = sd * math.sqrt(252)
        sharpe[i] = float(np.mean(w)) / sd * math.sqrt(252) if sd > 0 else np.nan
    return sharpe, vol


def render_tearsheet(
    result: BacktestResult,
    *,
    title: str = "QGTM backtest",
    benchmark: pl.DataFrame | None = None,
    folds: pl.DataFrame | None = None,
    manifest: Mapping[str, JsonValue] | None = None,
    rolling_window: int = 63,
) -> str:
    """The tear sheet as one HTML string; ``benchmark`` has ``at`` and ``equity`` columns."""
    eq = result.equity
    times: list[datetime] = eq.get_column("at").to_list()
    equity = eq.get_column("equity").to_numpy()
    returns = np.nan_to_num(eq.get_column("returns").to_numpy())
    curves: dict[str, np.ndarray] = {}
    if equity.size:
        curves["strategy"] = equity / equity[0] * (1 + returns[0])
    if benchmark is not None and benchmark.height and equity.size:
        joined = eq.select("at").join(benchmark.select("at", "equity"), on="at", how="left")
        bench = joined.get_column("equity").fill_null(strategy="forward").to_numpy().astype(float)
        first = bench[np.isfinite(bench)][0] if np.isfinite(bench).any() else 1.0
        curves["benchmark"] = bench / first
    wealth = np.cumprod(1 + returns)
    drawdown = wealth / np.maximum.accumulate(np.maximum(wealth, 1.0)) - 1 if wealth.size else wealth
    roll_sharpe, roll_vol = _rolling(returns, rolling_window)
    exposure = result.exposure
    by_instrument: dict[str, np.ndarray] = {}
    if exposure.height:
        wide = eq.select("at").join(
            exposure.pivot(on="instrument", index="at", values="weight", aggregate_function="first"),
            on="at",
            how="left",
        )
        by_instrument = {c: wide.get_column(c).fill_null(0.0).to_numpy() for c in sorted(wide.columns) if c != "at"}
    kpis = "".join(f"<tr><td>{_esc(k)}</td><td>{_esc(_cell(v))}</td></tr>" for k, v in result.metrics.as_dict().items())
    sections = [
        f"<h1>{_esc(title)}</h1>",
        f"<p>{result.cycles} cycles, {result.fills.height} fills, final equity {result.final_equity:,.2f}</p>",
        f'<h2>Summary</h2><table class="kpi">{kpis}</table>',
        "<h2>Equity vs benchmark (growth of 1)</h2>" + _chart(times, curves, ".2f"),
        "<h2>Drawdown</h2>" + _chart(times, {"drawdown": drawdown}, ".1%", area=True),
        "<h2>Monthly returns</h2>" + (_monthly(eq) if eq.height else "<p><em>no data</em></p>"),
        f"<h2>Rolling Sharpe ({rolling_window} periods)</h2>" + _chart(times, {"sharpe": roll_sharpe}, ".2f"),
        f"<h2>Rolling volatility ({rolling_window} periods, annualised)</h2>"
        + _chart(times, {"volatility": roll_vol}, ".1%"),
        "<h2>Exposure by instrument (weight of equity)</h2>"
        + (_chart(times, by_instrument, ".0%") if by_instrument else "<p><em>never invested</em></p>"),
        f"<h2>Trades ({result.fills.height})</h2>" + _table(result.fills),
    ]
    if folds is not None:
        sections.append("<h2>Walk-forward folds</h2>" + _table(folds))
    if manifest is not None:
        sections.append(f"<h2>Run manifest</h2><pre>{_esc(json.dumps(manifest, indent=2, sort_keys=True))}</pre>")
    body = "\n".join(sections)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{_esc(title)}</title>'
        f"<style>{_CSS}</style></head><body>\n{body}\n</body></html>\n"
    )
