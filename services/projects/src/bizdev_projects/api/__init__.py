"""HTTP API of the projects service: typed routes that translate to commands and queries, one
module per part of a REGULATIONS section.

Commands answer with the record's id and new version; send that version back in `If-Match`
to refuse a stale write (409), and as `min_version` to a query to read your own write.

`GET /inbox` lists what waits on the caller: applications to review or decide, plan
revisions to review, deviations to acknowledge, action items to do."""

from __future__ import annotations

from bizdev_common.commands import CommandRoute
from bizdev_common.inbox import inbox_router
from fastapi import APIRouter

from bizdev_projects.api import (
    applications,
    communication,
    dashboard,
    execution,
    leads,
    planning,
    projects,
    team,
)
from bizdev_projects.projections import INBOX_KINDS

router = APIRouter(route_class=CommandRoute)
for section in (leads, applications, projects, planning, team, execution, communication, dashboard):
    router.include_router(section.router)
# Read-your-writes on the inbox waits on the view of the record a command changed.
router.include_router(
    inbox_router(
        INBOX_KINDS, records=["applications", "plans", "deviations", "meetings", "projects"]
    )
)

__all__ = ["router"]
