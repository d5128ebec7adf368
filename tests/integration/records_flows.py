"""Steps of the records paths over HTTP (REGULATIONS §9), shared by the records tests."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from .conftest import auth, eventually, unique
from .flows import ok

RECORDS_TOPIC = "bizdev.records.events.v1"


class Archive:
    """The people around one test's records: two archivists (one witnesses the other),
    management, an auditor, and a department with a member and its head."""

    def __init__(self) -> None:
        self.archivist_id = unique("archivist")
        self.archivist = auth(self.archivist_id, "archives", "employee", "archivist")
        self.witness_id = unique("witness")
        self.manager_id = unique("manager")
        self.manager = auth(self.manager_id, "management", "employee", "management")
        self.auditor = auth(unique("auditor"), "audit", "auditor")
        self.department = unique("market")
        self.member_id = unique("member")
        self.member = auth(self.member_id, self.department, "employee")
        self.head_id = unique("head")
        self.head = auth(self.head_id, self.department, "employee", "department_head")
        self.outsider = auth(unique("outsider"), unique("other"), "employee")


async def marketing_file(http: httpx.AsyncClient, archive: Archive) -> str:
    opened = await ok(
        await http.post(
            "/files",
            json={"subject_id": str(uuid.uuid4()), "title": unique("Spring campaign")},
            headers=archive.member,
        ),
        201,
    )
    return str(opened["id"])


async def physical_record(http: httpx.AsyncClient, archive: Archive, file_id: str) -> str:
    filed = await ok(
        await http.post(
            "/records",
            json={"file_id": file_id, "title": unique("Trade show brochure"), "medium": "physical"},
            headers=archive.member,
        ),
        201,
    )
    await ok(
        await http.post(
            f"/records/{filed['id']}/location",
            json={"room": "B1", "shelf": "3", "box": "17"},
            headers=archive.member,
        )
    )
    return str(filed["id"])


async def number_and_bind(
    http: httpx.AsyncClient, archive: Archive, record_id: str, series: str = "material"
) -> dict[str, Any]:
    numbered = await ok(
        await http.post(
            f"/records/{record_id}/number", json={"series": series}, headers=archive.archivist
        )
    )
    bound = await ok(await http.post(f"/records/{record_id}/bind", headers=archive.archivist))
    return {**numbered, "version": bound["version"]}


async def record_at(
    http: httpx.AsyncClient, record_id: str, version: int, headers: dict[str, str]
) -> dict[str, Any]:
    return await ok(
        await http.get(f"/records/{record_id}", params={"min_version": version}, headers=headers)
    )


async def inbox(
    http: httpx.AsyncClient, headers: dict[str, str], kind: str, record_id: str
) -> list[Any]:
    """The items of one record: the archivist's inbox holds every test's, more than a page."""
    params = {"kind": kind, "record_id": record_id, "limit": 200}
    page = await ok(await http.get("/inbox", params=params, headers=headers))
    return list(page["items"])


async def file_of(
    http: httpx.AsyncClient, headers: dict[str, str], subject_id: str
) -> dict[str, Any]:
    async def found() -> list[Any]:
        page = await ok(
            await http.get("/files", params={"subject_id": subject_id}, headers=headers)
        )
        return list(page["items"])

    [file] = await eventually(found, within=60)
    detail = await ok(await http.get(f"/files/{file['id']}", headers=headers))
    return detail
