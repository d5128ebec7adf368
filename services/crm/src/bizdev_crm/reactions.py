"""What crm does on its own: it reacts to other services' events, and to deadlines passing.

crm reads the projects service's topic as a tolerant reader: its own model of just the event
and fields it uses, named like the upstream event, so it depends on the published JSON and
not on the projects service's code."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from bizdev_common.contract import PublicEvent
from bizdev_common.domain import NotFound
from bizdev_common.envelope import Envelope
from bizdev_common.eventstore import ServiceApplication
from bizdev_common.reactions import Reaction
from bizdev_common.scheduler import DeadlineCheck
from eventsourcing.domain import Aggregate

from bizdev_crm.application import CrmApplication
from bizdev_crm.domain import Complaint, Customer, Deadline
from bizdev_crm.upstream import (
    PROJECTS,
    ProjectOpened,
)

log = logging.getLogger(__name__)

COMPLAINT_RESPONSE = "complaint_response"
"""Deadline kinds, armed by the views (projections/): a complaint's answer is due (or its
next escalation), """
COMPLAINT_RESOLUTION = "complaint_resolution"
"""a complaint's resolution is due (or its next escalation), """
CORRECTIVE_ACTION = "corrective_action"
"""a corrective action is due (item: the action's id), """
CUSTOMER_VISIT = "customer_visit"
"""a customer's next follow-up visit is due."""


class DealingsReaction(Reaction):
    """A project opened for a customer joins that customer's dealings."""

    name = "dealings"
    upstream = (PROJECTS,)

    def react(
        self, app: ServiceApplication, event: PublicEvent, envelope: Envelope
    ) -> Sequence[Aggregate]:
        if not isinstance(event, ProjectOpened) or event.customer_id is None:
            return ()
        try:
            customer = app.load(Customer, event.customer_id)
        except NotFound:
            # A customer id crm never issued (a typo upstream): nothing of crm's to change.
            log.warning(
                "project %s names unknown customer %s", event.aggregate_id, event.customer_id
            )
            return ()
        if event.aggregate_id in customer.dealings:
            return ()
        customer.record_dealing(
            by=event.by or envelope.source,
            project_id=event.aggregate_id,
            project_name=event.name,
            department=event.department,
            application_id=event.application_id,
        )
        return (customer,)


class ComplaintResponseDeadline(DeadlineCheck[CrmApplication]):
    """A complaint unanswered when its response deadline passes is escalated, once per
    level."""

    kind = COMPLAINT_RESPONSE

    def fire(self, app: CrmApplication, aggregate_id: UUID, item: str, now: datetime) -> None:
        app.escalate_complaint(aggregate_id, now, Deadline.RESPONSE)


class ComplaintResolutionDeadline(DeadlineCheck[CrmApplication]):
    """A complaint unresolved when its resolution deadline passes is escalated, once per
    level."""

    kind = COMPLAINT_RESOLUTION

    def fire(self, app: CrmApplication, aggregate_id: UUID, item: str, now: datetime) -> None:
        app.escalate_complaint(aggregate_id, now, Deadline.RESOLUTION)


class CorrectiveActionDeadline(DeadlineCheck[CrmApplication]):
    """A corrective action not done by its due date is reported overdue, once."""

    kind = CORRECTIVE_ACTION

    def fire(self, app: CrmApplication, aggregate_id: UUID, item: str, now: datetime) -> None:
        app.act(
            Complaint,
            aggregate_id,
            None,
            lambda complaint: complaint.corrective_action_overdue(UUID(item), now),
        )


class CustomerVisitDeadline(DeadlineCheck[CrmApplication]):
    """A customer not visited within its status's cycle is reported overdue, once per
    missed cycle."""

    kind = CUSTOMER_VISIT

    def fire(self, app: CrmApplication, aggregate_id: UUID, item: str, now: datetime) -> None:
        app.follow_up_overdue(aggregate_id, now)


DEADLINE_CHECKS = (
    ComplaintResponseDeadline(),
    ComplaintResolutionDeadline(),
    CorrectiveActionDeadline(),
    CustomerVisitDeadline(),
)
