"""Fuzz every operation of the project's own OpenAPI schema, in-process, as every role (token auth).

Schemathesis generates requests from /api/schema/ (valid ones and deliberately invalid ones: NUL
bytes, huge numbers, odd unicode, wrong types) and sends them to the WSGI app. No answer may be a
5xx, and documented responses must match their schema. The number of examples is bounded so the
whole run stays well under a minute.
"""

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from knox.crypto import hash_token
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from accounts.auth import password_fingerprint
from accounts.models import ApiToken
from accounts.tokens import token_issue
from tests.security.conftest import ROLES

pytestmark = [pytest.mark.django_db]

EXAMPLES_PER_OPERATION = int(os.environ.get("FUZZ_EXAMPLES", "25"))
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """As Django's test client does: the WSGI app must not close the connection holding the test's
    transaction at the end of each request."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def schema(db):
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


def _operations(schema):
    ops = []
    for result in schema.get_all_operations():
        ops.append(result.ok())
    return ops


def test_schema_lists_the_operations(schema):
    labels = {op.label for op in _operations(schema)}
    assert "GET /api/v1/households/" in labels
    assert "PATCH /api/v1/households/{id}/" in labels
    assert len(labels) >= 25


def test_fuzz_every_operation_as_every_role(schema, world):
    tokens = {role: token_issue(user=user, ip="127.0.0.1")[1] for role, user in world.users.items() if user}

    def token_for(role):
        """The role's token, issued again when a fuzzed call ended it (logout, password reset)."""
        user = world.users[role]
        user.refresh_from_db()
        if not ApiToken.objects.filter(digest=hash_token(tokens[role]),
                                       password_fingerprint=password_fingerprint(user)).exists():
            tokens[role] = token_issue(user=user, ip="127.0.0.1")[1]
        return tokens[role]

    roles = [r for r in ROLES if r != "anonymous"] + ["anonymous"]
    operations = _operations(schema)
    seen = {}
    failures = []

    for operation in operations:
        strategy = st.one_of(operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
                             operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))

        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=not os.environ.get("FUZZ_RANDOM"),
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=strategy, role=st.sampled_from(roles))
        def run(case, role):
            headers = {"Authorization": f"Token {token_for(role)}"} if role in tokens else {}
            response = case.call(headers=headers)
            seen.setdefault(case.operation.label, set()).add((role, response.status_code))
            case.validate_response(response, checks=CHECKS)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failures, then report them together
            failures.append(f"{operation.label}: {exc}")

    print(f"fuzzed {len(operations)} operations, {sum(len(v) for v in seen.values())} (role, status) pairs")
    assert not failures, "\n\n".join(failures)
    assert set(seen) == {op.label for op in operations}
