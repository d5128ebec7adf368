"""HTTP API of the finance service: typed routes that translate to commands and queries, one
module per part of REGULATIONS §7.

Commands answer with the budget's id and new version; send that version back in `If-Match`
to refuse a stale write (409), and as `min_version` to a query to read your own write.

`GET /inbox` lists what waits on the caller: budgets to approve (finance), spending held
beyond the budget (management)."""

from __future__ import annotations

from bizdev_common.commands import CommandRoute
from bizdev_common.inbox import inbox_router
from fastapi import APIRouter

from bizdev_finance.api import budgets, periods, receivables, spending
from bizdev_finance.projections import INBOX_KINDS

router = APIRouter(route_class=CommandRoute)
for section in (budgets, spending, receivables, periods):
    router.include_router(section.router)
router.include_router(inbox_router(INBOX_KINDS, records=["budgets"]))

__all__ = ["router"]
