"""The projects service's published events (topic `bizdev.projects.events.v1`)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from bizdev_common.contract import DecidingTimeZone, EventContract, MoneyModel, PublicEvent
from pydantic import BaseModel, ConfigDict, Field

from bizdev_projects.domain import (
    BusinessPlan,
    DeviationReport,
    ExternalContact,
    Lead,
    MarketInsight,
    Meeting,
    Project,
    ProjectApplication,
)


class MarketInsightRecorded(PublicEvent):
    """The market department recorded a piece of market information (REGULATIONS 2.1)."""

    department: str = Field(description="Department of the recorder (always `market`)")
    kind: str = Field(description="One of industry_trend, competitor, customer_need")
    title: str = Field(description="Short title of the insight")
    content: str = Field(description="The insight itself")


class LeadSubmitted(PublicEvent):
    """An employee submitted a business lead; `by` is its finder, who is rewarded if the
    lead becomes an approved project (REGULATIONS 2.1)."""

    department: str = Field(description="Department of the finder")
    customer: str = Field(description="The prospective customer")
    need: str = Field(description="What the customer needs")
    source: str = Field(description="Where the lead came from")
    estimated_value: MoneyModel = Field(description="Estimated value of the business")
    customer_id: UUID | None = Field(
        default=None, description="The crm customer the lead is for, when one is known"
    )


class LeadQualified(PublicEvent):
    """The head of the finder's department or management qualified the lead: worth an
    initiation application (REGULATIONS 2.1). `by` judged it; never the finder."""

    finder: str = Field(description="User id of who submitted the lead")
    department: str = Field(description="The finder's department")
    customer: str = Field(description="The prospective customer, as the lead names it")
    customer_id: UUID | None = Field(description="The crm customer, when one is known")
    note: str = Field(description="Why it is worth pursuing; may be empty")


class LeadDiscarded(PublicEvent):
    """The head of the finder's department or management discarded the lead, with reasons.
    `by` judged it; never the finder."""

    finder: str = Field(description="User id of who submitted the lead")
    department: str = Field(description="The finder's department")
    customer: str = Field(description="The prospective customer, as the lead names it")
    reasons: str = Field(description="Why it is not pursued")


class ApplicationDrafted(PublicEvent):
    """An employee drafted a project initiation application (REGULATIONS 2.2); `by` is the
    applicant."""

    department: str = Field(description="The applicant's department, whose head reviews it")
    title: str = Field(description="Title of the proposed project")
    background: str = Field(description="Background of the proposal")
    target_customers: str = Field(description="Customers the project targets")
    expected_revenue: MoneyModel = Field(description="Revenue the project is expected to earn")
    preliminary_plan: str = Field(description="Preliminary plan of the project")
    lead_id: UUID | None = Field(description="The lead the application follows up, if any")
    customer_id: UUID | None = Field(description="The crm customer the proposal is for, if any")


class ApplicationRevised(PublicEvent):
    """The applicant revised a draft or rejected application; a rejected one returns to
    draft. Carries the whole form after the revision."""

    title: str = Field(description="Title of the proposed project")
    background: str = Field(description="Background of the proposal")
    target_customers: str = Field(description="Customers the project targets")
    expected_revenue: MoneyModel = Field(description="Revenue the project is expected to earn")
    preliminary_plan: str = Field(description="Preliminary plan of the project")


class ApplicationSubmitted(PublicEvent):
    """The applicant submitted the application for review by the head of department."""

    department: str = Field(description="Department whose head is to review it")
    title: str = Field(description="Title of the proposed project")
    applicant: str = Field(description="User id of the applicant")
    applicant_is_head: bool = Field(
        default=False,
        description="The applicant heads the department: management reviews it instead",
    )


class ApplicationReviewed(PublicEvent):
    """The head of the applicant's department signed an opinion on the application, or
    management did when the applicant is that head; `by` is the reviewer, who may not decide
    it. Management decides next."""

    recommend: bool = Field(description="Whether the reviewer recommends approval")
    feasibility: str = Field(description="Opinion on feasibility")
    market_outlook: str = Field(description="Opinion on the market outlook")
    resource_needs: str = Field(description="Opinion on the resources the project needs")
    reviewed_as: str = Field(
        default="department_head",
        description="department_head, or management because the applicant heads the department",
    )


class ApplicationApproved(PublicEvent):
    """Management approved the application; a project is opened for it (REGULATIONS 2.3).
    `by` is the approver."""

    comments: str = Field(description="The approver's comments; may be empty")
    department: str = Field(description="The applicant's department")
    title: str = Field(description="Title of the approved project")
    applicant: str = Field(description="User id of the applicant")
    expected_revenue: MoneyModel = Field(description="Revenue the project is expected to earn")
    lead_id: UUID | None = Field(
        description="The lead the project grew from, if any; its finder earns a reward"
    )
    customer_id: UUID | None = Field(description="The crm customer the project is for, if any")
    project_id: UUID = Field(description="The project this approval opens (see ProjectOpened)")
    strategic_fit: str = Field(
        default="",
        description="Management's assessment of the strategic fit (REGULATIONS 2.3); empty "
        "only on approvals from before it was required",
    )
    market_outlook: str = Field(
        default="", description="Management's assessment of the market outlook"
    )
    economic_benefit: str = Field(
        default="", description="Management's assessment of the economic benefit"
    )


class ApplicationRejected(PublicEvent):
    """Management rejected the application with reasons; the applicant may revise and
    resubmit it. `by` is the decision maker."""

    reasons: str = Field(description="Why the application was rejected")
    department: str = Field(description="The applicant's department")
    title: str = Field(description="Title of the rejected proposal")
    applicant: str = Field(description="User id of the applicant")


class ProjectOpened(PublicEvent):
    """A project was opened for an approved application; `by` is the approver."""

    application_id: UUID = Field(description="The approved application")
    name: str = Field(description="Name of the project (the application's title)")
    department: str = Field(description="Department that runs the project")
    applicant: str = Field(description="User id of the applicant")
    expected_revenue: MoneyModel = Field(description="Revenue the project is expected to earn")
    lead_id: UUID | None = Field(description="The lead the project grew from, if any")
    customer_id: UUID | None = Field(
        description="The crm customer the project is for, if any: crm lists it in its dealings"
    )


class LeadConverted(PublicEvent):
    """A lead became an approved project: its finder earns the reward (REGULATIONS 2.1, 8.4).
    Emitted once per lead, for the first project it becomes; `by` is the approver."""

    finder: str = Field(description="User id of who submitted the lead: the one to reward")
    department: str = Field(description="The finder's department")
    customer: str = Field(description="The customer the lead named")
    application_id: UUID = Field(description="The approved application that followed the lead")
    project_id: UUID = Field(description="The project the approval opened")


# --- planning (REGULATIONS 3.1) ---------------------------------------------------------------


class Milestone(BaseModel):
    """A milestone of a business plan's implementation schedule."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: UUID = Field(description="Milestone id; progress and overdue events name it")
    name: str = Field(description="What is to be reached")
    due_date: date = Field(description="Due by the end of this company day")
    owner: str = Field(description="User id of who answers for it")


class BudgetLine(BaseModel):
    """A line of a business plan's budget; finance's budget is built from these (§7.1)."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    line_id: UUID | None = Field(
        default=None,
        description="Stable id of the line: a later revision that keeps the line keeps its "
        "id, so spending is booked against it across re-planning. Always set by today's "
        "service",
    )
    category: str = Field(description="One of marketing, personnel, operations, procurement")
    amount: MoneyModel = Field(description="Amount budgeted, positive")
    description: str = Field(description="What the line pays for; may be empty")


class PlanDrafted(PublicEvent):
    """A business plan was drafted for a project (revision 1); `by` is its author."""

    project_id: UUID = Field(description="The project the plan is for")
    project_name: str = Field(description="Name of that project")
    department: str = Field(description="Department that runs the project")
    goals: str = Field(description="Goals of the plan")
    marketing_strategy: str = Field(description="Marketing strategy")
    product_plan: str = Field(description="Product or service plan")
    milestones: list[Milestone] = Field(description="Implementation schedule, by due date")
    budget_lines: list[BudgetLine] = Field(description="Budget lines")
    review_departments: list[str] = Field(description="Departments whose heads are to review it")


class PlanRevised(PublicEvent):
    """The plan was changed: a new revision, which goes round the reviews again. Carries the
    whole plan after the change; `by` is who revised it."""

    revision: int = Field(description="Number of the new revision")
    goals: str = Field(description="Goals of the plan")
    marketing_strategy: str = Field(description="Marketing strategy")
    product_plan: str = Field(description="Product or service plan")
    milestones: list[Milestone] = Field(description="Implementation schedule, by due date")
    budget_lines: list[BudgetLine] = Field(description="Budget lines")
    review_departments: list[str] = Field(description="Departments whose heads are to review it")


class PlanSubmitted(PublicEvent):
    """A revision of the plan was submitted for review by the departments it names."""

    project_id: UUID = Field(description="The project the plan is for")
    project_name: str = Field(description="Name of that project")
    department: str = Field(description="Department that runs the project")
    revision: int = Field(description="The revision under review")
    review_departments: list[str] = Field(description="Departments whose heads review it")


class PlanReviewed(PublicEvent):
    """The head of a named department reviewed the current revision; `by` is the reviewer."""

    project_id: UUID = Field(description="The project the plan is for")
    revision: int = Field(description="The revision reviewed")
    reviewing_department: str = Field(description="The department the review speaks for")
    verdict: str = Field(description="passed or changes_requested")
    comments: str = Field(description="The reviewer's comments; required with changes_requested")


class PlanApproved(PublicEvent):
    """Every requested review passed the current revision: the plan is the basis of execution
    and of the project's budget in finance (REGULATIONS 3.1). `by` gave the last review."""

    project_id: UUID = Field(description="The project the plan is for")
    project_name: str = Field(description="Name of that project")
    department: str = Field(description="Department that runs the project")
    revision: int = Field(description="The approved revision")
    goals: str = Field(description="Goals of the plan")
    milestones: list[Milestone] = Field(description="The project's milestones, by due date")
    budget_lines: list[BudgetLine] = Field(description="The budget lines to budget")
    budget_totals: list[MoneyModel] = Field(description="Total of the lines per currency")
    review_departments: list[str] = Field(description="Departments that passed it")
    replaces_revision: int | None = Field(
        default=None,
        description="The approved revision this one replaces (re-planning, REGULATIONS 3.3): "
        "its schedule and budget give way to these; null for the first approval",
    )


class PlanReplanningRequired(PublicEvent):
    """Management acknowledged a deviation requiring re-planning (REGULATIONS 3.3): the
    approved revision stays in force until a new one passes every review. `by` is management."""

    project_id: UUID = Field(description="The project the plan is for")
    project_name: str = Field(description="Name of that project")
    department: str = Field(description="Department that runs the project")
    deviation_id: UUID = Field(description="The deviation report that required it")
    approved_revision: int = Field(description="The revision in force meanwhile")


# --- team and execution (REGULATIONS 3.2, 3.3) ------------------------------------------------


class TeamLeadAppointed(PublicEvent):
    """Management appointed the project's team lead, replacing any previous one, who stays a
    member. There is exactly one lead at a time."""

    team_lead: str = Field(description="User id of the new team lead")
    previous_team_lead: str | None = Field(description="User id of the lead replaced, if any")
    responsibilities: str = Field(description="The lead's responsibilities")
    project_name: str = Field(description="Name of the project")
    department: str = Field(description="Department that runs the project")


class TeamMemberAdded(PublicEvent):
    """A member joined the project's team; `by` is the team lead or management."""

    member: str = Field(description="User id of the member")
    responsibilities: str = Field(description="What the member is responsible for")


class TeamMemberResponsibilitiesChanged(PublicEvent):
    """A member's responsibilities on the team changed."""

    member: str = Field(description="User id of the member")
    responsibilities: str = Field(description="The responsibilities from now on")


class TeamMemberRemoved(PublicEvent):
    """A member left the project's team."""

    member: str = Field(description="User id of the member")


class MilestonesScheduled(PublicEvent):
    """The approved plan's milestones became the project's; `by` approved the plan."""

    plan_id: UUID = Field(description="The approved plan")
    revision: int = Field(description="Its approved revision")
    project_name: str = Field(description="Name of the project")
    department: str = Field(description="Department that runs the project")
    milestones: list[Milestone] = Field(description="The milestones, by due date")


class MilestoneProgressRecorded(PublicEvent):
    """The team lead recorded progress on a milestone short of completing it."""

    milestone_id: UUID = Field(description="The milestone")
    percent: int = Field(ge=0, le=99, description="How far it is, in percent")
    note: str = Field(description="The team lead's note; may be empty")


class MilestoneCompleted(PublicEvent):
    """A milestone was completed; `by` is the team lead who recorded it."""

    milestone_id: UUID = Field(description="The milestone")
    milestone_name: str = Field(description="Its name")
    owner: str = Field(description="User id of who answers for it")
    due_date: date = Field(description="When it was due")
    completed_on: date = Field(description="When it was completed")
    late: bool = Field(description="Whether it was completed after its due date")
    note: str = Field(description="The team lead's note; may be empty")
    project_name: str = Field(description="Name of the project")
    department: str = Field(description="Department that runs the project")


class MilestoneOverdue(PublicEvent):
    """A milestone's due date (a company day) ended before it was completed. Emitted once,
    by the service's own periodic check: `by` is null."""

    milestone_id: UUID = Field(description="The milestone")
    milestone_name: str = Field(description="Its name")
    owner: str = Field(description="User id of who answers for it")
    due_date: date = Field(description="When it was due")
    percent: int = Field(description="Progress recorded when it was found overdue")
    detected_at: datetime = Field(description="When the check found it overdue")
    project_name: str = Field(description="Name of the project")
    department: str = Field(description="Department that runs the project")
    time_zone: DecidingTimeZone


class ProjectHealthChanged(PublicEvent):
    """The project's health changed; `by` is the team lead or management."""

    health: str = Field(description="One of on_track, at_risk, off_track, on_hold, done")
    previous_health: str = Field(description="The health before")
    note: str = Field(description="Why")
    project_name: str = Field(description="Name of the project")
    department: str = Field(description="Department that runs the project")


class ProjectClosed(PublicEvent):
    """Management closed the project and recorded its outcome; it changes no more."""

    outcome: str = Field(description="One of achieved, partially_achieved, not_achieved, cancelled")
    summary: str = Field(description="What the project achieved, or why it stopped")
    project_name: str = Field(description="Name of the project")
    department: str = Field(description="Department that ran the project")
    milestones_total: int = Field(description="How many milestones it had")
    milestones_completed: int = Field(description="How many of them were completed")


class DeviationReported(PublicEvent):
    """The team lead reported a deviation from the plan, escalated to management at once
    (REGULATIONS 3.3); `by` is the team lead."""

    project_id: UUID = Field(description="The project")
    project_name: str = Field(description="Name of the project")
    department: str = Field(description="Department that runs the project")
    milestone_id: UUID | None = Field(description="The milestone concerned, if any")
    deviation: str = Field(description="What deviates from the plan")
    cause: str = Field(description="Why")
    adjusted_strategy: str = Field(description="How the team adjusts its strategy")


class DeviationAcknowledged(PublicEvent):
    """Management acknowledged a deviation report with its decision."""

    project_id: UUID = Field(description="The project")
    reporter: str = Field(description="User id of the team lead who reported it")
    decision: str = Field(description="Management's decision")
    replan_required: bool = Field(
        default=False,
        description="Whether management required re-planning: a new revision of the plan "
        "(see PlanReplanningRequired)",
    )


# --- communication (REGULATIONS §6) -----------------------------------------------------------


class ActionItem(BaseModel):
    """Something a meeting decided someone does by a date."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: UUID = Field(description="Action item id")
    description: str = Field(description="What is to be done")
    owner: str = Field(description="User id of who does it")
    due_date: date = Field(description="By when")


class MeetingScheduled(PublicEvent):
    """A project meeting was called; `by` is the team lead or management."""

    project_id: UUID = Field(description="The project")
    project_name: str = Field(description="Name of the project")
    department: str = Field(description="Department that runs the project")
    kind: str = Field(description="One of weekly, monthly, progress, other")
    title: str = Field(description="Title of the meeting")
    meeting_date: date = Field(description="Day of the meeting")
    attendees: list[str] = Field(description="User ids invited")
    agenda: str = Field(description="Agenda; may be empty")


class MeetingMinutesRecorded(PublicEvent):
    """The minutes of a meeting were recorded, with who attended and the action items."""

    project_id: UUID = Field(description="The project")
    attendees: list[str] = Field(description="Who attended")
    minutes: str = Field(description="The minutes")
    action_items: list[ActionItem] = Field(description="What was decided, by whom, by when")


class ActionItemCompleted(PublicEvent):
    """An action item of a meeting was done; `by` is its owner, the team lead or management."""

    project_id: UUID = Field(description="The project")
    item_id: UUID = Field(description="The action item")
    owner: str = Field(description="User id of the item's owner")


class ActionItemOverdue(PublicEvent):
    """An action item's due date (a company day) ended before it was done. Emitted once, by the
    service's own periodic check: `by` is null. The aggregate is the meeting."""

    project_id: UUID = Field(description="The project")
    project_name: str = Field(description="Name of the project")
    department: str = Field(description="Department that runs the project")
    meeting_title: str = Field(description="The meeting that gave the item")
    item_id: UUID = Field(description="The action item")
    description: str = Field(description="What was to be done")
    owner: str = Field(description="User id of who was to do it")
    due_date: date = Field(description="When it was due")
    detected_at: datetime = Field(description="When the check found it overdue")
    time_zone: DecidingTimeZone


class ContactLogged(PublicEvent):
    """A contact with a customer, partner or supplier was logged against the project."""

    project_id: UUID = Field(description="The project")
    project_name: str = Field(description="Name of the project")
    department: str = Field(description="Department that runs the project")
    party_kind: str = Field(description="One of customer, partner, supplier")
    party: str = Field(description="Who was contacted")
    contact_date: date = Field(description="Day of the contact")
    summary: str = Field(description="What was discussed")
    customer_id: UUID | None = Field(description="The crm customer, when the party is one")


CONTRACT = EventContract(
    "projects",
    {
        MarketInsight.Recorded: MarketInsightRecorded,
        Lead.Submitted: LeadSubmitted,
        Lead.Qualified: LeadQualified,
        Lead.Discarded: LeadDiscarded,
        ProjectApplication.Drafted: ApplicationDrafted,
        ProjectApplication.Revised: ApplicationRevised,
        ProjectApplication.Submitted: ApplicationSubmitted,
        ProjectApplication.DepartmentReviewed: ApplicationReviewed,
        ProjectApplication.Approved: ApplicationApproved,
        ProjectApplication.Rejected: ApplicationRejected,
        Project.Opened: ProjectOpened,
        Lead.Converted: LeadConverted,
        BusinessPlan.Drafted: PlanDrafted,
        BusinessPlan.Revised: PlanRevised,
        BusinessPlan.Submitted: PlanSubmitted,
        BusinessPlan.Reviewed: PlanReviewed,
        BusinessPlan.Approved: PlanApproved,
        BusinessPlan.ReplanningRequired: PlanReplanningRequired,
        Project.TeamLeadAppointed: TeamLeadAppointed,
        Project.MemberAdded: TeamMemberAdded,
        Project.ResponsibilitiesChanged: TeamMemberResponsibilitiesChanged,
        Project.MemberRemoved: TeamMemberRemoved,
        Project.MilestonesScheduled: MilestonesScheduled,
        Project.ProgressRecorded: MilestoneProgressRecorded,
        Project.MilestoneCompleted: MilestoneCompleted,
        Project.MilestoneOverdue: MilestoneOverdue,
        Project.HealthChanged: ProjectHealthChanged,
        Project.Closed: ProjectClosed,
        DeviationReport.Reported: DeviationReported,
        DeviationReport.Acknowledged: DeviationAcknowledged,
        Meeting.Scheduled: MeetingScheduled,
        Meeting.MinutesRecorded: MeetingMinutesRecorded,
        Meeting.ActionItemDone: ActionItemCompleted,
        Meeting.ActionItemOverdue: ActionItemOverdue,
        ExternalContact.Logged: ContactLogged,
    },
)
