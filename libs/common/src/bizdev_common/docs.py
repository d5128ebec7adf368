"""The documentation a service serves, working without internet access.

FastAPI's `/docs` and `/redoc` and FastStream's AsyncAPI page load their scripts, styles,
fonts and favicon from public CDNs, so inside a network without internet access they render
blank. Here every asset comes from the service itself, out of installed packages (nothing is
committed or fetched at build time): Swagger UI and ReDoc from `fastapi-offline`, the AsyncAPI
viewer (a web component rendering AsyncAPI 2 and 3) from `asyncapi-viewer`.

The AsyncAPI document it serves is asyncapi.py's, as committed under `contracts/`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.routing import BaseRoute, Mount, Route

STATIC = "/docs-static"
"""Where the assets are served; under the service's root path behind a proxy."""

_SWAGGER = Path(str(files("fastapi_offline") / "static"))
_VIEWER = Path(str(files("asyncapi_viewer") / "static"))

_ASYNCAPI_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="icon" type="image/png" href="{root}{static}/swagger/favicon.png">
<link rel="stylesheet" href="{root}{static}/asyncapi/asyncapi-theme.css">
<script type="module" src="{root}{static}/asyncapi/asyncapi-viewer.js"></script>
</head>
<body>
<asyncapi-viewer src="{root}/asyncapi.json" sidebar></asyncapi-viewer>
</body>
</html>
"""


_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def page(response: HTMLResponse) -> HTMLResponse:
    """A docs page with the Content-Security-Policy it passes: scripts from the service and its
    own inline scripts (by hash) only; styles inline too (Swagger UI and ReDoc set them),
    ReDoc's search worker from a blob:, and nothing fetched from anywhere else."""
    scripts = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(m.encode()).digest()).decode()}'"
        for m in _INLINE_SCRIPT.findall(bytes(response.body).decode())
    )
    response.headers["Content-Security-Policy"] = (
        f"default-src 'self'; script-src 'self' {scripts}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    )
    return response


def install(app: FastAPI, asyncapi_json: str) -> None:
    """Serves `/docs` (Swagger UI), `/redoc`, `/asyncapi` and `/asyncapi.json`, with every
    script, style and icon from the service itself."""
    docs_url, redoc_url = app.docs_url or "/docs", app.redoc_url or "/redoc"
    oauth2_redirect = app.swagger_ui_oauth2_redirect_url or f"{docs_url}/oauth2-redirect"
    replaced = {docs_url, redoc_url, oauth2_redirect}
    app.router.routes[:] = [r for r in app.router.routes if not _serves(r, replaced)]
    app.mount(f"{STATIC}/swagger", StaticFiles(directory=_SWAGGER), name="docs-swagger")
    app.mount(f"{STATIC}/asyncapi", StaticFiles(directory=_VIEWER), name="docs-asyncapi")

    def root(request: Request) -> str:
        return str(request.scope.get("root_path", ""))

    @app.get(docs_url, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        base = f"{root(request)}{STATIC}/swagger"
        return page(
            get_swagger_ui_html(
                openapi_url=f"{root(request)}{app.openapi_url}",
                title=f"{app.title} - Swagger UI",
                swagger_js_url=f"{base}/swagger-ui-bundle.js",
                swagger_css_url=f"{base}/swagger-ui.css",
                swagger_favicon_url=f"{base}/favicon.png",
                oauth2_redirect_url=f"{root(request)}{oauth2_redirect}",
                # Swagger UI would otherwise ask swagger.io to validate the document.
                swagger_ui_parameters={**(app.swagger_ui_parameters or {}), "validatorUrl": None},
            )
        )

    @app.get(oauth2_redirect, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return page(get_swagger_ui_oauth2_redirect_html())

    @app.get(redoc_url, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        base = f"{root(request)}{STATIC}/swagger"
        return page(
            get_redoc_html(
                openapi_url=f"{root(request)}{app.openapi_url}",
                title=f"{app.title} - ReDoc",
                redoc_js_url=f"{base}/redoc.standalone.js",
                redoc_favicon_url=f"{base}/favicon.png",
                with_google_fonts=False,
            )
        )

    @app.get("/asyncapi", include_in_schema=False)
    async def asyncapi_page(request: Request) -> HTMLResponse:
        return page(
            HTMLResponse(
                _ASYNCAPI_PAGE.format(
                    title=html.escape(f"{app.title} - AsyncAPI"),
                    root=html.escape(root(request)),
                    static=STATIC,
                )
            )
        )

    @app.get("/asyncapi.json", include_in_schema=False)
    async def asyncapi_document() -> Response:
        return Response(asyncapi_json, media_type="application/json")


def _serves(route: BaseRoute, paths: set[str]) -> bool:
    return isinstance(route, Route | Mount) and route.path in paths
