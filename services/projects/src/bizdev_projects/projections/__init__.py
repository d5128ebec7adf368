"""Read models of the projects service, one projection per record family, each rebuilt
alone when its tables change: the lists and detail pages frontends query. Each row keeps the
version of its record, for read-your-writes, and an event writes a record's rows (its own,
its children's, its deadlines, its inbox items) only when it is newer than that row: a
redelivered or older event changes nothing (bizdev_common.projector).

The inbox and the deadlines are the service's, not one family's: each family writes the
items and deadlines of its own records into them, so none declares them among its tables
(a rebuild of one family must not drop the others' rows)."""

from __future__ import annotations

from bizdev_common import inbox

from bizdev_projects.projections.applications import (
    APPLICATION_DECISION,
    APPLICATION_REVIEW,
    Applications,
)
from bizdev_projects.projections.contacts import Contacts
from bizdev_projects.projections.deviations import DEVIATION_ACKNOWLEDGEMENT, Deviations
from bizdev_projects.projections.leads import Leads
from bizdev_projects.projections.market_insights import MarketInsights
from bizdev_projects.projections.meetings import ACTION_ITEM, Meetings
from bizdev_projects.projections.plans import PENDING, PLAN_REVIEW, Plans
from bizdev_projects.projections.projects import Projects

PROJECTIONS = (Applications, Leads, MarketInsights, Projects, Plans, Deviations, Meetings, Contacts)

TABLES = (*(t for p in PROJECTIONS for t in p.tables), inbox.TABLE, "deadlines")
"""Every table the projections write, the shared ones included."""

INBOX_KINDS = [
    APPLICATION_REVIEW,
    APPLICATION_DECISION,
    PLAN_REVIEW,
    DEVIATION_ACKNOWLEDGEMENT,
    ACTION_ITEM,
]
"""What waits on someone in the projects service (GET /inbox): an application to review (its
department's head, or management when the applicant is that head) or to decide (management),
a plan revision to review (the head of each department it names), a deviation to acknowledge
(management, to whom it is escalated as reported), an action item to do (its owner, by the
end of its due date)."""

__all__ = ["INBOX_KINDS", "PENDING", "PROJECTIONS", "TABLES"]
