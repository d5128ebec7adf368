"""The shared read routes document themselves as hand-written ones did: operation ids from
the names a hand-written route would have (`getParcel`), the path's own id name,
`min_version` on the detail, `version` and `at` on as-of. (What they answer is shown against
PostgreSQL by the services' integration tests.)"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from bizdev_common import openapi
from bizdev_common.routes import EVERY_EVENT, RecordRoutes
from eventsourcing.domain import Aggregate
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel


class Parcel(Aggregate):
    def __init__(self, to: str) -> None:
        self.to = to


class ParcelView(BaseModel):
    id: UUID
    to: str


def document() -> dict[str, Any]:
    router = APIRouter()
    parcel = RecordRoutes(router, "/parcels/{parcel_id}", "parcel", ["parcels"])
    parcel.detail("parcels", ParcelView, lambda row: ParcelView.model_validate(dict(row)))
    parcel.history(Parcel, summary=EVERY_EVENT)
    parcel.as_of(Parcel, ParcelView, lambda p: ParcelView(id=p.id, to=p.to))
    app = FastAPI(generate_unique_id_function=openapi.operation_id)
    app.include_router(router)
    return app.openapi()


def parameters(operation: dict[str, Any]) -> list[tuple[str, str, bool]]:
    return [(p["name"], p["in"], p["required"]) for p in operation["parameters"]]


def test_detail_history_and_as_of_are_documented_like_hand_written_routes() -> None:
    paths = document()["paths"]
    detail = paths["/parcels/{parcel_id}"]["get"]
    history = paths["/parcels/{parcel_id}/history"]["get"]
    as_of = paths["/parcels/{parcel_id}/as-of"]["get"]

    assert detail["operationId"] == "getParcel"
    assert detail["summary"] == "Get Parcel"
    assert detail["tags"] == ["parcels"]
    assert parameters(detail) == [("parcel_id", "path", True), ("min_version", "query", False)]
    assert detail["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ParcelView"
    }

    assert history["operationId"] == "parcelHistory"
    assert history["summary"] == EVERY_EVENT
    assert parameters(history) == [("parcel_id", "path", True)]
    assert history["responses"]["200"]["content"]["application/json"]["schema"]["items"] == {
        "$ref": "#/components/schemas/HistoryEvent"
    }

    assert as_of["operationId"] == "parcelAsOf"
    assert parameters(as_of) == [
        ("parcel_id", "path", True),
        ("version", "query", False),
        ("at", "query", False),
    ]
    for operation in (detail, history, as_of):
        assert operation["security"] == [{"HTTPBearer": []}]  # the actor is required


def test_a_detail_takes_its_view_or_its_read() -> None:
    parcel = RecordRoutes(APIRouter(), "/parcels/{parcel_id}", "parcel", ["parcels"])
    with pytest.raises(TypeError):
        parcel.detail("parcels", ParcelView)


def test_the_path_ends_with_the_records_id() -> None:
    with pytest.raises(ValueError, match="must end with the record's id"):
        RecordRoutes(APIRouter(), "/parcels", "parcel", ["parcels"]).history(Parcel)
