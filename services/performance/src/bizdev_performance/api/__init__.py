"""HTTP API of the performance service: typed routes that translate to commands and queries,
one module per part of REGULATIONS §8 (and the organisation they rest on).

Commands answer with the record's id and new version; send that version back in `If-Match`
to refuse a stale write (409), and as `min_version` to a query to read your own write.

`GET /inbox` lists what waits on the caller: ratings to give (the raters), cycles to finalize
(hr), feedback to deliver (the supervisor) and to acknowledge (the person), steps overdue and
lead rewards held for approval (hr)."""

from __future__ import annotations

from bizdev_common.commands import CommandRoute
from bizdev_common.inbox import inbox_router
from fastapi import APIRouter

from bizdev_performance.api import cycles, evaluations, incentives, indicators, organisation
from bizdev_performance.projections import INBOX_KINDS

router = APIRouter(route_class=CommandRoute)
for section in (organisation, indicators, cycles, evaluations, incentives):
    router.include_router(section.router)
router.include_router(inbox_router(INBOX_KINDS, records=["evaluations", "cycles", "lead_rewards"]))

__all__ = ["router"]
