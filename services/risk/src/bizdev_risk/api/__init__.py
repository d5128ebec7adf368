"""HTTP API of the risk service: typed routes that translate to commands and queries, one
module per part of REGULATIONS §5.

Commands answer with the record's id and new version; send that version back in `If-Match`
to refuse a stale write (409), and as `min_version` to a query to read your own write.

`GET /inbox` lists what waits on the caller: alerts to acknowledge (risk officer),
acceptances to sign off (management), measures due (their person), reviews due and
identification submissions due (department heads)."""

from __future__ import annotations

from bizdev_common.commands import CommandRoute
from bizdev_common.inbox import inbox_router
from fastapi import APIRouter

from bizdev_risk.api import identification, measures, meetings, monitoring, register
from bizdev_risk.projections import INBOX_KINDS

router = APIRouter(route_class=CommandRoute)
for section in (register, measures, monitoring, identification, meetings):
    router.include_router(section.router)
router.include_router(inbox_router(INBOX_KINDS, records=["risks", "alerts", "rounds"]))

__all__ = ["router"]
