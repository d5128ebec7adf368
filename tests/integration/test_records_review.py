"""The archivist's review as a decision over HTTP (REGULATIONS 9.2): filed material is
returned to its filer with a reason (RecordReturnedToFiler), waits in the filer's /inbox,
is corrected and filed again (RecordResubmitted), and is reviewed anew and accepted by
numbering. Who may do which (403) and what the state machine refuses meanwhile (409)."""

from __future__ import annotations

from typing import Any

import httpx
from bizdev_records.published import CONTRACT as RECORDS

from .conftest import Infra, by_subject, headers_of, read_topic
from .flows import ok
from .records_flows import Archive, inbox, marketing_file, physical_record, record_at


async def test_returned_material_goes_back_to_its_filer_who_files_it_again(
    records_http: httpx.AsyncClient, infra: Infra
) -> None:
    archive = Archive()
    record_id = await physical_record(
        records_http, archive, await marketing_file(records_http, archive)
    )
    record = f"/records/{record_id}"

    async def waiting(headers: dict[str, str], kind: str) -> list[dict[str, Any]]:
        return await inbox(records_http, headers, kind, record_id)

    reason = {"reason": "No date on the brochure: add the fair's year to the title"}
    for who in (archive.member, archive.head, archive.auditor):
        refused = await records_http.post(f"{record}/return-to-filer", json=reason, headers=who)
        assert refused.status_code == 403, refused.text
    stale = await records_http.post(
        f"{record}/return-to-filer", json=reason, headers={**archive.archivist, "If-Match": '"1"'}
    )
    assert stale.status_code == 409, stale.text
    blank = await records_http.post(
        f"{record}/return-to-filer", json={"reason": ""}, headers=archive.archivist
    )
    assert blank.status_code == 422, blank.text
    returned = await ok(
        await records_http.post(f"{record}/return-to-filer", json=reason, headers=archive.archivist)
    )

    shown = await record_at(records_http, record_id, returned["version"], archive.member)
    assert shown["state"] == "returned_to_filer"
    assert shown["returned_reason"] == reason["reason"]
    [for_filer] = await waiting(archive.member, "record_returned")
    assert for_filer["link"] == f"{record}/resubmit"
    assert for_filer["waits_on"]["user"] == archive.member_id
    assert reason["reason"] in for_filer["title"]
    assert await waiting(archive.archivist, "record_to_archive") == []
    assert await waiting(archive.head, "record_returned") == []  # the filer's, not the head's

    # Waiting on the filer: neither accepted (numbered) nor returned again meanwhile.
    for path, body in (("number", {"series": "material"}), ("return-to-filer", reason)):
        r = await records_http.post(f"{record}/{path}", json=body, headers=archive.archivist)
        assert r.status_code == 409, r.text
    assert (
        await records_http.post(f"{record}/resubmit", json={}, headers=archive.head)
    ).status_code == 403

    await ok(
        await records_http.post(
            f"{record}/title", json={"title": "Trade show brochure 2026"}, headers=archive.member
        )
    )
    resubmitted = await ok(
        await records_http.post(
            f"{record}/resubmit", json={"note": "Year added"}, headers=archive.member
        )
    )
    again = await records_http.post(f"{record}/resubmit", json={}, headers=archive.member)
    assert again.status_code == 409, again.text

    shown = await record_at(records_http, record_id, resubmitted["version"], archive.member)
    assert shown["state"] == "filed"
    assert shown["returned_reason"] is None
    assert await waiting(archive.member, "record_returned") == []
    [for_archivist] = await waiting(archive.archivist, "record_to_archive")
    assert for_archivist["link"] == f"{record}/number"

    numbered = await ok(
        await records_http.post(
            f"{record}/number", json={"series": "material"}, headers=archive.archivist
        )
    )
    assert numbered["number"].startswith("MKT-")

    events = await read_topic(
        infra.kafka_bootstrap,
        RECORDS.topic,
        lambda rs: len(by_subject(rs, record_id)) >= numbered["version"],
    )
    names = [headers_of(r)["ce_type"].split(".")[2] for r in by_subject(events, record_id)]
    assert names[-4:] == [
        "RecordReturnedToFiler",
        "RecordRetitled",
        "RecordResubmitted",
        "RecordNumbered",
    ]
