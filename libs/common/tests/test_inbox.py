"""The inbox's rules that need no database: whom an item may wait on, which items wait on a
caller (the condition the route filters by), and how the route documents itself. What the
table does with writes out of order is shown against PostgreSQL in
tests/integration/test_inbox.py."""

from __future__ import annotations

from typing import Any

import pytest
from bizdev_common.domain import Actor, Role
from bizdev_common.inbox import MANAGEMENT, WaitsOn, _order, head_of, inbox_router, person, waits_on
from fastapi import FastAPI


def test_an_item_waits_on_a_user_or_a_role_never_both_nor_neither() -> None:
    assert person("rita") == WaitsOn(user="rita")
    assert head_of("sales") == WaitsOn(role=Role.DEPARTMENT_HEAD, department="sales")
    assert MANAGEMENT.department is None
    with pytest.raises(ValueError, match="not both or neither"):
        WaitsOn()
    with pytest.raises(ValueError, match="not both or neither"):
        WaitsOn(user="rita", role=Role.MANAGEMENT)
    with pytest.raises(ValueError, match="names no department"):
        WaitsOn(user="rita", department="sales")
    with pytest.raises(ValueError, match="excepts nobody"):
        WaitsOn(user="rita", other_than="sam")


def test_the_condition_takes_the_callers_id_roles_and_department_in_order() -> None:
    bob = Actor("bob", "sales", frozenset({Role.EMPLOYEE, Role.DEPARTMENT_HEAD}))
    condition, args = waits_on(bob, first=3)
    assert condition == (
        "(user_id = $3 OR (role = ANY($4::text[]) AND (department IS NULL OR department = $5) "
        "AND other_than IS DISTINCT FROM $3))"
    )
    assert args == ["bob", ["department_head", "employee"], "sales"]


def test_soonest_due_first_and_items_without_a_due_time_last_either_way() -> None:
    assert _order(None).startswith("due_at ASC NULLS LAST")
    assert _order("-due_at").startswith("due_at DESC NULLS LAST")
    assert _order("since").startswith("since ASC NULLS LAST")
    with pytest.raises(ValueError, match="cannot sort"):
        _order("title; DROP TABLE inbox")


def _operation() -> dict[str, Any]:
    app = FastAPI()
    app.include_router(inbox_router(["complaint_to_assign", "follow_up_due"]))
    return app.openapi()["paths"]["/inbox"]["get"]


def test_the_route_documents_the_services_kinds_and_the_inbox_sorts() -> None:
    operation = _operation()
    params = {p["name"]: p for p in operation["parameters"]}
    assert set(params) == {
        "q", "sort", "limit", "offset", "kind", "overdue", "record_id", "wait_for", "min_version"
    }  # fmt: skip
    spec = FastAPI()
    spec.include_router(inbox_router(["complaint_to_assign", "follow_up_due"]))
    schemas = spec.openapi()["components"]["schemas"]
    assert schemas["InboxKind"]["enum"] == ["complaint_to_assign", "follow_up_due"]
    assert set(schemas["InboxSort"]["enum"]) == {
        "due_at", "since", "kind", "-due_at", "-since", "-kind"
    }  # fmt: skip
    item = schemas["InboxItem"]["properties"]
    assert {"kind", "record_id", "title", "waits_on", "due_at", "overdue", "link"} <= set(item)
