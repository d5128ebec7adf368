"""A list's cursor: what a page hands out comes back as the same key, and anything else a
client may send as `cursor` is a 422 on `cursor`, never a 500."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID, uuid4

import pytest
from bizdev_common.boundary import PageParams
from bizdev_common.cursors import decode_cursor, encode_cursor
from bizdev_common.domain import RuleViolation
from bizdev_common.readmodel import ListQuery, Page, Total
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

ROW = UUID("0b6f3c52-5d0e-4a53-9d7a-8d1d3b0b8f11")


@pytest.mark.parametrize(
    "value",
    [
        None,
        "智能制造改造 #42",
        "",
        0,
        -(2**63),
        True,
        Decimal("1250000.00"),
        date(2024, 2, 29),
        datetime(2024, 2, 29, 23, 59, 59, 123456, tzinfo=UTC),
        uuid4(),
    ],
)
def test_a_cursor_gives_back_the_key_it_was_made_of(value: Any) -> None:
    cursor = encode_cursor("applications", "-title", value, ROW)
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    back, row = decode_cursor(cursor, "applications", "-title")
    assert (back, row) == (value, ROW)
    assert type(back) is type(value)


def _refused(cursor: str, list_name: str = "applications", sort: str = "title") -> str:
    with pytest.raises(RuleViolation) as refused:
        decode_cursor(cursor, list_name, sort)
    assert refused.value.field == "query.cursor"
    return str(refused.value)


def _forged(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).rstrip(b"=").decode()


def test_a_cursor_of_another_sort_or_list_is_refused() -> None:
    cursor = encode_cursor("applications", "title", "a", ROW)
    assert "sort=title, not sort=-title" in _refused(cursor, sort="-title")
    assert "applications" in _refused(cursor, list_name="projects")


@pytest.mark.parametrize(
    "cursor",
    [
        "x",  # not base64 of anything
        "bm90IGpzb24",  # base64 of "not json"
        _forged({"list": "applications", "sort": "title", "kind": "text", "value": "a"}),
        _forged(
            {"list": "applications", "sort": "title", "kind": "blob", "value": 1, "id": str(ROW)}
        ),
        _forged(
            {"list": "applications", "sort": "title", "kind": "text", "value": 1, "id": str(ROW)}
        ),
        _forged(
            {
                "list": "applications",
                "sort": "title",
                "kind": "text",
                "value": "a\x00",
                "id": str(ROW),
            }
        ),
        _forged(
            {"list": "applications", "sort": "title", "kind": "int", "value": 2**63, "id": str(ROW)}
        ),
        _forged(
            {"list": "applications", "sort": "title", "kind": "int", "value": "1", "id": str(ROW)}
        ),
        _forged(
            {
                "list": "applications",
                "sort": "title",
                "kind": "decimal",
                "value": "NaN",
                "id": str(ROW),
            }
        ),
        _forged(
            {
                "list": "applications",
                "sort": "title",
                "kind": "date",
                "value": "2024-13-01",
                "id": str(ROW),
            }
        ),
        _forged(
            {"list": "applications", "sort": "title", "kind": "null", "value": None, "id": "no"}
        ),
        _forged(
            {"list": "applications", "sort": "title", "kind": "null", "id": str(ROW), "more": 1}
        ),
        _forged([1, 2]),
    ],
)
def test_anything_but_a_cursor_is_refused_on_the_cursor_field(cursor: str) -> None:
    _refused(cursor)


def test_a_page_carries_its_next_cursor() -> None:
    page = Page[int](items=[1], total=Total(9, next_cursor="abc"), limit=1, offset=0)
    assert page.next_cursor == "abc"
    assert Page[int](items=[], total=Total(0), limit=1, offset=0).next_cursor is None


THINGS = ListQuery("things", filters=[], sorts=["title"], text=["title"], default_sort="title")
ThingsPage = Annotated[PageParams, Depends(THINGS.page_params)]


def test_the_cursor_parameter_is_documented_and_refused_at_the_boundary() -> None:
    app = FastAPI()

    @app.get("/things")
    async def things(page: ThingsPage) -> dict[str, Any]:
        return {"cursor": page.cursor}

    param = next(
        p for p in app.openapi()["paths"]["/things"]["get"]["parameters"] if p["name"] == "cursor"
    )
    assert "next_cursor" in param["description"]
    client = TestClient(app)
    assert client.get("/things?cursor=abc_-9").json() == {"cursor": "abc_-9"}
    for bad in ("a=b", "a" * 2049, "a+b"):
        refused = client.get("/things", params={"cursor": bad})
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["loc"] == ["query", "cursor"]
