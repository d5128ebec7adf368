"""The whole borrowing path over HTTP (REGULATIONS 9.3): applied → approved by the borrower's
department head (or the archivist; nobody else) → lent by the archivist (a second loan
meanwhile refused) → past its due date under a test clock, LoanOverdue once, in the
borrower's and the archivist's inboxes → returned and checked intact, or closed as damaged
or lost."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
from bizdev_records.published import CONTRACT as RECORDS

from .conftest import Infra, auth, by_subject, eventually, headers_of, read_topic, unique
from .conftest import TestClock as Clock
from .flows import ok
from .records_flows import (
    Archive,
    inbox,
    marketing_file,
    number_and_bind,
    physical_record,
    record_at,
)


async def test_a_record_is_borrowed_flagged_overdue_once_and_returned(
    records_http: httpx.AsyncClient, clocks: Callable[[str], Clock], infra: Infra
) -> None:
    archive = Archive()
    record_id = await physical_record(
        records_http, archive, await marketing_file(records_http, archive)
    )
    bound = await number_and_bind(records_http, archive, record_id)

    today = datetime.now(UTC).date()
    applied = await ok(
        await records_http.post(
            f"/records/{record_id}/loans",
            json={"purpose": "Prepare the autumn fair", "due_on": today.isoformat()},
            headers=archive.member,
        ),
        201,
    )
    loan = f"/records/{record_id}/loans/{applied['loan_id']}"
    # Not the archivist's to lend before approval, nor the borrower's to approve.
    assert (await records_http.post(f"{loan}/lend", headers=archive.archivist)).status_code == 409
    assert (await records_http.post(f"{loan}/approve", headers=archive.member)).status_code == 403
    await record_at(records_http, record_id, applied["version"], archive.head)
    [waiting] = await inbox(records_http, archive.head, "loan_to_approve", record_id)
    assert waiting["link"] == f"{loan}/approve"
    await ok(await records_http.post(f"{loan}/approve", headers=archive.head))
    assert (await records_http.post(f"{loan}/lend", headers=archive.head)).status_code == 403
    lent = await ok(await records_http.post(f"{loan}/lend", headers=archive.archivist))

    second = await records_http.post(
        f"/records/{record_id}/loans",
        json={"purpose": "Read it too", "due_on": today.isoformat()},
        headers=archive.head,
    )
    assert second.status_code == 409, second.text

    clock = clocks("records")
    try:
        clock.set(datetime.now(UTC) + timedelta(days=2))

        async def overdue_for(headers: dict[str, str]) -> list[dict[str, object]]:
            return await inbox(records_http, headers, "loan_overdue", record_id)

        [for_borrower] = await eventually(lambda: overdue_for(archive.member), within=30)
        [for_archivist] = await eventually(lambda: overdue_for(archive.archivist))
        assert for_borrower["overdue"] is True
        assert for_archivist["link"] == f"{loan}/return"
        # More ticks of the scheduler (every 0.2 s here) must not raise it again.
        await asyncio.sleep(1.5)
        loans = await ok(
            await records_http.get(
                "/loans", params={"overdue": "true", "record_id": record_id}, headers=archive.member
            )
        )
        assert [x["state"] for x in loans["items"]] == ["lent"]
        returned = await ok(
            await records_http.post(
                f"{loan}/return", json={"intact": True}, headers=archive.archivist
            )
        )
    finally:
        clock.reset()

    done = await record_at(records_http, record_id, returned["version"], archive.auditor)
    assert done["on_loan"] is False
    assert await overdue_for(archive.member) == []
    [history] = (
        await ok(
            await records_http.get(
                "/loans", params={"record_id": record_id}, headers=archive.auditor
            )
        )
    )["items"]
    assert history["state"] == "returned"
    assert history["intact"] is True
    assert history["decided_by"] == archive.head_id

    records = await read_topic(
        infra.kafka_bootstrap,
        RECORDS.topic,
        lambda rs: len(by_subject(rs, record_id)) >= returned["version"],
    )
    names = [headers_of(r)["ce_type"].split(".")[2] for r in by_subject(records, record_id)]
    assert names[-6:] == [
        "RecordBound",
        "LoanApplied",
        "LoanApproved",
        "RecordLent",
        "LoanOverdue",
        "RecordReturned",
    ]
    assert names.count("LoanOverdue") == 1
    assert bound["number"].startswith("MKT-")
    assert lent["version"] < returned["version"]


async def test_who_approves_a_loan_and_loans_closed_as_damaged_or_lost(
    records_http: httpx.AsyncClient, clocks: Callable[[str], Clock], infra: Infra
) -> None:
    """The head of the borrower's department or the archivist approves, no one else; an
    overdue loan closed as damaged leaves the record flagged and no longer overdue anywhere;
    a loan closed as lost takes the record out of circulation, its deadline gone too."""
    archive = Archive()
    record_id = await physical_record(
        records_http, archive, await marketing_file(records_http, archive)
    )
    await number_and_bind(records_http, archive, record_id)
    today = datetime.now(UTC).date()
    other_head = auth(unique("head"), unique("sales"), "employee", "department_head")

    async def apply() -> str:
        applied = await ok(
            await records_http.post(
                f"/records/{record_id}/loans",
                json={"purpose": "Fair stand design", "due_on": today.isoformat()},
                headers=archive.member,
            ),
            201,
        )
        return f"/records/{record_id}/loans/{applied['loan_id']}"

    async def overdue_for(headers: dict[str, str]) -> list[dict[str, object]]:
        return await inbox(records_http, headers, "loan_overdue", record_id)

    async def loans() -> list[dict[str, object]]:
        page = await ok(
            await records_http.get(
                "/loans",
                params={"record_id": record_id, "sort": "applied_at"},
                headers=archive.auditor,
            )
        )
        return list(page["items"])

    first = await apply()
    for who in (other_head, archive.outsider, archive.auditor, archive.member):
        refused = await records_http.post(f"{first}/approve", headers=who)
        assert refused.status_code == 403, refused.text
    await ok(await records_http.post(f"{first}/approve", headers=archive.archivist))
    await ok(await records_http.post(f"{first}/lend", headers=archive.archivist))

    damage = {
        "outcome": "damaged",
        "reported_by": "archivist",
        "account": "Coffee stain across the cover",
    }
    clock = clocks("records")
    try:
        clock.set(datetime.now(UTC) + timedelta(days=2))
        await eventually(lambda: overdue_for(archive.member), within=30)
        assert (
            await records_http.post(f"{first}/lost-or-damaged", json=damage, headers=archive.head)
        ).status_code == 403
        damaged = await ok(
            await records_http.post(
                f"{first}/lost-or-damaged", json=damage, headers=archive.archivist
            )
        )
    finally:
        clock.reset()
    shown = await record_at(records_http, record_id, damaged["version"], archive.auditor)
    assert (shown["state"], shown["on_loan"], shown["damage"]) == (
        "bound",
        False,
        damage["account"],
    )
    assert await overdue_for(archive.member) == []
    assert await overdue_for(archive.archivist) == []
    [closed] = await loans()
    assert closed["state"] == "damaged"
    assert closed["decided_by"] == archive.archivist_id
    assert (closed["reported_by"], closed["condition"]) == ("archivist", damage["account"])

    # Damaged, it is back on the shelf: lent again, approved by the borrower's own head.
    second = await apply()
    await ok(await records_http.post(f"{second}/approve", headers=archive.head))
    await ok(await records_http.post(f"{second}/lend", headers=archive.archivist))
    loss = {"outcome": "lost", "reported_by": "borrower", "account": "Left on the train"}
    assert (
        await records_http.post(f"{second}/lost-or-damaged", json=loss, headers=archive.member)
    ).status_code == 403
    lost = await ok(
        await records_http.post(f"{second}/lost-or-damaged", json=loss, headers=archive.archivist)
    )
    shown = await record_at(records_http, record_id, lost["version"], archive.auditor)
    assert (shown["state"], shown["on_loan"]) == ("lost", False)
    assert [x["state"] for x in await loans()] == ["damaged", "lost"]
    # Out of circulation: no new loan; the closed one is not closed twice.
    third = await records_http.post(
        f"/records/{record_id}/loans",
        json={"purpose": "Again", "due_on": today.isoformat()},
        headers=archive.member,
    )
    assert third.status_code == 409, third.text
    twice = await records_http.post(
        f"{second}/lost-or-damaged", json=loss, headers=archive.archivist
    )
    assert twice.status_code == 422, twice.text

    # Its due day passing raises nothing: the loan's deadline went with it.
    try:
        clock.set(datetime.now(UTC) + timedelta(days=2))
        await asyncio.sleep(1.5)
        assert await overdue_for(archive.member) == []
    finally:
        clock.reset()
    events = await read_topic(
        infra.kafka_bootstrap,
        RECORDS.topic,
        lambda rs: len(by_subject(rs, record_id)) >= lost["version"],
    )
    names = [headers_of(r)["ce_type"].split(".")[2] for r in by_subject(events, record_id)]
    assert names[-9:] == [
        "LoanApplied",
        "LoanApproved",
        "RecordLent",
        "LoanOverdue",
        "LoanClosedAsLostOrDamaged",
        "LoanApplied",
        "LoanApproved",
        "RecordLent",
        "LoanClosedAsLostOrDamaged",
    ]
    assert len(by_subject(events, record_id)) == lost["version"]
