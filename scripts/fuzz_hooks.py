"""Schemathesis hooks for scripts/fuzz.sh (loaded through SCHEMATHESIS_HOOKS).

ITOps answers refusals inside GraphQL's `errors` with an `extensions.code` (UNAUTHENTICATED,
FORBIDDEN, NOT_FOUND, CONFLICT, RATE_LIMITED, QUERY_TOO_COMPLEX, …): those are the expected answers
to fuzzed input, not failures. What the project forbids is a server failure: any 5xx, or a GraphQL
error whose code is INTERNAL_SERVER_ERROR (or that carries no code at all).
"""
import json

import schemathesis

EXPECTED_CODES = {
    "BAD_USER_INPUT", "BAD_REQUEST", "GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED", "UNAUTHENTICATED",
    "FORBIDDEN", "PLUGIN_NOT_LICENSED", "NOT_FOUND", "CONFLICT", "RATE_LIMITED", "QUERY_TOO_DEEP",
    "QUERY_TOO_COMPLEX", "DOCUMENT_TOO_LARGE", "OPERATION_NOT_SUPPORTED", "TIMEOUT", "OVERLOADED",
    "SERVICE_UNAVAILABLE",
}


@schemathesis.check
def no_server_failure(ctx, response, case):
    """No 5xx, and no GraphQL error that is not one of ITOps' named refusals."""
    if response.status_code >= 500:
        raise AssertionError(f"server error {response.status_code}: {response.text[:300]}")
    if not case.operation.label.startswith(("Query.", "Mutation.")):
        return
    try:
        payload = json.loads(response.text)
    except ValueError:
        raise AssertionError(f"GraphQL answer is not JSON: {response.text[:300]}")
    for error in (payload or {}).get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code not in EXPECTED_CODES:
            raise AssertionError(f"unexpected GraphQL error {code!r}: {error.get('message')!r}")
