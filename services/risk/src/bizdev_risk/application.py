"""The risk service's commands: load, decide (the records do), save."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from bizdev_common.days import company_day
from bizdev_common.domain import Actor, RuleViolation
from bizdev_common.eventstore import CommandResult, ServiceApplication, VersionConflict
from bizdev_common.scheduler import clock_for
from eventsourcing.persistence import IntegrityError

from bizdev_risk.domain import (
    BUILT_IN,
    Assessment,
    Category,
    IdentificationRound,
    Indicator,
    Kri,
    KriCatalogue,
    KriDefinition,
    ReviewMeeting,
    Risk,
    Scenario,
    Scope,
    Subject,
)
from bizdev_risk.settings import RiskSettings

SHARED_ATTEMPTS = 12
"""How often a command that changes a shared record (a subject's open risks, the catalogue
of indicators) decides again when another command changed it first (each attempt but the
last lets at least one of them through)."""


class RiskApplication(ServiceApplication):
    name = "risk"

    def __init__(self, settings: RiskSettings) -> None:
        super().__init__(settings)
        self.clock = clock_for(settings)
        self.matrix = settings.matrix()
        self.cadence = settings.cadence()
        self.seed_indicators()

    def _now(self) -> datetime:
        return self.clock.now()

    # --- the register ----------------------------------------------------------------------

    def identify_risk(
        self,
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
    ) -> CommandResult:
        def decide() -> CommandResult:
            risk = Risk.identify(
                actor,
                category=category,
                scope=scope,
                project_id=project_id,
                customer_id=customer_id,
                department=department,
                title=title,
                description=description,
                cause=cause,
            )
            subject = self.subject(risk.subject_id)
            subject.risk_opened(risk.id, risk.category)
            return self.commit(risk, subject)

        return self._on_shared(decide)

    def _on_shared(self, decide: Callable[[], CommandResult]) -> CommandResult:
        """Runs a command that also saves a shared record (a subject's open risks, the
        catalogue of indicators), deciding again when a concurrent command saved that record
        first. Such commands never conflict in substance (each adds or removes only its own
        entry), so the caller must not see a 409 for them; a stale `If-Match` on the command's
        own record is still refused at once, by `load`."""
        for attempt in range(1, SHARED_ATTEMPTS):
            try:
                return decide()
            except VersionConflict as e:
                if e.__cause__ is None:  # a stale If-Match, not a concurrent save
                    raise
            # Apart, so that the ones that met do not meet again at once.
            time.sleep(random.uniform(0, 0.005 * attempt))  # noqa: S311 - not a secret
        return decide()

    def subject(self, scope_id: UUID) -> Subject:
        """What risks are raised against; known from its first risk or upstream record."""
        return self.find(Subject, Subject.create_id(scope_id)) or Subject(
            scope_id=scope_id, department=None
        )

    def assess_risk(
        self,
        actor: Actor,
        risk_id: UUID,
        expected_version: int | None,
        *,
        assessment: Assessment,
        likelihood: int,
        impact: int,
        scenarios: Sequence[Scenario],
        note: str,
    ) -> CommandResult:
        risk = self.load(Risk, risk_id, expected_version)
        risk.assess(
            actor,
            assessment=assessment,
            likelihood=likelihood,
            impact=impact,
            matrix=self.matrix,
            scenarios=scenarios,
            note=note,
        )
        return self.commit(risk)

    def add_measure(
        self,
        actor: Actor,
        risk_id: UUID,
        expected_version: int | None,
        *,
        description: str,
        department: str,
        person: str,
        due_on: date,
    ) -> tuple[CommandResult, UUID]:
        risk = self.load(Risk, risk_id, expected_version)
        measure_id = uuid4()
        risk.add_measure(
            actor,
            measure_id,
            description=description,
            department=department,
            person=person,
            due_on=due_on,
            now=self._now(),
            cadence=self.cadence,
        )
        return self.commit(risk), measure_id

    def review_measure(
        self,
        actor: Actor,
        risk_id: UUID,
        expected_version: int | None,
        measure_id: UUID,
        *,
        effective: bool,
        note: str,
    ) -> CommandResult:
        risk = self.load(Risk, risk_id, expected_version)
        risk.review_measure(
            actor, measure_id, effective=effective, note=note, now=self._now(), cadence=self.cadence
        )
        return self.commit(risk)

    def complete_measure(
        self,
        actor: Actor,
        risk_id: UUID,
        expected_version: int | None,
        measure_id: UUID,
        note: str,
    ) -> CommandResult:
        risk = self.load(Risk, risk_id, expected_version)
        risk.complete_measure(actor, measure_id, note, self._now())
        return self.commit(risk)

    def close_risk(
        self, actor: Actor, risk_id: UUID, expected_version: int | None, reason: str
    ) -> CommandResult:
        def decide() -> CommandResult:
            risk = self.load(Risk, risk_id, expected_version)
            risk.close(actor, reason)
            subject = self.subject(risk.subject_id)
            subject.risk_closed(risk.id)
            return self.commit(risk, subject)

        return self._on_shared(decide)

    # --- alerts ----------------------------------------------------------------------------

    def expire_kri(self, kri_id: UUID, now: datetime) -> CommandResult | None:
        kri = self.load(Kri, kri_id)
        definition = self.load(KriDefinition, KriDefinition.create_id(kri.indicator))
        if not kri.expire(definition.indicator, now):
            return None
        return self.commit(kri)

    # --- the indicators' definitions -------------------------------------------------------

    def seed_indicators(self) -> None:
        """Defines each built-in indicator not defined yet, as its version 1. Every process
        does this when it starts; the records' fixed ids make a second seeding, by a restart
        or another replica, conflict rather than happen, and the loser looks again."""
        for _attempt in range(SHARED_ATTEMPTS):
            catalogue = self.find(KriCatalogue, KriCatalogue.create_id()) or KriCatalogue()
            missing = [i for i in BUILT_IN if i.name not in catalogue.names]
            if not missing:
                return
            seeded = [KriDefinition.built_in(i) for i in missing]
            for d in seeded:
                catalogue.add(d.name)
            try:
                self.save(catalogue, *seeded)
                return
            except IntegrityError:
                continue  # another process seeded meanwhile
        raise RuntimeError("the built-in indicators could not be seeded")

    def definitions(self) -> list[KriDefinition]:
        """Every indicator's definition, in its current version."""
        catalogue = self.load(KriCatalogue, KriCatalogue.create_id())
        return [self.load(KriDefinition, KriDefinition.create_id(n)) for n in catalogue.names]

    def indicators(self) -> list[Indicator]:
        return [d.indicator for d in self.definitions()]

    def define_indicator(
        self,
        actor: Actor,
        *,
        name: str,
        title: str,
        events: Sequence[str],
        scope: Scope,
        category: Category,
        window_days: int,
        warning: int,
        critical: int,
    ) -> CommandResult:
        def decide() -> CommandResult:
            definition = KriDefinition.define(
                actor,
                name=name,
                title=title,
                events=events,
                scope=scope,
                category=category,
                window_days=window_days,
                warning=warning,
                critical=critical,
            )
            catalogue = self.load(KriCatalogue, KriCatalogue.create_id())
            catalogue.add(name)
            return self.commit(definition, catalogue)

        return self._on_shared(decide)

    def revise_indicator(
        self,
        actor: Actor,
        name: str,
        expected_version: int | None,
        *,
        title: str,
        events: Sequence[str],
        category: Category,
        window_days: int,
        warning: int,
        critical: int,
    ) -> CommandResult:
        definition = self.load(KriDefinition, KriDefinition.create_id(name), expected_version)
        definition.revise(
            actor,
            title=title,
            events=events,
            category=category,
            window_days=window_days,
            warning=warning,
            critical=critical,
        )
        return self.commit(definition)

    # --- identification rounds and review meetings -----------------------------------------

    def open_round(
        self,
        actor: Actor,
        *,
        period_start: date,
        period_end: date,
        departments: Sequence[str],
        due_on: date,
    ) -> CommandResult:
        return self.commit(
            IdentificationRound.open(
                actor,
                period_start=period_start,
                period_end=period_end,
                departments=departments,
                due_on=due_on,
                today=company_day(self._now()),
            )
        )

    def submit_identification(
        self,
        actor: Actor,
        round_id: UUID,
        expected_version: int | None,
        *,
        department: str,
        risk_ids: Sequence[UUID],
        declared_none: bool,
    ) -> CommandResult:
        identification = self.load(IdentificationRound, round_id, expected_version)
        for n, risk_id in enumerate(risk_ids):
            risk = self.find(Risk, risk_id)
            if risk is None or risk.department != department:
                raise RuleViolation(f"risk_ids.{n}", f"no risk {risk_id} of {department}")
        identification.submit(actor, department, risk_ids, declared_none, self._now())
        return self.commit(identification)

    def record_meeting(
        self,
        actor: Actor,
        *,
        held_on: date,
        title: str,
        attendees: Sequence[str],
        risk_ids: Sequence[UUID],
        conclusions: str,
        actions: Sequence[dict[str, Any]],
    ) -> CommandResult:
        for n, risk_id in enumerate(risk_ids):
            if self.find(Risk, risk_id) is None:
                raise RuleViolation(f"risk_ids.{n}", f"no risk {risk_id}")
        return self.commit(
            ReviewMeeting.record(
                actor,
                held_on=held_on,
                title=title,
                attendees=attendees,
                risk_ids=risk_ids,
                conclusions=conclusions,
                actions=actions,
                today=company_day(self._now()),
            )
        )
