"""Schemathesis against the OpenAPI schema: generated requests never crash the app and match the schema.

Two apps, without and with a token; a bounded, derandomized number of examples per operation. The
positive-data check is left out: a schema-valid body can still be a 422 by meaning (only blank texts,
facets of a taxonomy without facets, a model id that is not on the allow-list), with a message.
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.specs.openapi.checks import positive_data_acceptance  # noqa: E402

from traitlens.web.app import create_app  # noqa: E402
from traitlens.web.models import ModelPool  # noqa: E402

from ..fakes import FakeEncoder  # noqa: E402

TOKEN = "schema-test-token"


def _app(token: str | None):
    return create_app(ModelPool(["fake/hash-encoder"], loader=lambda m: FakeEncoder(name=m)), token=token)


# Factor analysis is left out: its cost grows steeply with the items of an inventory (one request on ipip-neo-300
# takes over a minute of CPU), which fuzzing would pick; tests/web/test_endpoints.py checks it against the CLI.
OPEN = (schemathesis.openapi.from_asgi("/openapi.json", _app(None)).include(path_regex="^/(api|health)")
        .exclude(path_regex="^/api/factors"))
GUARDED = schemathesis.openapi.from_asgi("/openapi.json", _app(TOKEN)).include(path_regex="^/api/(profile|upload)")
SETTINGS = settings(max_examples=6, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


@OPEN.parametrize()
@SETTINGS
def test_the_api_keeps_its_schema(case):
    case.call_and_validate(excluded_checks=[positive_data_acceptance])


@GUARDED.parametrize()
@SETTINGS
def test_the_guarded_api_keeps_its_schema(case):
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"}, excluded_checks=[positive_data_acceptance])
