"""Property-based fuzzing of every documented operation: no input may cause a server error (5xx).

Each operation gets positive (schema-valid) and negative (schema-violating) cases, sent with an
admin key, a read key and no key, to a real uvicorn server on loopback.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from qgtm_api import Scope

from .conftest import Api, running_api


@pytest.fixture(scope="module")
def live_api() -> Iterator[Api]:
    with running_api() as api:
        yield api


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_operation_returns_a_server_error(live_api: Api, mode: GenerationMode) -> None:
    schema = schemathesis.openapi.from_url(f"{live_api.server.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15  # every documented read and write is fuzzed
    for operation in operations:
        if mode is GenerationMode.NEGATIVE and not (operation.query or operation.path_parameters or operation.body):
            continue  # nothing in the request that could violate the schema

        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy(generation_mode=mode))
        def fuzz(case: schemathesis.Case) -> None:
            for scope in (Scope.ADMIN, Scope.READ):
                case.call_and_validate(
                    base_url=live_api.server.url, headers=live_api.headers(scope), checks=[not_a_server_error]
                )
            case.call_and_validate(base_url=live_api.server.url, checks=[not_a_server_error])

        fuzz()
