"""HTTP API of the records service: typed routes that translate to commands and queries, one
module per part of REGULATIONS §9.

Commands answer with the record's id and new version; send that version back in `If-Match`
to refuse a stale write (409), and as `min_version` to a query to read your own write.

`GET /inbox` lists what waits on the caller: records to review, number and bind, files whose
retention is over, loans to lend and overdue (the archivist); records returned to them to
correct and file again (the filer); loans to approve (the borrower's department head, or the
archivist); overdue loans (the borrower); destruction lists to approve (management)."""

from __future__ import annotations

from bizdev_common.commands import CommandRoute
from bizdev_common.inbox import inbox_router
from fastapi import APIRouter

from bizdev_records.api import archiving, borrowing, content, destruction, files
from bizdev_records.projections import INBOX_KINDS

router = APIRouter(route_class=CommandRoute)
for section in (files, content, archiving, borrowing, destruction):
    router.include_router(section.router)
router.include_router(inbox_router(INBOX_KINDS, records=["records", "files", "destruction_lists"]))

__all__ = ["router"]
