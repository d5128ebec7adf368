"""A project's team as finance knows it (REGULATIONS 3.2, kept by projects): its lead and
members, who book expenses against the project's budget (7.2).

Finance keeps its own record, from projects' team events, so that the booking rule is decided
from finance's state in the command, like every other rule: services never read each other's
tables. Each change carries the project's version it came from; one not newer than the last
applied (a redelivery) changes nothing."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from bizdev_common.domain import Actor, Role
from eventsourcing.domain import Aggregate, event

_TEAMS = uuid5(NAMESPACE_URL, "urn:bizdev:finance:project-team")


class ProjectTeam(Aggregate):
    """The team lead is a member too; a lead replaced stays a member, as in projects."""

    @staticmethod
    def create_id(project_id: UUID) -> UUID:
        return uuid5(_TEAMS, str(project_id))

    class Started(Aggregate.Created):
        project_id: UUID

    @event(Started)
    def __init__(self, project_id: UUID) -> None:
        self.project_id = project_id
        self.team_lead: str | None = None
        self.members: set[str] = set()
        self.project_version = 0
        """The version of the project's last team event applied."""

    class LeadAppointed(Aggregate.Event):
        project_version: int
        team_lead: str

    def lead_appointed(self, project_version: int, team_lead: str) -> bool:
        """Returns whether it changed the team (not a redelivery)."""
        if project_version <= self.project_version:
            return False
        self._lead_appointed(project_version=project_version, team_lead=team_lead)
        return True

    @event(LeadAppointed)
    def _lead_appointed(self, project_version: int, team_lead: str) -> None:
        self.project_version = project_version
        self.team_lead = team_lead
        self.members.add(team_lead)

    class MemberAdded(Aggregate.Event):
        project_version: int
        member: str

    def member_added(self, project_version: int, member: str) -> bool:
        if project_version <= self.project_version:
            return False
        self._member_added(project_version=project_version, member=member)
        return True

    @event(MemberAdded)
    def _member_added(self, project_version: int, member: str) -> None:
        self.project_version = project_version
        self.members.add(member)

    class MemberRemoved(Aggregate.Event):
        project_version: int
        member: str

    def member_removed(self, project_version: int, member: str) -> bool:
        if project_version <= self.project_version:
            return False
        self._member_removed(project_version=project_version, member=member)
        return True

    @event(MemberRemoved)
    def _member_removed(self, project_version: int, member: str) -> None:
        self.project_version = project_version
        self.members.discard(member)

    def acts_for(self, actor: Actor) -> bool:
        """The actor is on the team and acts in a working role of it (REGULATIONS, Roles:
        employees and the team lead carry a project's work), as projects asks of its members."""
        return actor.user_id in self.members and bool(actor.roles & {Role.EMPLOYEE, Role.TEAM_LEAD})
