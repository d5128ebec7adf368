"""The merged inbox without servers: the services' pages become one page in the order each
service sorts its own (inbox.py), links on the one origin, and a service that does not answer
is named rather than failing the rest."""

from __future__ import annotations

import socket
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from bizdev_common import one_inbox
from bizdev_common.boundary import PageParams
from bizdev_common.inbox import Addressee, InboxItem
from bizdev_common.readmodel import Page

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def item(title: str, due: int | None, since: int = 0, kind: str = "review") -> InboxItem:
    return InboxItem(
        kind=kind,
        record_id=uuid.uuid4(),
        item="",
        title=title,
        waits_on=Addressee(user="rita", role=None, department=None),
        due_at=None if due is None else T0 + timedelta(hours=due),
        overdue=False,
        since=T0 + timedelta(minutes=since),
        link=f"/things/{title}",
        version=1,
    )


def answer(service: str, *items: InboxItem, total: int | None = None) -> one_inbox.Answer:
    page = Page[InboxItem](items=list(items), total=total or len(items), limit=20, offset=0)
    return one_inbox.Answer(service, page=page)


def titles(merged: one_inbox.MergedInbox) -> list[str]:
    return [i.title for i in merged.items]


def test_soonest_due_first_across_services_and_no_due_time_last() -> None:
    merged = one_inbox.merge(
        [
            answer("crm", item("crm-3h", 3), item("crm-none", None)),
            answer("finance", item("fin-1h", 1), item("fin-5h", 5)),
            answer("risk", item("risk-2h", 2)),
        ],
        sort=None,
        limit=20,
        offset=0,
    )
    assert titles(merged) == ["fin-1h", "risk-2h", "crm-3h", "fin-5h", "crm-none"]
    assert merged.total == 5
    assert merged.missing == []


def test_descending_keeps_items_without_due_time_last_and_ties_wait_longest_first() -> None:
    merged = one_inbox.merge(
        [
            answer("crm", item("late-since", 1, since=30), item("none", None)),
            answer("risk", item("early-since", 1, since=10), item("later", 4)),
        ],
        sort="-due_at",
        limit=20,
        offset=0,
    )
    assert titles(merged) == ["later", "early-since", "late-since", "none"]


def test_the_page_is_cut_from_the_merged_order_and_totals_add_up() -> None:
    merged = one_inbox.merge(
        [
            answer("crm", item("a", 1), item("c", 3), total=7),
            answer("records", item("b", 2), item("d", 4), total=5),
        ],
        sort="due_at",
        limit=2,
        offset=1,
    )
    assert titles(merged) == ["b", "c"]
    assert (merged.total, merged.limit, merged.offset) == (12, 2, 1)


def test_links_and_service_name_the_one_origin_path() -> None:
    merged = one_inbox.merge([answer("finance", item("x", 1))], None, 20, 0)
    assert merged.items[0].service == "finance"
    assert merged.items[0].link == "/api/finance/things/x"


def test_each_service_is_asked_for_everything_up_to_the_end_of_the_merged_page() -> None:
    filters = one_inbox.Filters(
        PageParams(q="late", sort="-since", limit=10, offset=30),
        kind="answer",
        overdue=False,
        record_id=None,
    )
    assert filters.service_query() == {
        "limit": "40",
        "offset": "0",
        "sort": "-since",
        "q": "late",
        "kind": "answer",
        "overdue": "false",
    }


def test_sorting_by_an_unknown_column_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot sort"):
        one_inbox.sort_items([], "title")


async def test_a_service_that_cannot_be_reached_is_named_missing_and_the_rest_answered() -> None:
    with socket.socket() as s:  # a port nothing listens on once closed
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    filters = one_inbox.Filters(PageParams(limit=20, offset=0), None, None, None)
    async with httpx.AsyncClient(timeout=2) as client:
        got = await one_inbox.ask(client, "records", dead, "Bearer x", filters)
    assert got.page is None
    assert got.missing is not None
    assert (got.missing.service, got.missing.status) == ("records", None)
    merged = one_inbox.merge([got, answer("crm", item("a", 1))], None, 20, 0)
    assert titles(merged) == ["a"]
    assert [m.service for m in merged.missing] == ["records"]
