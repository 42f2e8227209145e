"""Schemathesis against the agent's own OpenAPI document: no input may produce a 5xx."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from connectors.visma.agent.openapi import openapi_document
from connectors.visma.client import HmacAuth
from tests.connectors.visma.processes import KEY_ID, SECRET


def test_served_document_is_the_generated_one(client):
    served = client.openapi()
    assert served == openapi_document()
    assert served["openapi"].startswith("3.")
    assert "/v1/documents" in served["paths"] and "/_sim/counts" not in served["paths"]


# Loaded from the same generator the agent serves (checked above); the agent's address is known only
# at run time, so it is given to each call.
schema = schemathesis.openapi.from_dict(openapi_document())


@schema.parametrize()
@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case, agent):
    response = case.call_and_validate(
        base_url=agent.base_url, auth=HmacAuth(KEY_ID, SECRET), checks=[not_a_server_error]
    )
    # Signed through the auth hook: a 401 here would mean schemathesis never got past the door.
    assert response.status_code != 401
