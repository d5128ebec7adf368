"""HTTP API of the projects service: typed routes that translate to commands and queries, one
module per REGULATIONS section.

Commands answer with the record's id and new version; send that version back in `If-Match`
to refuse a stale write (409), and as `min_version` to a query to read your own write."""

from __future__ import annotations

from fastapi import APIRouter

from bizdev_projects.api import communication, dashboard, execution, initiation, planning, team

router = APIRouter()
for section in (initiation, planning, team, execution, communication, dashboard):
    router.include_router(section.router)

__all__ = ["router"]
