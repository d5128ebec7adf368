"""HTTP API of the crm service: typed routes that translate to commands and queries, one
module per record of REGULATIONS §4.

Commands answer with the record's id and new version; send that version back in `If-Match`
to refuse a stale write (409), and as `min_version` to a query to read your own write.

Contact persons' names, phones and e-mails are shown only by the customer's 360° view, opened
from the event store with the customer's key at read time, in the clear to who needs to know
and masked to everyone else (`personal_data_masked`); once the customer's personal data is
erased they read as null with `erased: true`. Histories show sealed values as sealed."""

from __future__ import annotations

from fastapi import APIRouter

from bizdev_crm.api import complaints, customer_events, customers, follow_ups

router = APIRouter()
for section in (customers, follow_ups, customer_events, complaints):
    router.include_router(section.router)

__all__ = ["router"]
