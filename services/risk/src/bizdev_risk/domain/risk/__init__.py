"""A risk in the register (REGULATIONS §5): identified against a project, a customer or the
company (5.1), assessed on the matrix before and after its response (inherent and residual),
answered with one strategy and its measures (5.2), each measure reviewed on a cadence set by
the risk's level."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from bizdev_common.days import decided_in_utc
from bizdev_common.domain import (
    Actor,
    Forbidden,
    InvalidTransition,
    Role,
    RuleViolation,
    require_acting,
    require_not_self,
    require_role,
    require_text,
)
from eventsourcing.domain import Aggregate, event

from bizdev_risk.domain.matrix import Level, Matrix
from bizdev_risk.domain.risk.measures import Measures
from bizdev_risk.domain.values import (
    COMPANY,
    Assessment,
    Category,
    Measure,
    ResponseState,
    RiskState,
    Scenario,
    Scope,
    Strategy,
    require_risk_officer,
    require_scope,
)

_RISKS = uuid5(NAMESPACE_URL, "urn:bizdev:risk:risk")


class Risk(Measures, Aggregate):
    """One risk. Its level is the residual assessment's once there is one, else the
    inherent's: what the response is judged by."""

    @staticmethod
    def create_id(alert_id: UUID | None) -> UUID:
        """A risk raised by a KRI's alert is named by the alert, so that a replay raises the
        same one; one identified by a person is new."""
        return uuid4() if alert_id is None else uuid5(_RISKS, str(alert_id))

    class Raised(Aggregate.Created):
        by: str | None
        category: str
        scope: str
        project_id: UUID | None
        customer_id: UUID | None
        department: str | None
        title: str
        description: str
        cause: str
        alert_id: UUID | None

    @classmethod
    def identify(
        cls,
        actor: Actor,
        *,
        category: Category,
        scope: Scope,
        project_id: UUID | None,
        customer_id: UUID | None,
        department: str,
        title: str,
        description: str,
        cause: str,
    ) -> Risk:
        """The risk officer, management, or a department head for their own department,
        identifies a risk (5.1). It names the project or customer it is against, or neither
        for the company."""
        require_acting(actor)
        if not (
            actor.has(Role.RISK_OFFICER)
            or actor.has(Role.MANAGEMENT)
            or actor.is_head_of(department)
        ):
            raise Forbidden(
                "a risk is identified by the risk officer, management or the head of its department"
            )
        for name, text in (("title", title), ("description", description), ("cause", cause)):
            require_text(name, text)
        require_scope(scope, project_id, customer_id)
        return cls(
            by=actor.user_id,
            category=category.value,
            scope=scope.value,
            project_id=project_id,
            customer_id=customer_id,
            department=department,
            title=title,
            description=description,
            cause=cause,
            alert_id=None,
        )

    @classmethod
    def from_alert(
        cls,
        alert_id: UUID,
        *,
        category: Category,
        scope: Scope,
        scope_id: UUID | None,
        department: str | None,
        title: str,
        description: str,
    ) -> Risk:
        """A KRI's alert with no open risk of its own raises one, for the risk officer to
        assess; by the system (`by` is null)."""
        return cls(
            by=None,
            category=category.value,
            scope=scope.value,
            project_id=scope_id if scope == Scope.PROJECT else None,
            customer_id=scope_id if scope == Scope.CUSTOMER else None,
            department=department,
            title=title,
            description=description,
            cause="A key risk indicator crossed its threshold",
            alert_id=alert_id,
        )

    @event(Raised)
    def __init__(
        self,
        by: str | None,
        category: str,
        scope: str,
        project_id: UUID | None,
        customer_id: UUID | None,
        department: str | None,
        title: str,
        description: str,
        cause: str,
        alert_id: UUID | None,
    ) -> None:
        self.raised_by = by
        self.category = Category(category)
        self.scope = Scope(scope)
        self.project_id = project_id
        self.customer_id = customer_id
        self.department = department
        self.title = title
        self.state = RiskState.OPEN
        self.assessments: dict[Assessment, dict[str, Any]] = {}
        self.strategy: Strategy | None = None
        self.proposed_by: str | None = None
        self.signed_off_by: str | None = None
        self.measures: dict[UUID, Measure] = {}
        self.alerts: list[UUID] = [alert_id] if alert_id else []

    @property
    def subject_id(self) -> UUID:
        """The customer, the project, or the company it is against."""
        return self.project_id or self.customer_id or COMPANY

    @property
    def level(self) -> Level | None:
        found = self.assessments.get(Assessment.RESIDUAL) or self.assessments.get(
            Assessment.INHERENT
        )
        return None if found is None else Level(found["level"])

    @property
    def response(self) -> ResponseState:
        if self.strategy is None:
            return ResponseState.NONE
        if self._needs_sign_off():
            return ResponseState.AWAITING_SIGN_OFF
        return ResponseState.IN_FORCE

    def _needs_sign_off(self) -> bool:
        level = self.level
        return (
            self.strategy == Strategy.ACCEPT
            and level is not None
            and level.rank >= Level.HIGH.rank
            and self.signed_off_by is None
        )

    def _require_open(self) -> None:
        if self.state != RiskState.OPEN:
            raise InvalidTransition("the risk is closed")

    # --- assessment ----------------------------------------------------------------------

    class Assessed(Aggregate.Event):
        by: str
        assessment: str
        likelihood: int
        impact: int
        score: int
        level: str
        scenarios: list[dict[str, Any]]
        note: str

    def assess(
        self,
        actor: Actor,
        *,
        assessment: Assessment,
        likelihood: int,
        impact: int,
        matrix: Matrix,
        scenarios: Sequence[Scenario],
        note: str,
    ) -> None:
        """The risk officer assesses the risk on the matrix, with scenario analyses; each
        reassessment is kept. A residual assessment follows an inherent one."""
        require_risk_officer(actor)
        self._require_open()
        if assessment == Assessment.RESIDUAL and Assessment.INHERENT not in self.assessments:
            raise RuleViolation("assessment", "assess the inherent risk before the residual")
        for n, s in enumerate(scenarios):
            require_text(f"scenarios.{n}.scenario", s.scenario)
            if s.impact.is_negative():
                raise RuleViolation(f"scenarios.{n}.impact", "an impact is not negative")
        score = matrix.score(likelihood, impact)
        self._assessed(
            by=actor.user_id,
            assessment=assessment.value,
            likelihood=likelihood,
            impact=impact,
            score=score,
            level=matrix.level(score).value,
            scenarios=[s.as_dict() for s in scenarios],
            note=note,
        )

    @event(Assessed)
    def _assessed(
        self,
        by: str,
        assessment: str,
        likelihood: int,
        impact: int,
        score: int,
        level: str,
        scenarios: list[dict[str, Any]],
        note: str,
    ) -> None:
        self.assessments[Assessment(assessment)] = {
            "likelihood": likelihood,
            "impact": impact,
            "score": score,
            "level": level,
        }

    # --- response ------------------------------------------------------------------------

    class ResponsePlanned(Aggregate.Event):
        by: str
        strategy: str
        reason: str
        level: str
        sign_off_required: bool

    class StrategyChanged(Aggregate.Event):
        by: str
        strategy: str
        previous: str
        reason: str
        level: str
        sign_off_required: bool

    def plan_response(self, actor: Actor, strategy: Strategy, reason: str) -> None:
        """The risk officer, or the head of the risk's department, chooses the strategy with
        a reason (5.2); the risk must be assessed first. Choosing another strategy later is a
        change of strategy, which needs its own reason and stays in the history. `accept` of
        a risk at level high or above is not in force until management signs it off."""
        require_acting(actor)
        self._require_responder(actor)
        self._require_open()
        require_text("reason", reason)
        level = self.level
        if level is None:
            raise InvalidTransition("assess the risk before planning its response")
        needs = strategy == Strategy.ACCEPT and level.rank >= Level.HIGH.rank
        if self.strategy is None:
            self._planned(
                by=actor.user_id,
                strategy=strategy.value,
                reason=reason,
                level=level.value,
                sign_off_required=needs,
            )
            return
        if strategy == self.strategy:
            raise InvalidTransition(f"the strategy is already {strategy.value}")
        self._changed(
            by=actor.user_id,
            strategy=strategy.value,
            previous=self.strategy.value,
            reason=reason,
            level=level.value,
            sign_off_required=needs,
        )

    def _require_responder(self, actor: Actor) -> None:
        if not (
            actor.has(Role.RISK_OFFICER)
            or (self.department is not None and actor.is_head_of(self.department))
        ):
            raise Forbidden(
                "a risk's response is planned by the risk officer or the head of its department"
            )

    @event(ResponsePlanned)
    def _planned(
        self, by: str, strategy: str, reason: str, level: str, sign_off_required: bool
    ) -> None:
        self.strategy = Strategy(strategy)
        self.proposed_by = by
        self.signed_off_by = None

    @event(StrategyChanged)
    def _changed(
        self,
        by: str,
        strategy: str,
        previous: str,
        reason: str,
        level: str,
        sign_off_required: bool,
    ) -> None:
        self.strategy = Strategy(strategy)
        self.proposed_by = by
        self.signed_off_by = None

    class AcceptanceSignedOff(Aggregate.Event):
        by: str
        level: str
        proposed_by: str

    def sign_off(self, actor: Actor) -> None:
        """Management signs off the acceptance of a risk at level high or above; never the
        one who proposed it."""
        require_acting(actor)
        require_role(actor, Role.MANAGEMENT)
        self._require_open()
        if not self._needs_sign_off():
            raise InvalidTransition("no acceptance of this risk waits for a sign-off")
        assert self.proposed_by is not None
        assert self.level is not None
        require_not_self(actor, self.proposed_by, "sign off")
        self._signed_off(by=actor.user_id, level=self.level.value, proposed_by=self.proposed_by)

    @event(AcceptanceSignedOff)
    def _signed_off(self, by: str, level: str, proposed_by: str) -> None:
        self.signed_off_by = by

    # --- measures: their commands are in measures.py ----------------------------------------

    class MeasureAdded(Aggregate.Event):
        by: str
        measure_id: UUID
        description: str
        department: str
        person: str
        due_on: date
        next_review_at: datetime

    @event(MeasureAdded)
    def _measure_added(
        self,
        by: str,
        measure_id: UUID,
        description: str,
        department: str,
        person: str,
        due_on: date,
        next_review_at: datetime,
    ) -> None:
        self.measures[measure_id] = Measure(description, department, person, due_on, next_review_at)

    class MeasureReviewed(Aggregate.Event):
        by: str
        measure_id: UUID
        effective: bool
        note: str
        next_review_at: datetime

    @event(MeasureReviewed)
    def _reviewed(
        self, by: str, measure_id: UUID, effective: bool, note: str, next_review_at: datetime
    ) -> None:
        self.measures[measure_id].next_review_at = next_review_at

    class MeasureCompleted(Aggregate.Event):
        by: str
        measure_id: UUID
        note: str
        late: bool

    @event(MeasureCompleted)
    def _completed(self, by: str, measure_id: UUID, note: str, late: bool) -> None:
        self.measures[measure_id].completed = True

    class MeasureOverdue(Aggregate.Event):
        class_version = 2
        measure_id: UUID
        person: str
        department: str
        due_on: date
        time_zone: str

        upcast_v1_v2 = staticmethod(decided_in_utc)

    @event(MeasureOverdue)
    def _measure_overdue(
        self, measure_id: UUID, person: str, department: str, due_on: date, time_zone: str
    ) -> None:
        self.measures[measure_id].overdue_flagged = True

    class ReviewOverdue(Aggregate.Event):
        measure_id: UUID
        department: str
        due_at: datetime

    @event(ReviewOverdue)
    def _review_overdue(self, measure_id: UUID, department: str, due_at: datetime) -> None:
        self.measures[measure_id].review_flagged_for = due_at

    # --- alerts and closing --------------------------------------------------------------

    class AlertLinked(Aggregate.Event):
        alert_id: UUID
        indicator: str
        value: int
        threshold: str

    def link_alert(self, alert_id: UUID, indicator: str, value: int, threshold: str) -> bool:
        """A KRI's alert on what this risk is about; False if it is linked already."""
        if alert_id in self.alerts:
            return False
        self._linked(alert_id=alert_id, indicator=indicator, value=value, threshold=threshold)
        return True

    @event(AlertLinked)
    def _linked(self, alert_id: UUID, indicator: str, value: int, threshold: str) -> None:
        self.alerts.append(alert_id)

    class Closed(Aggregate.Event):
        by: str
        reason: str

    def close(self, actor: Actor, reason: str) -> None:
        """The risk officer closes a risk that no longer needs managing, with a reason; not
        while an acceptance waits for management's sign-off."""
        require_risk_officer(actor)
        self._require_open()
        require_text("reason", reason)
        if self._needs_sign_off():
            raise InvalidTransition(
                "accepting a risk at level high or above needs management's sign-off first"
            )
        self._closed(by=actor.user_id, reason=reason)

    @event(Closed)
    def _closed(self, by: str, reason: str) -> None:
        self.state = RiskState.CLOSED
