"""A route written as a plain `def` (a command) runs with its answer's serialisation in one
worker thread, within the process's command slots, and is documented as FastAPI documents
the plain `def`."""

from __future__ import annotations

import importlib
import pkgutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from typing import Any

import pytest
from bizdev_common.commands import CommandRoute, CommandThreads
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel, field_serializer

threads: dict[str, int] = {}


class Saved(BaseModel):
    id: int
    version: int

    @field_serializer("version")
    def _seen(self, version: int) -> int:
        threads["serialised"] = threading.get_ident()
        return version


class SavedWithMore(Saved):
    secret: str


def routes(router: APIRouter) -> None:
    @router.post("/things", status_code=201, response_model=Saved, summary="Save a thing")
    def save_thing(body: Saved, response: Response) -> SavedWithMore:
        """Saves it (the docstring is the operation's description)."""
        threads["command"] = threading.get_ident()
        response.headers["ETag"] = f'"{body.version}"'
        return SavedWithMore(id=body.id, version=body.version, secret="not for the caller")

    @router.put("/things/{thing_id}")
    def replace_thing(thing_id: int, response: Response) -> Saved:
        response.status_code = 202
        return Saved(id=thing_id, version=2)

    @router.delete("/things/{thing_id}", status_code=204)
    def remove_thing(thing_id: int) -> None:
        return None

    @router.get("/things/{thing_id}")
    async def get_thing(thing_id: int) -> Saved:
        return Saved(id=thing_id, version=1)


def app(route_class: type[APIRoute], slots: int = 4) -> FastAPI:
    router = APIRouter(route_class=route_class)
    routes(router)
    made = FastAPI()
    made.include_router(router)
    made.state.command_threads = CommandThreads(slots)
    return made


def test_the_command_and_its_serialisation_run_in_one_worker_thread() -> None:
    threads.clear()
    http = TestClient(app(CommandRoute))
    response = http.post("/things", json={"id": 1, "version": 3})
    assert response.status_code == 201
    assert response.json() == {"id": 1, "version": 3}  # filtered by the response model
    assert response.headers["etag"] == '"3"'
    assert response.headers["content-type"] == "application/json"
    assert threads["command"] == threads["serialised"]
    assert threads["command"] != threading.get_ident()  # not the test's, not the loop's


def test_a_plain_def_route_answers_as_fastapi_answers_it() -> None:
    ours, fastapi = TestClient(app(CommandRoute)), TestClient(app(APIRoute))
    for method, path, body in [
        ("POST", "/things", {"id": 1, "version": 3}),
        ("POST", "/things", {"id": "x"}),
        ("PUT", "/things/5", None),
        ("DELETE", "/things/5", None),
        ("GET", "/things/5", None),
    ]:
        mine, theirs = (c.request(method, path, json=body) for c in (ours, fastapi))
        assert (mine.status_code, mine.content) == (theirs.status_code, theirs.content)
        assert mine.headers.get("etag") == theirs.headers.get("etag")


def test_the_openapi_document_is_the_one_fastapi_makes_of_the_plain_def() -> None:
    assert app(CommandRoute).openapi() == app(APIRoute).openapi()


def test_no_more_commands_run_at_once_than_the_slots() -> None:
    running, most = 0, 0
    lock = threading.Lock()
    router = APIRouter(route_class=CommandRoute)

    @router.post("/slow")
    def slow() -> dict[str, Any]:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return {}

    made = FastAPI()
    made.include_router(router)
    made.state.command_threads = CommandThreads(2)
    with TestClient(made) as http, ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: http.post("/slow").status_code, range(16)))
    assert answers == [200] * 16
    assert most == 2


SERVICES = ["projects", "crm", "risk", "finance", "performance", "records"]


@pytest.mark.parametrize("service", SERVICES)
def test_every_router_of_a_service_runs_its_commands_in_one_hop(service: str) -> None:
    package = importlib.import_module(f"bizdev_{service}.api")
    modules = [package] + [
        importlib.import_module(f"{package.__name__}.{m.name}")
        for m in pkgutil.iter_modules(package.__path__)
    ]
    routers = [
        (module.__name__, router)
        for module in modules
        for router in vars(module).values()
        if isinstance(router, APIRouter)
    ]
    assert routers
    assert [name for name, r in routers if r.route_class is not CommandRoute] == []


def test_a_command_runs_in_its_request_s_context_and_raises_there() -> None:
    """The correlation id and the Idempotency-Key of a request are context variables set
    around the route (middleware.py, idempotency.py): the command's thread must see them, and
    what it raises must reach the request's error handlers."""
    caused_by: ContextVar[str] = ContextVar("caused_by", default="nobody")
    router = APIRouter(route_class=CommandRoute)

    @router.post("/whose")
    def whose() -> dict[str, str]:
        return {"caused_by": caused_by.get()}

    @router.post("/fails")
    def fails() -> dict[str, str]:
        raise LookupError(caused_by.get())

    made = FastAPI()
    made.include_router(router)

    @made.exception_handler(LookupError)
    async def not_found(request: Request, e: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(e)}, status_code=404)

    @made.middleware("http")
    async def correlate(request: Request, call_next: Any) -> Any:
        token = caused_by.set(request.headers["x-request"])
        try:
            return await call_next(request)
        finally:
            caused_by.reset(token)

    threads = made.state.command_threads = CommandThreads(2)
    try:
        with TestClient(made) as http:
            for n in range(6):
                assert http.post("/whose", headers={"x-request": f"r{n}"}).json() == {
                    "caused_by": f"r{n}"
                }
            failed = http.post("/fails", headers={"x-request": "r9"})
            assert (failed.status_code, failed.json()) == (404, {"detail": "r9"})
    finally:
        threads.close()
