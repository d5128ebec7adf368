"""A retry whose first answer was never stored gets the status the route documents: found
through the OpenAPI document, since FastAPI no longer lists included routes in
`app.router.routes` (a create was replayed as 200 instead of 201)."""

from bizdev_common.idempotency import _declared_status
from fastapi import APIRouter, FastAPI


def _scope(app: FastAPI, method: str, path: str) -> dict[str, object]:
    return {"type": "http", "app": app, "method": method, "path": path, "root_path": ""}


def test_the_documented_success_status_of_a_route_in_an_included_router() -> None:
    router = APIRouter()

    @router.post("/things", status_code=201)
    def create() -> dict[str, str]:
        return {}

    @router.post("/things/{thing_id}/close")
    def close(thing_id: str) -> dict[str, str]:
        return {}

    app = FastAPI()
    app.include_router(router, prefix="/api")
    assert _declared_status(_scope(app, "POST", "/api/things")) == 201
    assert _declared_status(_scope(app, "POST", "/api/things/7/close")) == 200
    assert _declared_status(_scope(app, "POST", "/nowhere")) == 200
