"""The whole borrowing path over HTTP (REGULATIONS 9.3): applied → approved by the borrower's
department head → lent by the archivist (a second loan meanwhile refused) → past its due
date under a test clock, LoanOverdue once, in the borrower's and the archivist's inboxes →
returned and checked intact."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
from bizdev_records.contract import CONTRACT as RECORDS

from .conftest import Infra, by_subject, eventually, headers_of, read_topic
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
    [waiting] = [
        i
        for i in await inbox(records_http, archive.head, "loan_to_approve")
        if i["record_id"] == record_id
    ]
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
            items = await inbox(records_http, headers, "loan_overdue")
            return [i for i in items if i["record_id"] == record_id]

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
