"""Electronic documents and their destruction (REGULATIONS 9.2, 9.4): a document of several MB
uploaded as the request body downloads byte-identical with its SHA-256; its type is checked
and the usual body limit still holds everywhere else; bound, it cannot be replaced. When its
file's retention is over, it is listed, approved by management and destroyed before a
witness: its bytes are gone from the database, its destruction record stays."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import httpx
from bizdev_common.cursors import encode_cursor

from .conftest import Infra, eventually, problem_of, unique
from .conftest import TestClock as Clock
from .flows import ok
from .records_flows import Archive, inbox, marketing_file, number_and_bind, record_at

PDF = "application/pdf"


async def test_a_document_of_several_mb_is_kept_whole_until_destroyed_for_good(
    records_http: httpx.AsyncClient, clocks: Callable[[str], Clock], infra: Infra
) -> None:
    archive = Archive()
    file_id = await marketing_file(records_http, archive)
    filed = await ok(
        await records_http.post(
            "/records",
            json={"file_id": file_id, "title": "Fair brochure, final", "medium": "electronic"},
            headers=archive.member,
        ),
        201,
    )
    record_id = filed["id"]
    document = b"%PDF-1.7\n" + os.urandom(6 * 1024 * 1024)
    content = f"/records/{record_id}/content"

    # The usual limit holds for every other route; the type is checked against the bytes.
    too_large = await records_http.post(
        "/records", content=document, headers={**archive.member, "Content-Type": "application/json"}
    )
    assert too_large.status_code == 413
    not_png = await records_http.put(
        content,
        params={"filename": "x.png"},
        content=document,
        headers={**archive.member, "Content-Type": "image/png"},
    )
    assert not_png.status_code == 422, not_png.text
    assert not_png.json()["errors"][0]["field"] == "body"
    not_allowed = await records_http.put(
        content,
        params={"filename": "x.exe"},
        content=b"MZ" + document,
        headers={**archive.member, "Content-Type": "application/x-msdownload"},
    )
    assert not_allowed.status_code == 422
    assert not_allowed.json()["errors"][0]["field"] == "header.content-type"

    uploaded = await ok(
        await records_http.put(
            content,
            params={"filename": "Fair brochure 2026.pdf"},
            content=document,
            headers={**archive.member, "Content-Type": PDF},
        )
    )
    assert uploaded["size"] == len(document)
    assert uploaded["sha256"] == hashlib.sha256(document).hexdigest()

    downloaded = await records_http.get(content, headers=archive.member)
    assert downloaded.status_code == 200
    assert downloaded.content == document
    assert downloaded.headers["content-type"] == PDF
    digest = base64.b64encode(hashlib.sha256(document).digest()).decode()
    assert downloaded.headers["repr-digest"] == f"sha-256=:{digest}:"
    assert (await records_http.get(content, headers=archive.outsider)).status_code == 403

    # Replaced before binding, safely retried: the first document's bytes go, the second's
    # are kept once.
    conn = await asyncpg.connect(infra.database_url)
    first_id = await conn.fetchval(
        "SELECT content_id FROM records.contents WHERE sha256 = $1", uploaded["sha256"]
    )
    document = b"%PDF-1.7\n" + os.urandom(3 * 1024 * 1024 + 17)
    replacing = {**archive.member, "Content-Type": PDF, "Idempotency-Key": unique("upload")}
    sent = [
        await records_http.put(
            content,
            params={"filename": "Fair brochure 2026 v2.pdf"},
            content=document,
            headers=replacing,
        )
        for _ in range(2)
    ]
    assert [r.headers.get("idempotent-replayed") for r in sent] == [None, "true"]
    reused = await records_http.put(
        content,
        params={"filename": "Fair brochure 2026 v2.pdf"},
        content=document[:-1],
        headers=replacing,
    )
    assert reused.status_code == 422, reused.text
    uploaded = await ok(sent[1])
    assert uploaded["sha256"] == hashlib.sha256(document).hexdigest()

    downloaded = await records_http.get(content, headers=archive.member)
    assert downloaded.status_code == 200
    assert downloaded.content == document
    assert downloaded.headers["content-type"] == PDF
    digest = base64.b64encode(hashlib.sha256(document).digest()).decode()
    assert downloaded.headers["repr-digest"] == f"sha-256=:{digest}:"
    assert (await records_http.get(content, headers=archive.outsider)).status_code == 403

    # Replaced before binding, safely retried: the first document's bytes go, the second's
    # are kept once.
    conn = await asyncpg.connect(infra.database_url)
    first_id = await conn.fetchval(
        "SELECT content_id FROM records.contents WHERE sha256 = $1", uploaded["sha256"]
    )
    document = b"%PDF-1.7\n" + os.urandom(3 * 1024 * 1024 + 17)
    replacing = {**archive.member, "Content-Type": PDF, "Idempotency-Key": unique("upload")}
    for _ in range(2):
        uploaded = await ok(
            await records_http.put(
                content,
                params={"filename": "Fair brochure 2026 v2.pdf"},
                content=document,
                headers=replacing,
            )
        )
    assert uploaded["sha256"] == hashlib.sha256(document).hexdigest()
    assert (await records_http.get(content, headers=archive.archivist)).content == document
    assert await _stored_bytes(conn, first_id) == 0

    bound = await number_and_bind(records_http, archive, record_id)
    replaced = await records_http.put(
        content,
        params={"filename": "v2.pdf"},
        content=b"%PDF-1.7\nother",
        headers={**archive.archivist, "Content-Type": PDF},
    )
    assert replaced.status_code == 409
    shown = await record_at(records_http, record_id, bound["version"], archive.auditor)
    assert shown["uploaded"]["sha256"] == uploaded["sha256"]

    closed = await ok(
        await records_http.post(
            f"/files/{file_id}/close", json={"reason": "Campaign over"}, headers=archive.archivist
        )
    )
    listing = {"record_ids": [record_id], "reason": "Campaign material of no further value"}
    early = await records_http.post("/destruction-lists", json=listing, headers=archive.archivist)
    assert early.status_code == 422, early.text

    clock = clocks("records")
    try:
        content_id = await conn.fetchval(
            "SELECT content_id FROM records.records WHERE id = $1", record_id
        )
        assert await _stored_bytes(conn, content_id) == len(document)
        clock.set(datetime.now(UTC) + timedelta(days=3 * 366 + 2))

        async def due() -> list[Any]:
            page = await ok(
                await records_http.get(
                    "/records-due-for-destruction",
                    params={
                        "file_id": file_id,
                        "wait_for": file_id,
                        "min_version": closed["version"],
                    },
                    headers=archive.archivist,
                )
            )
            return list(page["items"])

        [listed] = await eventually(due)
        assert listed["id"] == record_id
        # Walked one record at a time by cursor: the same records as one page by offset.
        one_page = await ok(
            await records_http.get(
                "/records-due-for-destruction", params={"limit": 200}, headers=archive.archivist
            )
        )
        walked: list[str] = []
        cursor = None
        while True:
            page = await ok(
                await records_http.get(
                    "/records-due-for-destruction",
                    params={"limit": 1} | ({"cursor": cursor} if cursor else {}),
                    headers=archive.archivist,
                )
            )
            walked += [r["id"] for r in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert walked == [r["id"] for r in one_page["items"]]
        assert record_id in walked
        # A cursor of another list is refused on `cursor`.
        other = await records_http.get(
            "/records-due-for-destruction",
            params={"cursor": _cursor_of_another_list(record_id)},
            headers=archive.archivist,
        )
        assert other.status_code == 422, other.text
        assert problem_of(other)["errors"][0]["field"] == "query.cursor"
        # The periodic check put the file in the archivist's inbox.
        await eventually(
            lambda: inbox(records_http, archive.archivist, "retention_over", file_id),
            lambda items: any(i["record_id"] == file_id for i in items),
        )
        assert (
            await records_http.get("/records-due-for-destruction", headers=archive.member)
        ).status_code == 403

        held = await ok(
            await records_http.post(
                f"/records/{record_id}/legal-hold",
                json={"reason": "Audit 2029"},
                headers=archive.manager,
            )
        )
        on_hold = await records_http.post(
            "/destruction-lists", json=listing, headers=archive.archivist
        )
        assert on_hold.status_code == 409, on_hold.text
        await ok(
            await records_http.post(
                f"/records/{record_id}/legal-hold/release",
                json={"reason": "Audit closed"},
                headers=archive.archivist,
            )
        )
        proposed = await ok(
            await records_http.post("/destruction-lists", json=listing, headers=archive.archivist),
            201,
        )
        the_list = f"/destruction-lists/{proposed['id']}"
        carry_out = {"witness": archive.witness_id, "method": "deleted"}
        unapproved = await records_http.post(
            f"{the_list}/carry-out", json=carry_out, headers=archive.archivist
        )
        assert unapproved.status_code == 409
        await ok(await records_http.post(f"{the_list}/approve", headers=archive.manager))
        destroyed = await ok(
            await records_http.post(
                f"{the_list}/carry-out", json=carry_out, headers=archive.archivist
            )
        )
    finally:
        clock.reset()

    try:
        assert await _stored_bytes(conn, content_id) == 0
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM records.contents WHERE content_id = $1", content_id
            )
            == 0
        )
    finally:
        await conn.close()
    assert (await records_http.get(content, headers=archive.archivist)).status_code == 409
    [kept] = (
        await ok(
            await records_http.get(
                "/destructions",
                params={
                    "list_id": proposed["id"],
                    "wait_for": record_id,
                    "min_version": held["version"] + 2,
                },
                headers=archive.auditor,
            )
        )
    )["items"]
    assert kept["id"] == record_id
    assert kept["number"] == bound["number"]
    assert kept["witness"] == archive.witness_id
    assert kept["approved_by"] == archive.manager_id
    assert kept["destroyed_by"] == archive.archivist_id
    assert kept["method"] == "deleted"
    assert kept["sha256"] == uploaded["sha256"]
    gone = await record_at(records_http, record_id, held["version"] + 2, archive.auditor)
    assert gone["state"] == "destroyed"
    assert gone["uploaded"] is None
    assert destroyed["id"] == proposed["id"]


async def _stored_bytes(conn: asyncpg.Connection, content_id: Any) -> int:
    return int(
        await conn.fetchval(
            "SELECT coalesce(sum(length(data)), 0) FROM records.content_chunks "
            "WHERE content_id = $1",
            content_id,
        )
    )


def _cursor_of_another_list(record_id: str) -> str:
    return encode_cursor("files", "retention_ends_on", date(2030, 1, 1), UUID(record_id))
