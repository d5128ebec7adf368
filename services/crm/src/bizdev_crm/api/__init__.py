"""HTTP API of the crm service: typed routes that translate to commands and queries, one
module per record of REGULATIONS §4.

Commands answer with the record's id and new version; send that version back in `If-Match`
to refuse a stale write (409), and as `min_version` to a query to read your own write.

Contact persons' names, phones and e-mails are shown only by the customer's 360° view, opened
from the event store with the customer's key at read time, in the clear to who needs to know
and masked to everyone else (`personal_data_masked`); once the customer's personal data is
erased they read as null with `erased: true`. Histories show sealed values as sealed.

`GET /inbox` lists what waits on the caller: complaints to assign, answer, resolve or close,
escalations, corrective actions and follow-up visits due, customers overdue a visit,
contracts to sign."""

from __future__ import annotations

from bizdev_common.commands import CommandRoute
from bizdev_common.inbox import inbox_router
from fastapi import APIRouter

from bizdev_crm.api import (
    complaints,
    contracts,
    corrective_actions,
    customer_events,
    customers,
    follow_ups,
)
from bizdev_crm.projections import INBOX_KINDS

router = APIRouter(route_class=CommandRoute)
for section in (customers, contracts, follow_ups, customer_events, complaints, corrective_actions):
    router.include_router(section.router)
router.include_router(
    inbox_router(INBOX_KINDS, records=["complaints", "customers", "follow_ups", "contracts"])
)

__all__ = ["router"]
