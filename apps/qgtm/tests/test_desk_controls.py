"""The daemon honours the desk's pause and flatten requests, as the API records them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from qgtm_app.desk_controls import FLATTEN_KEY, PAUSED_KEY
from qgtm_app.paths import new_run
from qgtm_app.wiring import PaperRig, build_paper_rig
from qgtm_core import CycleResult, Posture, QgtmSettings, RiskLimit, Side
from qgtm_core.config import RunConfig

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[PaperRig]:
    settings = QgtmSettings(run=RunConfig(data_dir=REPO / "data", var_dir=tmp_path))
    built = build_paper_rig(settings, new_run(tmp_path))
    yield built
    built.close()


def cycles(rig: PaperRig, start: int, count: int) -> list[CycleResult]:
    out = []
    for number in range(start, start + count):
        at = rig.schedule[number - 1]
        rig.clock.advance_to(at)
        rig.feed_venue(at)
        out.append(rig.pipeline.run_cycle(number))
    return out


def test_flatten_request_sells_everything_and_keeps_the_book_flat(rig: PaperRig) -> None:
    warm = cycles(rig, 1, 40)
    held = warm[-1].execution.account.positions
    assert held, "the strategies should hold something after 40 cycles"
    rig.state.put(FLATTEN_KEY, {"reason": "risk meeting", "by": "apikey:k7", "at": "2015-03-02T15:00:00+00:00"})

    flatten = cycles(rig, 41, 1)[0]
    account = flatten.account
    sold = {i.instrument: (i.side, i.quantity) for i in flatten.intents}
    assert sold == {
        inst: (Side.SELL if p.quantity > 0 else Side.BUY, abs(p.quantity)) for inst, p in account.positions.items()
    }
    assert flatten.risk.report.posture is Posture.FLATTEN
    assert all(w == 0.0 for w in flatten.risk.approved.weights.values())
    reasons = {b.message for b in flatten.risk.report.bindings if b.limit is RiskLimit.KILL_SWITCH}
    assert reasons == {"flatten requested by apikey:k7: risk meeting"}
    assert rig.risk.kill_switch.tripped
    stored = rig.state.get(FLATTEN_KEY)
    assert isinstance(stored, dict)
    assert stored["handled_at"] == flatten.at.isoformat()

    after = cycles(rig, 42, 10)
    assert after[-1].execution.account.positions == {}
    assert all(not c.intents for c in after[1:]), "the kill switch must keep the strategies from re-entering"


def test_paused_strategy_signals_are_withheld_until_resumed(rig: PaperRig) -> None:
    before = cycles(rig, 1, 5)
    assert any(s.strategy == "gold_trend" for c in before for s in c.signals)
    rig.state.put(PAUSED_KEY, ["gold_trend"])
    paused = cycles(rig, 6, 5)
    assert not any(s.strategy == "gold_trend" for c in paused for s in c.signals)
    rig.state.put(PAUSED_KEY, [])
    resumed = cycles(rig, 11, 3)
    assert any(s.strategy == "gold_trend" for c in resumed for s in c.signals)
