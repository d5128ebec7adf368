"""Read models of the performance service, a projection per record family, each with its own
tables, so a changed table rebuilds only its own family.

From its own topic: `organisation` (people, departments), `indicators` (indicators, targets,
market shares), `cycles`, `evaluations` (numbers only), `incentives` (each person's file and
its decisions) and `rewards` (lead rewards). From the other services' topics: `actuals`, the
facts indicators are measured from (crm, finance), and `teams`, projects' departments and
teams (projects).

Every write is guarded by the record's version or keyed by the upstream event, so an event
applied twice changes nothing. The families that make something wait on someone keep its
inbox items (bizdev_common.inbox) and deadlines in the same transaction. The inbox is one
table several families write, each its own records' items, so, like the deadlines, no family
declares it among its tables: rebuilding one family must not drop the others' items."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bizdev_common.projector import Projection

from bizdev_performance.projections.actuals import ActualsView
from bizdev_performance.projections.cycles import CyclesView
from bizdev_performance.projections.evaluations import EvaluationsView
from bizdev_performance.projections.incentives import IncentivesView
from bizdev_performance.projections.indicators import IndicatorsView
from bizdev_performance.projections.organisation import OrganisationView
from bizdev_performance.projections.rewards import RewardsView
from bizdev_performance.projections.teams import TeamsView

PROJECTIONS: Sequence[Callable[[str], Projection]] = (
    OrganisationView,
    IndicatorsView,
    CyclesView,
    EvaluationsView,
    IncentivesView,
    RewardsView,
    ActualsView,
    TeamsView,
)
"""The performance read models, for the service's wiring."""

INBOX_KINDS = [
    "rating_to_give",
    "cycle_to_finalize",
    "feedback_to_deliver",
    "feedback_to_acknowledge",
    "step_overdue",
    "lead_reward_to_approve",
]
"""What waits on someone in performance (GET /inbox `kind`)."""

__all__ = ["INBOX_KINDS", "PROJECTIONS"]
