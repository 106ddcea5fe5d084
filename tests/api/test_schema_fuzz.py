"""Schemathesis against the live OpenAPI schema, in-process through the WSGI app, on real data.

Every operation gets the examples from the schema, the coverage phase (boundary values, wrong types,
missing and unknown fields, unexpected methods) and a bounded number of fuzzed cases (Unicode, huge
strings), with a fixed seed. The checks: no 500, status codes, content types, headers and bodies as
documented, and schema-violating input refused with a 4xx. ``positive_data_acceptance`` is off:
schema-valid random data is still refused by business validation (an unknown theme code, an
organization id that does not exist), which is right.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from knox.models import AuthToken
from schemathesis.pytest.lazy import get_all_tests

from engine.models import AuditEvent
from workflows.partnership import services

from .conftest import draft, outcome_data, walk

SEED = 20261123
MAX_EXAMPLES = 8

# Whatever a client or a careless proxy may put in X-Forwarded-For: it must never cost a 500.
FORWARDED_FOR = st.one_of(
    st.sampled_from(["unknown", "1.2.3.4:5678", "not-an-ip", "203.0.113.9, 10.0.0.1", "::1", "[::1]:80", ", ,"]),
    st.ip_addresses().map(str),
    st.lists(st.ip_addresses().map(str), max_size=4).map(", ".join),
    # Stripped: the client refuses to send a header value with leading or trailing blanks, whichever
    # operation draws one (it was never a test of the server).
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60).map(str.strip),
)


@pytest.fixture
def live_wsgi_app():
    """The real WSGI app, kept inside the test's transaction (Django's test client does the same)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_data(partnership_world):
    """Requests in several states (one with a restricted outcome, one with an action item)."""
    world = partnership_world
    references = []
    for state in ("draft", "submitted", "in_committee", "meeting_scheduled", "meeting_held"):
        references.append(walk(world, draft(world), state).reference)
    documented = walk(world, draft(world, by="ministry"), "meeting_held")
    services.outcome_document(
        request=documented,
        actor=world.secretariat,
        data=outcome_data(visibility="restricted", restriction_reason="Names minors."),
    )
    references.append(documented.reference)
    followed = walk(world, draft(world), "follow_up")
    item = services.action_item_create(
        request=followed,
        actor=world.secretariat,
        description="Guidelines",
        owner_organization=world.ministry,
        due_date="2027-03-31",
    )
    references.append(followed.reference)
    return {"references": references, "actions": [item.pk], "user": world.secretariat}


def load_schema(app, fuzz_data) -> schemathesis.BaseSchema:
    _instance, token = AuthToken.objects.create(user=fuzz_data["user"])
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "headers": {"Authorization": f"Token {token}", "Accept-Language": "ar"},
            "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
            "phases": {"stateful": {"enabled": False}},
            "checks": {
                "positive_data_acceptance": {"enabled": False},
                # These need a second identity or a resource lifecycle the schema does not describe;
                # the authorization matrix covers who may do what.
                "ignored_auth": {"enabled": False},
                "use_after_free": {"enabled": False},
                "ensure_resource_availability": {"enabled": False},
            },
            "dictionaries": {
                "references": {"values": fuzz_data["references"]},
                "actions": {"values": fuzz_data["actions"]},
            },
            "parameters": {
                "path.reference": {"dictionary": "references", "probability": 0.9},
                "path.id": {"dictionary": "actions", "probability": 0.9},
            },
        }
    )
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app, config=config)

    @schema.hook("flatmap_headers")
    def with_forwarded_for(context, headers):
        return FORWARDED_FOR.map(lambda value: {**(headers or {}), "X-Forwarded-For": value})

    # Revoking the token would leave the rest of the run anonymous (tested by hand in test_auth).
    return schema.exclude(method="DELETE", path="/api/v1/auth/token/")


#: The X-Forwarded-For values sent during a run (the hook above must reach every operation).
forwarded_sent: list[str] = []


def call_and_validate(case) -> None:
    forwarded_sent.append((case.headers or {}).get("X-Forwarded-For"))
    case.call_and_validate()


@pytest.mark.django_db
def test_the_api_keeps_its_contract_under_fuzzing(live_wsgi_app, fuzz_data):
    # given the live schema of the running app, and a secretariat token that sees every submitted request
    schema = load_schema(live_wsgi_app, fuzz_data)
    forwarded_sent.clear()
    failures = {}
    operations = 0
    # when every operation is run through the examples, coverage and fuzzing phases
    for result in get_all_tests(schema=schema, test_func=call_and_validate, settings=None, given_kwargs=None):
        operation, run = result.ok()
        operations += 1
        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001  (report every operation's failures at once)
            failures[operation.label] = str(exc)[:3000]
    # then none failed a check
    assert operations >= 30
    assert len({value for value in forwarded_sent if value is not None}) > 20
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())


GARBAGE = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(str.encode),
    st.just(b"[" * 50_000 + b"]" * 50_000),
    st.just(b'{"title": "' + "\u0627\u0644\u062d\u0648\u0627\u0631 ".encode() * 60_000 + b'"}'),
    st.just(b'{"reason": "' + b"x" * 1_100_000 + b'"}'),
    st.just(b'{"reason": "\\ud83d", "article": "1"}'),
    st.just(b'{"reason": "a\\u0000b", "article": "1"}'),
    st.builds(lambda text: json.dumps({"title": text, "extra": [text] * 3}).encode(), st.text(max_size=50)),
    st.builds(
        lambda data: json.dumps(data).encode(),
        st.recursive(
            st.none() | st.booleans() | st.floats() | st.text(max_size=20),
            lambda children: (
                st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
            ),
            max_leaves=20,
        ),
    ),
)


@pytest.mark.django_db
@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(body=GARBAGE, target=st.sampled_from(["create", "edit", "decline", "vote", "action", "token"]))
def test_garbage_bodies_are_refused_with_4xx_json_and_change_nothing(client_for, fuzz_data, body, target):
    # given
    secretariat = client_for(fuzz_data["user"])
    reference = fuzz_data["references"][1]
    method, url = {
        "create": ("POST", "/api/v1/requests/"),
        "edit": ("PATCH", f"/api/v1/requests/{fuzz_data['references'][0]}/"),
        "decline": ("POST", f"/api/v1/requests/{reference}/transitions/decline/"),
        "vote": ("POST", f"/api/v1/requests/{fuzz_data['references'][2]}/votes/"),
        "action": ("PATCH", f"/api/v1/actions/{fuzz_data['actions'][0]}/"),
        "token": ("POST", "/api/v1/auth/token/"),
    }[target]
    events = AuditEvent.objects.count()
    # when
    response = secretariat.generic(method, url, body, content_type="application/json")
    # then
    assert 400 <= response.status_code < 500, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert AuditEvent.objects.count() == events
