"""A command route's `Command` (api.py): `change` reads If-Match, `act` loads the record at
that version, lets it decide and saves, and the answer's ETag is the new version; a stale
If-Match is refused before anything is saved, a missing record is not found, and `create`
documents no If-Match at all."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID, uuid4

import pytest
from bizdev_common.api import Accepted, Command, change, create
from bizdev_common.commands import CommandRoute, CommandThreads
from bizdev_common.domain import NotFound
from bizdev_common.eventstore import ServiceApplication, VersionConflict
from bizdev_common.settings import ServiceSettings
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient


class Thing(Aggregate):
    @event("Named")
    def __init__(self, name: str) -> None:
        self.name = name

    @event("Renamed")
    def rename(self, name: str) -> None:
        self.name = name


class Things(ServiceApplication):
    name = "things"

    def open_store(self, settings: ServiceSettings) -> None:
        Application.__init__(self, env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


Change = Annotated[Command[Things], Depends(change)]
Create = Annotated[Command[Things], Depends(create)]


class Runtime:
    def __init__(self, application: Things) -> None:
        self.application = application


def api(things: Things) -> FastAPI:
    router = APIRouter(route_class=CommandRoute)

    @router.post("/things", status_code=201, response_model=Accepted)
    def name_thing(name: str, cmd: Create) -> Accepted:
        return cmd.accepted(cmd.app.commit(Thing(name)))

    @router.post("/things/{thing_id}/rename", response_model=Accepted)
    def rename_thing(thing_id: UUID, name: str, cmd: Change) -> Accepted:
        return cmd.act(Thing, thing_id, lambda thing: thing.rename(name))

    made = FastAPI()
    made.include_router(router)
    made.state.command_threads = CommandThreads(2)
    made.state.runtime = Runtime(things)

    # As the services' error handlers answer them (errors.py), reduced to the status.
    @made.exception_handler(VersionConflict)
    async def stale(request: Request, e: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(e)}, status_code=409)

    @made.exception_handler(NotFound)
    async def missing(request: Request, e: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(e)}, status_code=404)

    return made


@pytest.fixture
def things() -> Things:
    return Things(ServiceSettings(service="things"))


def test_act_renames_at_the_version_read_and_answers_the_new_one_as_etag(things: Things) -> None:
    http = TestClient(api(things))
    made = http.post("/things", params={"name": "a"})
    assert made.status_code == 201
    assert made.headers["etag"] == '"1"'
    thing_id = made.json()["id"]

    renamed = http.post(
        f"/things/{thing_id}/rename", params={"name": "b"}, headers={"If-Match": '"1"'}
    )
    assert renamed.status_code == 200
    assert renamed.json() == {"id": thing_id, "version": 2}
    assert renamed.headers["etag"] == '"2"'
    assert things.load(Thing, UUID(thing_id)).name == "b"


def test_a_stale_if_match_is_refused_and_nothing_is_saved(things: Things) -> None:
    http = TestClient(api(things))
    thing_id = http.post("/things", params={"name": "a"}).json()["id"]
    http.post(f"/things/{thing_id}/rename", params={"name": "b"})  # no If-Match: any version

    stale = http.post(
        f"/things/{thing_id}/rename", params={"name": "c"}, headers={"If-Match": '"1"'}
    )
    assert stale.status_code == 409
    assert "etag" not in stale.headers
    assert things.load(Thing, UUID(thing_id)).version == 2
    assert things.load(Thing, UUID(thing_id)).name == "b"


def test_a_missing_record_is_not_found(things: Things) -> None:
    http = TestClient(api(things))
    missing = http.post(f"/things/{uuid4()}/rename", params={"name": "b"})
    assert missing.status_code == 404


def test_change_documents_if_match_and_create_does_not(things: Things) -> None:
    paths: dict[str, Any] = api(things).openapi()["paths"]
    rename = paths["/things/{thing_id}/rename"]["post"]["parameters"]
    create_ = paths["/things"]["post"]["parameters"]
    assert [p["name"] for p in rename if p["in"] == "header"] == ["if-match"]
    assert [p["name"] for p in create_ if p["in"] == "header"] == []
