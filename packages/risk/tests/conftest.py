"""Makes the shared builders in ``_risk_helpers`` importable under ``--import-mode=importlib``."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


import pytest

from qgtm_risk import FactorRiskModel, StressReplayer

DATA = Path(__file__).resolve().parents[3] / "data"


@pytest.fixture(scope="session")
def model() -> FactorRiskModel:
    return FactorRiskModel.from_data_dir(DATA)


@pytest.fixture(scope="session")
def stress() -> StressReplayer:
    return StressReplayer.from_data_dir(DATA)
