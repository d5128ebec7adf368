"""What risk does on other services' events (the key risk indicators) and on deadlines.

It reads the crm, finance and projects topics as a tolerant reader: its own model of just the
events and the fields it uses, named like the upstream events (contracts/<service>/)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from bizdev_common.contract import PublicEvent
from bizdev_common.envelope import Envelope
from bizdev_common.eventstore import ServiceApplication
from bizdev_common.reactions import Reaction
from bizdev_common.scheduler import DeadlineCheck
from eventsourcing.domain import Aggregate

from bizdev_risk.application import RiskApplication
from bizdev_risk.domain import (
    COMPANY,
    Alert,
    Crossing,
    IdentificationRound,
    Indicator,
    Kri,
    Risk,
    RiskState,
    Scope,
    Subject,
)
from bizdev_risk.upstream import (
    CRM,
    FINANCE,
    PROJECTS,
    BudgetLineOverrun,
    ComplaintEscalated,
    ComplaintReceived,
    CustomerRegistered,
    DeviationReported,
    FollowUpOverdue,
    MilestoneOverdue,
    ProjectOpened,
    ReceivableOverdue,
)

# --- what risk reads of crm ------------------------------------------------------------------


# --- of finance ------------------------------------------------------------------------------


# --- of projects -----------------------------------------------------------------------------


SERVICE_OF: dict[type[PublicEvent], str] = {
    **{m: "crm" for m in (ComplaintReceived, ComplaintEscalated, FollowUpOverdue)},
    **{m: "finance" for m in (ReceivableOverdue, BudgetLineOverrun)},
    **{m: "projects" for m in (MilestoneOverdue, DeviationReported)},
}


def scope_of(indicator: Indicator, event: PublicEvent) -> UUID | None:
    """Whom the upstream event counts against for this indicator."""
    match indicator.scope:
        case Scope.COMPANY:
            return COMPANY
        case Scope.CUSTOMER:
            if isinstance(event, FollowUpOverdue):
                return event.aggregate_id
            found = getattr(event, "customer_id", None)
        case Scope.PROJECT:
            if isinstance(event, MilestoneOverdue):
                return event.aggregate_id
            found = getattr(event, "project_id", None)
    return found if isinstance(found, UUID) else None


class KriReaction(Reaction):
    """Counts crm's complaints, escalations and missed follow-ups, finance's overdue
    receivables and budget overruns, and projects' overdue milestones and deviations into
    their indicators; a crossing raises its alert and raises or links a risk. Notes which
    department each customer and project belongs to, for the risks it raises."""

    name = "kris"
    upstream = (CRM, FINANCE, PROJECTS)

    def react(
        self, app: ServiceApplication, event: PublicEvent, envelope: Envelope
    ) -> Sequence[Aggregate]:
        assert isinstance(app, RiskApplication)
        if isinstance(event, CustomerRegistered | ProjectOpened):
            subject = app.find(Subject, Subject.create_id(event.aggregate_id))
            if subject is None:
                return (Subject(scope_id=event.aggregate_id, department=event.department),)
            subject.note_department(event.department)
            return (subject,)
        source = SERVICE_OF.get(type(event))
        if source is None:
            return ()
        key = f"{source}/{event.aggregate_id}/{event.version}"
        changed: list[Aggregate] = []
        # One copy of each record per event, whichever indicators reach it.
        loaded: dict[UUID, Aggregate] = {}
        # The definitions as they stand now: a revision applies to what is read after it.
        for indicator in app.indicators():
            if indicator.source != source or event.event_name not in indicator.events:
                continue
            scope_id = scope_of(indicator, event)
            if scope_id is None:
                continue
            kri = app.find(Kri, Kri.create_id(indicator.name, scope_id)) or Kri(
                indicator=indicator.name, scope=indicator.scope.value, scope_id=scope_id
            )
            changed.append(kri)
            crossings = kri.observe(indicator, key, event.occurred_at)
            if crossings:
                changed += _alerts(app, indicator, kri, crossings, event, loaded)
        return changed


def _alerts(
    app: RiskApplication,
    indicator: Indicator,
    kri: Kri,
    crossings: Sequence[Crossing],
    event: PublicEvent,
    loaded: dict[UUID, Aggregate],
) -> list[Aggregate]:
    """Each crossing's alert, linked to the subject's oldest open risk of the indicator's
    category, or to a risk it raises."""
    subject = loaded.get(Subject.create_id(kri.scope_id))
    if not isinstance(subject, Subject):
        subject = loaded[Subject.create_id(kri.scope_id)] = app.subject(kri.scope_id)
    named = getattr(event, "department", None)
    if isinstance(named, str):
        subject.note_department(named)
    changed: list[Aggregate] = [subject]
    for crossing in crossings:
        risk_id = subject.open_risk(indicator.category)
        risk = None if risk_id is None else loaded.get(risk_id) or app.find(Risk, risk_id)
        if isinstance(risk, Risk) and risk.state == RiskState.OPEN:
            loaded[risk.id] = risk
            risk.link_alert(crossing.alert_id, indicator.name, crossing.value, crossing.band.value)
        else:
            risk = Risk.from_alert(
                crossing.alert_id,
                category=indicator.category,
                scope=indicator.scope,
                scope_id=None if indicator.scope == Scope.COMPANY else kri.scope_id,
                department=named if isinstance(named, str) else subject.department,
                title=f"{indicator.title}: {crossing.band.value} threshold crossed"[:200],
                description=(
                    f"{indicator.title} reached {crossing.value} within "
                    f"{indicator.window_days} days (the {crossing.band.value} threshold is "
                    f"{indicator.threshold(crossing.band)})."
                ),
            )
            subject.risk_opened(risk.id, indicator.category)
            loaded[risk.id] = risk
        changed += [risk, Alert.raise_for(kri, indicator, crossing, risk.id)]
    return changed


KRI_WINDOW = "kri_window"
"""Deadline kind, armed by the views: the oldest event a KRI counts falls out of its window."""
MEASURE_DUE = "measure_due"
"""A measure's due date is over (item: the measure id)."""
REVIEW_DUE = "review_due"
"""A measure's next review is due (item: the measure id)."""
IDENTIFICATION_DUE = "identification_due"
"""A round's due date is over for a department (item: the department)."""


class KriWindowCheck(DeadlineCheck[RiskApplication]):
    """A value falls as its events leave the window, though no new event comes."""

    kind = KRI_WINDOW

    def fire(self, app: RiskApplication, aggregate_id: UUID, item: str, now: datetime) -> None:
        app.expire_kri(aggregate_id, now)


class MeasureDueCheck(DeadlineCheck[RiskApplication]):
    """A measure not completed by its due date is flagged overdue, once."""

    kind = MEASURE_DUE

    def fire(self, app: RiskApplication, aggregate_id: UUID, item: str, now: datetime) -> None:
        app.act(Risk, aggregate_id, None, lambda risk: risk.measure_overdue(UUID(item), now))


class ReviewDueCheck(DeadlineCheck[RiskApplication]):
    """A measure's review not held by its due time is flagged, once per due time."""

    kind = REVIEW_DUE

    def fire(self, app: RiskApplication, aggregate_id: UUID, item: str, now: datetime) -> None:
        app.act(Risk, aggregate_id, None, lambda risk: risk.review_overdue(UUID(item), now))


class IdentificationDueCheck(DeadlineCheck[RiskApplication]):
    """A department that has not submitted by the round's due date is flagged, once."""

    kind = IDENTIFICATION_DUE

    def fire(self, app: RiskApplication, aggregate_id: UUID, item: str, now: datetime) -> None:
        app.act(
            IdentificationRound,
            aggregate_id,
            None,
            lambda identification: identification.overdue(item, now),
        )
