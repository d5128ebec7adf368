"""The HTTP edge every service shares, on an app of its own: correlation ids, limits, CORS,
the 500 boundary and its metrics, and the OpenAPI document's problems."""

from __future__ import annotations

from typing import Any

import pytest
from bizdev_common import errors, middleware, openapi
from bizdev_common.auth import CurrentActor
from bizdev_common.settings import ServiceSettings
from fastapi import APIRouter, FastAPI, Request
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, generate_latest
from pydantic import BaseModel

ORIGIN = "https://bizdev.example"


class Body(BaseModel):
    text: str


def client() -> tuple[TestClient, CollectorRegistry]:
    settings = ServiceSettings(
        service="edge",
        cors_origins=[ORIGIN],
        max_body_bytes=1_000,
        max_upload_bytes=5_000,
        max_header_bytes=4_000,
    )
    app = FastAPI()
    registry = CollectorRegistry()
    errors.install(app)
    middleware.install(app, settings, registry)

    @app.get("/boom", tags=["edge"])
    async def boom() -> None:
        raise RuntimeError("a bug")

    @app.post("/things/{thing_id}", tags=["edge"])
    async def post(thing_id: int, body: Body, actor: CurrentActor) -> dict[str, Any]:
        return {}

    @app.post("/echo", tags=["edge"])
    async def echo(request: Request) -> dict[str, int]:
        return {"read": len(await request.body())}

    uploads = APIRouter(prefix="/files", tags=["files"])

    @uploads.put("/{file_id}", openapi_extra={middleware.LARGE_BODY: True})
    async def upload(file_id: int, request: Request) -> dict[str, int]:
        return {"read": sum([len(chunk) async for chunk in request.stream()])}

    app.include_router(uploads)

    openapi.install(app)
    return TestClient(app), registry


def test_a_500_is_a_problem_with_the_correlation_id_and_is_counted() -> None:
    http, registry = client()
    response = http.get("/boom", headers={"X-Correlation-Id": "order-42"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-correlation-id"] == "order-42"
    assert response.json()["correlation_id"] == "order-42"
    metrics = generate_latest(registry).decode()
    assert 'http_requests_total{method="GET",route="/boom",status="500"} 1.0' in metrics


@pytest.mark.parametrize("incoming", [b"\xff\xfe", b"a b", b"x" * 129, "naïve".encode(), b""])
def test_an_unsafe_correlation_id_is_replaced(incoming: bytes) -> None:
    http, _ = client()
    response = http.get("/boom", headers=[(b"X-Correlation-Id", incoming)])
    replaced = response.headers["x-correlation-id"]
    assert replaced.encode() != incoming
    assert len(replaced) == 36
    assert response.json()["correlation_id"] == replaced


def test_an_oversized_body_is_refused_with_413_declared_or_streamed() -> None:
    http, _ = client()
    declared = http.post("/echo", content=b"x" * 1_001)
    assert declared.status_code == 413
    assert declared.json()["type"].endswith("/content-too-large")

    def chunks() -> Any:
        for _ in range(11):
            yield b"x" * 100

    streamed = http.post("/echo", content=chunks())
    assert streamed.status_code == 413
    assert streamed.headers["content-type"] == "application/problem+json"
    assert "correlation_id" in streamed.json()
    assert http.post("/echo", content=b"x" * 1_000).json() == {"read": 1_000}


def test_an_upload_route_takes_the_upload_limit_and_no_other_route_does() -> None:
    http, _ = client()
    assert http.put("/files/7", content=b"x" * 5_000).json() == {"read": 5_000}
    assert http.put("/files/7", content=b"x" * 5_001).status_code == 413

    def chunks(n: int) -> Any:
        for _ in range(n):
            yield b"x" * 500

    assert http.put("/files/7", content=chunks(10)).json() == {"read": 5_000}
    assert http.put("/files/7", content=chunks(11)).status_code == 413
    # The same path by another method, and every other route, keep the usual limit.
    assert http.post("/files/7", content=b"x" * 1_001).status_code == 413
    assert http.post("/echo", content=b"x" * 1_001).status_code == 413
    assert http.post("/echo", content=chunks(3)).status_code == 413


def test_oversized_headers_are_refused_with_431() -> None:
    http, _ = client()
    response = http.get("/boom", headers={"X-Padding": "x" * 4_000})
    assert response.status_code == 431
    assert response.json()["status"] == 431


def test_cors_preflight_for_an_allowed_origin_only() -> None:
    http, _ = client()
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type,if-match",
    }
    allowed = http.options("/things/1", headers={"Origin": ORIGIN, **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    other = http.options("/things/1", headers={"Origin": "https://evil.example", **preflight})
    assert other.status_code == 400
    assert "access-control-allow-origin" not in other.headers
    refused = http.post("/things/1", json={"text": "t"}, headers={"Origin": ORIGIN})
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == ORIGIN  # a browser may read why


def test_every_operation_documents_its_problems() -> None:
    http, _ = client()
    spec = http.get("/openapi.json").json()
    post = spec["paths"]["/things/{thing_id}"]["post"]["responses"]
    assert set(post) == {"200", "400", "401", "403", "404", "409", "413", "422", "431", "500"}
    assert post["422"]["content"] == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
    assert set(spec["paths"]["/boom"]["get"]["responses"]) == {"200", "431", "500"}
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    assert spec["components"]["schemas"]["Problem"]["properties"]["correlation_id"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/boom"), ("POST", "/things/x"), ("DELETE", "/echo"), ("GET", "/nowhere")],
)
def test_every_answer_carries_the_security_headers(method: str, path: str) -> None:
    http, _ = client()
    response = http.request(method, path)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["content-security-policy"].startswith("default-src 'none'")


def test_a_405_allows_every_method_of_the_path() -> None:
    app = FastAPI()
    errors.install(app)
    middleware.install(app, ServiceSettings(service="edge"), CollectorRegistry())
    for method in ("get", "put", "patch", "delete"):
        app.add_api_route("/things/{thing_id}", lambda thing_id: {}, methods=[method.upper()])
    response = TestClient(app).post("/things/1")
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET, PATCH, PUT"
