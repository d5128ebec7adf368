"""The OpenAPI document tells the truth about errors: every operation declares, once here
rather than route by route, the problems it may answer (RFC 9457, `application/problem+json`
with the `Problem` schema) and the correlation id every answer carries. Which problems follow
from the operation itself: a bearer token (401, 403), a path parameter (404), a write (409), a
body (400, 413), any parameter (422), a read that may wait for a version (503); any request
may meet 431 and 500. A route declares a problem beyond those with its description only
(a read refused in some state, 409); its body is the problem too.

And a client generator can use it (`for_generators`): each operation's id is its route's
function name in camelCase (`approve_application` becomes `approveApplication`, a client's
method name), unique in the service, and it has one tag (its resource, a generator's class);
an operation without a bearer token says so (`security: []`); a parameter that may be left
out is never `null` (a query string or header cannot carry one: it is absent or a string);
`servers` names where the API is reached."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from bizdev_common.errors import PROBLEM_JSON, Problem
from bizdev_common.middleware import CORRELATION_HEADER, SAFE_CORRELATION_ID

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_CORRELATION_REF = {"$ref": f"#/components/headers/{CORRELATION_HEADER}"}
_WAITS = {"min_version", "wait_for"}

_DESCRIPTIONS = {
    400: "The body is not JSON",
    401: "No bearer token, or one that is not valid",
    403: "The roles or relation to the record do not allow this",
    404: "No such record",
    409: "A stale If-Match version, or a transition the record's state does not allow",
    413: "The request body is too large",
    422: "Invalid input; `errors` names each field at fault",
    431: "The request's headers are too large",
    500: "An unexpected error, logged with the correlation id the problem carries",
    503: "The read model has not reached the version asked for yet; retry after Retry-After",
}


def _problems(method: str, operation: dict[str, Any]) -> list[int]:
    parameters = operation.get("parameters", [])
    secured = bool(operation.get("security"))
    body = "requestBody" in operation
    statuses = [431, 500]
    if body:
        statuses += [400, 413]
    if secured:
        statuses += [401, 403]
    if any(p["in"] == "path" for p in parameters):
        statuses.append(404)
    if secured and method != "get":
        statuses.append(409)
    if body or parameters:
        statuses.append(422)
    if any(p["in"] == "query" and p["name"] in _WAITS for p in parameters):
        statuses.append(503)
    return sorted(statuses)


def document_errors(spec: dict[str, Any]) -> dict[str, Any]:
    components = spec.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    components.setdefault("headers", {})[CORRELATION_HEADER] = {
        "description": "The conversation this request belongs to: the caller's, when it is a "
        "safe token, else a new one",
        "schema": {"type": "string", "pattern": SAFE_CORRELATION_ID},
    }
    components.setdefault("parameters", {})[CORRELATION_HEADER] = {
        "name": CORRELATION_HEADER,
        "in": "header",
        "required": False,
        "description": "Your correlation id; one that is not a safe token is replaced",
        "schema": {"type": "string"},
    }
    for item in spec.get("paths", {}).values():
        for method, operation in item.items():
            operation.setdefault("parameters", [])
            responses = operation.setdefault("responses", {})
            for status in _problems(method, operation):
                responses[str(status)] = {
                    "description": _DESCRIPTIONS[status],
                    "content": {PROBLEM_JSON: {"schema": _PROBLEM_REF}},
                }
            for code, response in responses.items():
                if code.isdigit() and int(code) >= 400 and "content" not in response:
                    response["content"] = {PROBLEM_JSON: {"schema": _PROBLEM_REF}}
                response.setdefault("headers", {})[CORRELATION_HEADER] = _CORRELATION_REF
            operation["parameters"].append(
                {"$ref": f"#/components/parameters/{CORRELATION_HEADER}"}
            )
    # FastAPI's own 422 body, which the problem above replaces everywhere.
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return spec


def operation_id(route: APIRoute) -> str:
    """FastAPI's `generate_unique_id_function`: the route's name in camelCase."""
    first, *rest = route.name.split("_")
    return first + "".join(word.capitalize() for word in rest)


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional parameter's schema without its `null` branch: absent is its null."""
    branches = [b for b in schema.get("anyOf", []) if b != {"type": "null"}]
    if len(branches) != 1:
        return schema
    rest = {k: v for k, v in schema.items() if k != "anyOf" and not (k == "default" and v is None)}
    return {**branches[0], **rest}


def for_generators(spec: dict[str, Any], servers: list[dict[str, str]]) -> dict[str, Any]:
    seen: dict[str, str] = {}
    tags: dict[str, None] = {}
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            op_id = operation["operationId"]
            if op_id in seen:
                raise ValueError(
                    f"{where} and {seen[op_id]} are both {op_id!r}: a generated client "
                    "would have one method for both; rename one route's function"
                )
            seen[op_id] = where
            if len(operation.get("tags", [])) != 1:
                # A generator makes a class per tag: none leaves it out, two copy it.
                raise ValueError(f"{where} has tags {operation.get('tags', [])}: give it one")
            operation.setdefault("security", [])
            tags.update(dict.fromkeys(operation["tags"]))
            for parameter in operation.get("parameters", []):
                if "schema" in parameter and not parameter.get("required"):
                    parameter["schema"] = _not_null(parameter["schema"])
    if servers:
        spec["servers"] = servers
    spec["tags"] = [{"name": tag} for tag in tags]
    return spec


def install(app: FastAPI, servers: list[dict[str, str]] | None = None) -> None:
    """Call after every route is added, on an app made with
    `generate_unique_id_function=operation_id`."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = for_generators(document_errors(generate()), servers or [])
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
