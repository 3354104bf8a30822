"""The pipeline contract, checked through the real wiring of every package (not step doubles).

- Leak injection: a data source that lets one future row through is stopped by the pipeline's guard
  before any strategy runs, and the cycle leaves no audit record.
- Determinism: two daemons built from scratch over the same data produce byte-identical outputs at
  every step of every cycle.
"""

from __future__ import annotations

import dataclasses
import shutil
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from qgtm_app.paths import new_run
from qgtm_app.wiring import PaperRig, build_paper_rig
from qgtm_core import LookAheadError, Pipeline, PitSnapshot, PointInTimeSource, QgtmSettings, canonical_bytes
from qgtm_core.config import RunConfig

CYCLES = 30


def rig_in(root: Path, data: Path) -> PaperRig:
    settings = QgtmSettings(run=RunConfig(data_dir=data, var_dir=root, start=datetime(2016, 3, 1).date()))
    return build_paper_rig(settings, new_run(root))


class LeakyOneRow:
    """Lets tomorrow's GLD bar through, as a buggy adapter would."""

    def __init__(self, inner: PointInTimeSource, full: pl.DataFrame) -> None:
        self._inner = inner
        self._full = full
        self.calls = 0

    def snapshot(self, at: datetime) -> PitSnapshot:
        self.calls += 1
        snap = self._inner.snapshot(at)
        gld = snap.bars["GLD"]
        future = self._full.slice(gld.height, 1)
        return dataclasses.replace(snap, bars={**snap.bars, "GLD": pl.concat([gld, future])})


class CountingStrategies:
    def __init__(self, inner):
        self._inner = inner
        self.calls = 0

    def generate(self, features):
        self.calls += 1
        return self._inner.generate(features)


def test_a_leaking_source_is_stopped_before_any_strategy_runs(tmp_path, bundled_data):
    rig = rig_in(tmp_path, bundled_data)
    assert rig.steps is not None
    leaky = LeakyOneRow(rig.steps.data, rig.source.bars("GLD"))
    counting = CountingStrategies(rig.steps.strategies)
    steps = dataclasses.replace(rig.steps, data=leaky, strategies=counting)
    pipeline = Pipeline(steps, rig.clock)
    at = rig.schedule[0]
    rig.clock.advance_to(at)
    with pytest.raises(LookAheadError, match=r"bars:GLD row \d+ .* after the clock"):
        pipeline.run_cycle(1)
    assert leaky.calls == 1
    assert counting.calls == 0
    rig.audit.flush()
    assert list(rig.audit.records()) == []
    rig.close()


def run(rig: PaperRig) -> list[dict[str, bytes]]:
    outputs = []
    for number, at in enumerate(rig.schedule[:CYCLES], start=1):
        rig.clock.advance_to(at)
        rig.feed_venue(at)
        result = rig.pipeline.run_cycle(number)
        outputs.append({step.value: canonical_bytes(out) for step, out in result.step_outputs().items()})
    rig.close()
    return outputs


def test_two_daemons_from_scratch_agree_byte_for_byte(tmp_path, bundled_data):
    first = run(rig_in(tmp_path / "a", bundled_data))
    second = run(rig_in(tmp_path / "b", bundled_data))
    assert len(first) == CYCLES
    assert any(b"client_order_id" in cycle["08-order-management"] for cycle in first), "no order: a weak check"
    for number, (a, b) in enumerate(zip(first, second, strict=True), start=1):
        for step in a:
            assert a[step] == b[step], f"cycle {number} step {step} differs"


def test_a_changed_input_changes_the_outputs(tmp_path, bundled_data):
    data = tmp_path / "data"
    shutil.copytree(bundled_data, data)
    gld = data / "etf" / "GLD_daily_yahoo_2004_2024.csv"
    lines = gld.read_text().splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("2016-02-2"))
    fields = lines[row].split(",")
    fields[4] = f"{float(fields[4]) * 1.001:.6f}"
    fields[2] = f"{max(float(fields[2]), float(fields[4])):.6f}"
    lines[row] = ",".join(fields)
    gld.write_text("\n".join(lines))
    baseline = run(rig_in(tmp_path / "a", bundled_data))
    changed = run(rig_in(tmp_path / "b", data))
    assert baseline[0]["02-features"] != changed[0]["02-features"]
