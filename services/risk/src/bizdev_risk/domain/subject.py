"""What risks are raised against (REGULATIONS 5.3): a customer, a project or the company,
with its department and its open risks by category."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from bizdev_risk.domain.values import Category

_SUBJECTS = uuid5(NAMESPACE_URL, "urn:bizdev:risk:subject")


class Subject(Aggregate):
    """What risks are raised against: a customer, a project or the company. The department
    it belongs to, as crm and projects publish it when it is registered or opened (the
    department of a risk its indicators raise, which the events that count, an overdue
    invoice or an overrun, do not name); and its open risks by category, which a KRI's alert
    is linked to rather than raising another."""

    @staticmethod
    def create_id(scope_id: UUID) -> UUID:
        return uuid5(_SUBJECTS, str(scope_id))

    class Registered(Aggregate.Created):
        scope_id: UUID
        department: str | None

    @event(Registered)
    def __init__(self, scope_id: UUID, department: str | None) -> None:
        self.department = department
        self.open_risks: dict[str, list[UUID]] = {}

    class DepartmentNoted(Aggregate.Event):
        department: str

    def note_department(self, department: str) -> None:
        """The department the upstream service gives it, when it had none yet."""
        if self.department is None:
            self._noted(department=department)

    @event(DepartmentNoted)
    def _noted(self, department: str) -> None:
        self.department = department

    def open_risk(self, category: Category) -> UUID | None:
        """The oldest open risk of the category against it."""
        found = self.open_risks.get(category.value)
        return found[0] if found else None

    class RiskOpened(Aggregate.Event):
        risk_id: UUID
        category: str

    def risk_opened(self, risk_id: UUID, category: Category) -> None:
        self._risk_opened(risk_id=risk_id, category=category.value)

    @event(RiskOpened)
    def _risk_opened(self, risk_id: UUID, category: str) -> None:
        self.open_risks.setdefault(category, []).append(risk_id)

    class RiskClosed(Aggregate.Event):
        risk_id: UUID

    def risk_closed(self, risk_id: UUID) -> None:
        if any(risk_id in ids for ids in self.open_risks.values()):
            self._risk_closed(risk_id=risk_id)

    @event(RiskClosed)
    def _risk_closed(self, risk_id: UUID) -> None:
        for ids in self.open_risks.values():
            if risk_id in ids:
                ids.remove(risk_id)
