"""Project initiation (REGULATIONS §2): market insights, leads, initiation applications and
the projects their approval opens; planning and execution (§3): the business plan and its
reviews, the team, milestones, health, deviation reports and closing; communication (§6):
meetings with their action items, and contacts with outside parties. One module per record
(aggregate); `values` holds the states and kinds more than one of them, or the API and the
views, speak of.

Every rule is checked in a public command method before its event is triggered; the private
methods decorated with `@event` only apply an event, because they run again whenever an
aggregate is rebuilt from its history, and a rule changed later must not rewrite the past.
Checks run in the order the API reports them: who may act (403), then whether the record's
state allows it (409), then what the command says (422). Every command first requires an
acting role (`require_acting`), so that a relation to a record (applicant, author, owner)
never lets an auditor write.
"""

from __future__ import annotations

from bizdev_common.stored_topics import keep_old_topics

from bizdev_projects.domain.business_plan import (
    BudgetLine,
    BusinessPlan,
    PlanContent,
    PlannedMilestone,
    budget_totals,
)
from bizdev_projects.domain.deviation_report import DeviationReport
from bizdev_projects.domain.external_contact import ExternalContact
from bizdev_projects.domain.known_customer import KnownCustomer
from bizdev_projects.domain.lead import Lead
from bizdev_projects.domain.market_insight import MARKET_DEPARTMENT, MarketInsight
from bizdev_projects.domain.meeting import (
    ACTION_ITEM_OVERDUE,
    ActionItem,
    Meeting,
    PlannedActionItem,
)
from bizdev_projects.domain.milestone import MILESTONE_OVERDUE, Milestone, milestone_due_at
from bizdev_projects.domain.project import Project
from bizdev_projects.domain.project_application import Assessment, ProjectApplication
from bizdev_projects.domain.values import (
    ApplicationState,
    BudgetCategory,
    DeviationState,
    HealthStatus,
    InsightKind,
    LeadState,
    MeetingKind,
    MeetingState,
    PartyKind,
    PlanState,
    ProjectOutcome,
    ProjectState,
    ReviewedAs,
    Verdict,
)

STORED_BEFORE_THE_SPLIT = keep_old_topics(
    "bizdev_projects.domain",
    MarketInsight,
    Lead,
    ProjectApplication,
    Project,
    BusinessPlan,
    DeviationReport,
    Meeting,
    ExternalContact,
)
"""Until issue 8 every record lived in the module `bizdev_projects.domain`: the events stored
then name their classes there."""

__all__ = [
    "ACTION_ITEM_OVERDUE",
    "MARKET_DEPARTMENT",
    "MILESTONE_OVERDUE",
    "ActionItem",
    "ApplicationState",
    "Assessment",
    "BudgetCategory",
    "BudgetLine",
    "BusinessPlan",
    "DeviationReport",
    "DeviationState",
    "ExternalContact",
    "HealthStatus",
    "InsightKind",
    "KnownCustomer",
    "Lead",
    "LeadState",
    "MarketInsight",
    "Meeting",
    "MeetingKind",
    "MeetingState",
    "Milestone",
    "PartyKind",
    "PlanContent",
    "PlanState",
    "PlannedActionItem",
    "PlannedMilestone",
    "Project",
    "ProjectApplication",
    "ProjectOutcome",
    "ProjectState",
    "ReviewedAs",
    "Verdict",
    "budget_totals",
    "milestone_due_at",
]
