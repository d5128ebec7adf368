"""The operations an app's OpenAPI document lists, matched against a request before the
router sees it: what the edge (middleware.py) and the error handlers (errors.py) both ask."""

from __future__ import annotations

import re
from typing import Any

from starlette.routing import compile_path
from starlette.types import Scope


def allowed_methods(scope: Scope) -> list[str]:
    """Every method some documented operation takes at this path (a 405's `Allow`)."""
    path = scope["path"].removeprefix(scope.get("root_path", ""))
    return sorted(
        {method for method, pattern, _ in operations(scope.get("app")) if pattern.match(path)}
    )


def operations(app: object) -> list[tuple[str, re.Pattern[str], dict[str, Any]]]:
    """Every operation as the app's OpenAPI document lists it (method, full path's pattern,
    operation), however routers were included: FastAPI no longer lists included routes in
    `app.router.routes`. Built once per app."""
    state = getattr(app, "state", None)
    found: list[tuple[str, re.Pattern[str], dict[str, Any]]] | None = getattr(
        state, "documented_operations", None
    )
    if found is None:
        openapi = getattr(app, "openapi", None)
        spec = openapi() if callable(openapi) else {}
        found = [
            (method.upper(), compile_path(path)[0], operation)
            for path, item in spec.get("paths", {}).items()
            for method, operation in item.items()
            if isinstance(operation, dict)
        ]
        if state is not None:
            state.documented_operations = found
    return found


def operation_of(scope: Scope) -> dict[str, Any] | None:
    """The documented operation the request goes to (decided as the router will decide it,
    before any of the body is read)."""
    path = scope["path"].removeprefix(scope.get("root_path", ""))
    for method, pattern, operation in operations(scope.get("app")):
        if method == scope["method"] and pattern.match(path):
            return operation
    return None
