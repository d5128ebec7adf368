"""Read models of the crm service, fed by its own topic: one projection per record family
(customers, follow-ups, customer events, complaints, contracts), each with its own tables,
so a changed table rebuilds only its own family. Each record's row keeps its version, for
read-your-writes; rows of a record's parts (proposals, dealings, invitations, corrective
actions) move their record's version too, and are written only when the event is newer than
that record's row: a redelivered or older event changes nothing (bizdev_common.projector).

No personal data is here: contact persons appear by id only, since the topic carries no
more; queries that show them open the sealed values from the event store (api/).

The families also arm the deadlines of their records in the same transaction
(bizdev_common.scheduler): each complaint's response and resolution deadlines, re-armed for
the next escalation level and disarmed when met; each corrective action's due date; each
customer's next visit. And they keep the inbox items of their records
(bizdev_common.inbox): what waits on whom, from the same events. The inbox is one table that
several families write, each its own records' items, so, like the deadlines, no family
declares it among its tables: rebuilding one family must not drop the items of the others."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bizdev_common.projector import Projection

from bizdev_crm.projections.complaints import ComplaintsView
from bizdev_crm.projections.contracts import ContractsView
from bizdev_crm.projections.customer_events import CustomerEventsView
from bizdev_crm.projections.customers import CustomersView
from bizdev_crm.projections.follow_ups import FollowUpsView

PROJECTIONS: Sequence[Callable[[str], Projection]] = (
    CustomersView,
    FollowUpsView,
    CustomerEventsView,
    ComplaintsView,
    ContractsView,
)
"""The crm read models, for the service's wiring."""

INBOX_KINDS = [
    "complaint_to_assign",
    "complaint_to_answer",
    "complaint_to_resolve",
    "complaint_to_close",
    "complaint_escalated",
    "corrective_action_due",
    "follow_up_visit_due",
    "customer_visit_overdue",
    "contract_to_sign",
]
"""What waits on someone in crm (GET /inbox `kind`)."""

__all__ = ["INBOX_KINDS", "PROJECTIONS"]
