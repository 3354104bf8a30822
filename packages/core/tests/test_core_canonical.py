import dataclasses
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from pathlib import PurePosixPath

import polars as pl
import pytest

from qgtm_core import canonical_bytes, digest, to_jsonable


class Colour(StrEnum):
    RED = "red"


@dataclasses.dataclass(frozen=True)
class Thing:
    name: str
    price: Decimal
    at: datetime


def test_key_order_does_not_change_bytes():
    assert canonical_bytes({"b": 1, "a": 2}) == canonical_bytes({"a": 2, "b": 1}) == b'{"a":2,"b":1}'


def test_domain_values_have_one_spelling():
    thing = Thing("gold", Decimal("1.10"), datetime(2024, 1, 1, 12, tzinfo=UTC))
    assert json.loads(canonical_bytes(thing)) == {"at": "2024-01-01T12:00:00+00:00", "name": "gold", "price": "1.10"}
    assert to_jsonable(Colour.RED) == "red"
    assert to_jsonable(date(2024, 1, 2)) == "2024-01-02"
    assert to_jsonable(timedelta(minutes=1)) == 60.0
    assert to_jsonable(PurePosixPath("a/b")) == "a/b"
    assert to_jsonable({3, 1, 2}) == [1, 2, 3]
    assert to_jsonable((float("nan"), float("inf"), -float("inf"), 0.1)) == ["NaN", "Infinity", "-Infinity", 0.1]


def test_naive_datetimes_and_unknown_types_are_refused():
    with pytest.raises(ValueError, match="naive"):
        canonical_bytes(datetime(2024, 1, 1))
    with pytest.raises(TypeError, match="no canonical form for object"):
        canonical_bytes(object())


def test_frames_hash_by_content():
    a = pl.DataFrame({"x": [1.0, 2.0]})
    b = pl.DataFrame({"x": [1.0, 2.5]})
    assert digest(a) == digest(pl.DataFrame({"x": [1.0, 2.0]}))
    assert digest(a) != digest(b)
    assert to_jsonable(a)["rows"] == 2  # type: ignore[index]


def test_canonical_hook_is_used():
    class Fingerprinted:
        def __canonical__(self) -> dict[str, int]:
            return {"v": 1}

    assert canonical_bytes(Fingerprinted()) == b'{"v":1}'
