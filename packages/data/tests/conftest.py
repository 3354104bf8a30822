"""Shared fixtures: the real bundled data directory and a validator with a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from qgtm_data import ValidationRules, Validator

REPO = Path(__file__).resolve().parents[3]
DATA = REPO / "data"
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def validator() -> Validator:
    return Validator(ValidationRules(), lambda: NOW)
