"""Fuzzing the API with schemathesis over its own OpenAPI schema: no 500 for any input, and a
refused body names the field it is refused for (issue 6 bar)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from altresponse.operations.auth import Role, Users
from opsutil import add_user, client_for, login, migrated, operations

FUZZ = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, str]]]:
    """The app over a fresh database, and a supervisor's token (allowed almost everywhere)."""
    ops = operations(migrated(Path(tmp_path_factory.mktemp("fuzz"))))
    client = client_for(ops)
    headers = login(client, add_user(Users(ops.sessions), Role.SUPERVISOR))
    ops.add_team("fuzz-team", ["behavioral_health", "medical_basic"])
    yield client.app, headers
    ops.sessions.kw["bind"].dispose()


def _names_a_field(body: Any) -> bool:
    """A 422's detail says which field (FastAPI: a `loc` list; ours: `field: ...` words)."""
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, list):
        return all(isinstance(item, dict) and item.get("loc") for item in detail)
    return isinstance(detail, str) and bool(detail.strip())


def test_no_input_makes_a_server_error(api: tuple[Any, dict[str, str]]) -> None:
    app, headers = api
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    tried = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path == "/stream":
            continue  # an endless event stream: tests/test_operations_stream.py reads it

        @given(case=operation.as_strategy())
        @FUZZ
        def fuzz(case: Any) -> None:
            response = case.call(headers=headers)
            case.validate_response(response, checks=[not_a_server_error])
            if response.status_code == 422:
                assert _names_a_field(response.json()), response.text
            if 400 <= response.status_code < 500:
                assert "detail" in response.json(), response.text

        fuzz()
        tried += 1
    paths = app.openapi()["paths"]
    assert tried == sum(len(ops) for path, ops in paths.items() if path != "/stream")
