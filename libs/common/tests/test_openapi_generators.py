"""What a client generator reads in a service's OpenAPI document: a method name per
operation from its route's function (unique), one tag, `security: []` where no token is asked, an
optional parameter that is absent rather than null, each problem a route declares with the
problem's body, and `servers`. (tests/deploy/test_openapi_clients.py runs the generator and
linters on the services' own documents.)"""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from bizdev_common import openapi
from bizdev_common.api import ExpectedVersion
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import Day
from bizdev_common.errors import PROBLEM_JSON
from fastapi import APIRouter, FastAPI, Query

SERVERS = [{"url": "/api/parcels", "description": "Through the gateway"}]


def document(router: APIRouter) -> dict[str, Any]:
    app = FastAPI(generate_unique_id_function=openapi.operation_id)
    app.include_router(router)
    openapi.install(app, servers=SERVERS)

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        return {}

    return app.openapi()


def parcels() -> APIRouter:
    router = APIRouter(tags=["parcels"])

    @router.post("/parcels/{parcel_id}/send_back")
    async def send_back_parcel(parcel_id: int, actor: CurrentActor, v: ExpectedVersion) -> None:
        return None

    @router.get(
        "/parcels/{parcel_id}/label",
        responses={409: {"description": "Not labelled yet"}},
    )
    async def parcel_label(
        parcel_id: int,
        actor: CurrentActor,
        printed_on: Annotated[Day | None, Query()] = None,
    ) -> None:
        return None

    return router


def test_an_operation_is_named_by_its_function_in_camel_case() -> None:
    paths = document(parcels())["paths"]
    assert paths["/parcels/{parcel_id}/send_back"]["post"]["operationId"] == "sendBackParcel"
    assert paths["/parcels/{parcel_id}/label"]["get"]["operationId"] == "parcelLabel"
    assert paths["/healthz"]["get"]["operationId"] == "healthz"


@pytest.mark.filterwarnings("ignore:Duplicate Operation ID")
def test_two_operations_of_one_name_are_refused() -> None:
    router = parcels()
    other = APIRouter()

    @other.get("/labels/{parcel_id}")
    async def parcel_label(parcel_id: int) -> None:
        return None

    router.include_router(other)
    with pytest.raises(ValueError, match="'parcelLabel'"):
        document(router)


def test_an_operation_has_one_tag() -> None:
    router = parcels()

    @router.get("/parcels", tags=["deliveries"])
    async def list_parcels() -> None:
        return None

    with pytest.raises(ValueError, match=r"GET /parcels has tags \['parcels', 'deliveries'\]"):
        document(router)


def test_an_operation_without_a_token_says_it_needs_none() -> None:
    paths = document(parcels())["paths"]
    assert paths["/healthz"]["get"]["security"] == []
    assert paths["/parcels/{parcel_id}/label"]["get"]["security"] == [{"HTTPBearer": []}]


def test_an_optional_parameter_is_a_string_or_absent_never_null() -> None:
    parameters = {
        p["name"]: p
        for p in document(parcels())["paths"]["/parcels/{parcel_id}/send_back"]["post"][
            "parameters"
        ]
        if "name" in p
    }
    if_match = parameters["if-match"]
    assert not if_match["required"]
    assert if_match["schema"]["type"] == "string"
    assert "anyOf" not in if_match["schema"]
    assert if_match["schema"]["pattern"].startswith("^(W/)?")


def test_a_date_parameter_carries_its_form_and_years() -> None:
    label = document(parcels())["paths"]["/parcels/{parcel_id}/label"]["get"]
    (printed_on,) = (p for p in label["parameters"] if p.get("name") == "printed_on")
    schema = printed_on["schema"]
    assert (schema["type"], schema["format"]) == ("string", "date")
    assert "2200" in schema["pattern"]
    assert "default" not in schema


def test_a_problem_a_route_declares_has_the_problem_body() -> None:
    label = document(parcels())["paths"]["/parcels/{parcel_id}/label"]["get"]
    assert label["responses"]["409"]["description"] == "Not labelled yet"
    assert label["responses"]["409"]["content"] == {
        PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}
    }


def test_the_servers_and_every_tag_are_declared() -> None:
    spec = document(parcels())
    assert spec["servers"] == SERVERS
    assert spec["tags"] == [{"name": "parcels"}, {"name": "operations"}]
