"""The crm service's published events (topic `bizdev.crm.events.v1`).

Contact persons' names, phones and e-mails are personal data and never leave crm: events
about contact persons carry their ids and positions only, so a consumer that must forget a
person (on CustomerDataErased) forgets them by id."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from bizdev_common.contract import DecidingTimeZone, EventContract, MoneyModel, PublicEvent
from pydantic import Field

from bizdev_crm.domain import Complaint, Contract, Customer, CustomerEvent, FollowUp

# --- customers (REGULATIONS 4.1, 4.2) --------------------------------------------------------


class CustomerRegistered(PublicEvent):
    """An employee registered a customer found through a channel (REGULATIONS 4.1); `by` is
    who registered it. Opens the customer's file (records)."""

    name: str = Field(description="The customer's (company) name")
    industry: str = Field(description="The customer's industry")
    channel: str = Field(description="marketing, trade_show, referral, online or other")
    owner: str = Field(description="User id of the employee who develops and keeps the customer")
    department: str = Field(description="Department the customer belongs to")
    address: str = Field(description="Business address; may be empty")
    needs: str = Field(description="The needs found when developing the customer")
    preferences: str = Field(description="The customer's preferences; may be empty")
    status: str = Field(
        default="prospect", description="prospect: where every customer's relationship starts"
    )
    next_visit_due_on: date | None = Field(
        default=None, description="When the first follow-up visit is due (its status's cycle)"
    )


class CustomerFileUpdated(PublicEvent):
    """The customer file's basic information, needs or preferences changed; carries the
    whole file after the change."""

    name: str = Field(description="The customer's (company) name")
    industry: str = Field(description="The customer's industry")
    address: str = Field(description="Business address; may be empty")
    needs: str = Field(description="The customer's needs")
    preferences: str = Field(description="The customer's preferences; may be empty")


class ContactPersonAdded(PublicEvent):
    """A contact person was added to the customer. Their name, phone and e-mail are personal
    data and stay in crm."""

    contact_id: UUID = Field(description="Id of the contact person")
    position: str = Field(description="Their position at the customer, e.g. Purchasing manager")


class ContactPersonChanged(PublicEvent):
    """A contact person's details were replaced (personal ones stay in crm)."""

    contact_id: UUID = Field(description="Id of the contact person")
    position: str = Field(description="Their position at the customer")


class ProposalOffered(PublicEvent):
    """A proposal was offered to the customer (REGULATIONS 4.1); `by` is who offered it."""

    proposal_id: UUID = Field(description="Id of the proposal within the customer")
    title: str = Field(description="Short title of the proposal")
    description: str = Field(description="What is proposed")
    value: MoneyModel = Field(description="Value of the business proposed")


class ProposalOutcomeRecorded(PublicEvent):
    """The customer accepted or declined a proposal."""

    proposal_id: UUID = Field(description="The proposal answered")
    outcome: str = Field(description="accepted or declined")
    notes: str = Field(description="What the customer said; may be empty")


class DealingRecorded(PublicEvent):
    """A project opened for the customer by the projects service joined its dealings; `by`
    is who caused it there (the approver)."""

    project_id: UUID = Field(description="The project (projects service)")
    project_name: str = Field(description="Name of the project")
    department: str = Field(description="Department that runs the project")
    application_id: UUID = Field(description="The approved initiation application")


class CustomerDataErased(PublicEvent):
    """On request, management erased the customer's personal data: every consumer must
    forget what it holds about the contact persons named here. The customer, its history and
    every other record stay. The reason stays in crm, as it may name the requester."""

    contact_ids: list[UUID] = Field(description="The contact persons whose data was erased")


class CustomerStatusChanged(PublicEvent):
    """The owner, the head of the customer's department or management changed where the
    relationship stands; the next visit is due by the new status's cycle."""

    status: str = Field(description="prospect, active, dormant or lost")
    previous: str = Field(description="The status before")
    reason: str = Field(description="Why; always given for dormant and lost")
    next_visit_due_on: date | None = Field(description="Next visit due; null: none owed (lost)")


class CustomerOwnerReassigned(PublicEvent):
    """The head of the customer's department or management handed it to another owner."""

    owner: str = Field(description="User id of the new owner")
    previous_owner: str = Field(description="User id of the owner before")
    department: str = Field(description="Department the customer belongs to (unchanged)")
    reason: str = Field(description="Why; may be empty")


class CustomerVisited(PublicEvent):
    """A follow-up visit to the customer was recorded: its visit cycle starts again."""

    follow_up_id: UUID = Field(description="The follow-up visit recorded")
    visited_on: date = Field(description="Date of the visit")
    next_visit_due_on: date | None = Field(description="Next visit due; null: none owed")


class FollowUpOverdue(PublicEvent):
    """The customer was not visited within its status's cycle: raised once per missed cycle
    by crm's deadline check (`by` is null); a customer KRI for risk."""

    owner: str = Field(description="User id of the customer's owner, who is to visit")
    department: str = Field(description="Department the customer belongs to")
    status: str = Field(description="The customer's status, whose cycle was missed")
    due_on: date = Field(description="The day the visit was due by")
    last_visited_on: date | None = Field(description="The last visit recorded, if any")
    next_visit_due_on: date | None = Field(description="When the next cycle ends")
    time_zone: DecidingTimeZone


# --- contracts (REGULATIONS 4.2, 9.1) -------------------------------------------------------


class ContractDrafted(PublicEvent):
    """A contract with a customer was drafted; `by` is who drafted it."""

    number: str = Field(description="The contract number, unique in crm")
    title: str = Field(description="What the contract is for")
    value: MoneyModel = Field(description="The contract's value")
    customer_id: UUID = Field(description="The customer")
    department: str = Field(description="Department that keeps the customer and the contract")
    salesperson: str = Field(description="User id of the salesperson credited with the sale")
    project_id: UUID | None = Field(description="The project it belongs to, if any")


class ContractSigned(PublicEvent):
    """The contract was signed with the customer (recorded by the head of its department or
    management): the source of revenue in finance, of sales in performance, and of a
    contract record in records."""

    number: str = Field(description="The contract number, unique in crm")
    title: str = Field(description="What the contract is for")
    customer_id: UUID = Field(description="The customer")
    department: str = Field(description="Department that keeps the contract")
    salesperson: str = Field(description="User id of the salesperson credited with the sale")
    project_id: UUID | None = Field(description="The project it belongs to, if any")
    value: MoneyModel = Field(description="The contract's value")
    signed_on: date = Field(description="The day it was signed")


class ContractCompleted(PublicEvent):
    """Both sides did what the contract says."""

    number: str = Field(description="The contract number")
    customer_id: UUID = Field(description="The customer")
    salesperson: str = Field(description="User id of the salesperson")
    project_id: UUID | None = Field(description="The project it belongs to, if any")
    value: MoneyModel = Field(description="The contract's value")
    signed_on: date = Field(description="The day it was signed")
    completed_on: date = Field(description="The day it was completed")


class ContractTerminated(PublicEvent):
    """The contract was ended before completion (a draft abandoned, or a signed one ended),
    with the reason; `signed_on` is null for a draft."""

    number: str = Field(description="The contract number")
    customer_id: UUID = Field(description="The customer")
    salesperson: str = Field(description="User id of the salesperson")
    project_id: UUID | None = Field(description="The project it belongs to, if any")
    value: MoneyModel = Field(description="The contract's value")
    signed_on: date | None = Field(description="The day it was signed; null for a draft")
    terminated_on: date = Field(description="The day it was terminated")
    reason: str = Field(description="Why it was terminated")


# --- follow-up visits (REGULATIONS 4.2) ------------------------------------------------------


class FollowUpScheduled(PublicEvent):
    """A follow-up visit to a customer was scheduled; `by` is who scheduled it."""

    customer_id: UUID = Field(description="The customer to visit")
    department: str = Field(description="Department the customer belongs to")
    visitor: str = Field(description="User id of who is to visit")
    due_on: date = Field(description="Date the visit is due by")
    purpose: str = Field(description="What the visit is for")


class FollowUpRecorded(PublicEvent):
    """The visitor recorded the visit's outcome with the customer's satisfaction; `by` is
    the visitor. A source of the satisfaction indicator (performance)."""

    customer_id: UUID = Field(description="The customer visited")
    visited_on: date = Field(description="Date of the visit")
    satisfaction: int = Field(ge=1, le=5, description="The customer's satisfaction, 1 to 5")
    notes: str = Field(description="What was found and agreed")


class FollowUpCancelled(PublicEvent):
    """A scheduled follow-up visit was cancelled."""

    reason: str = Field(description="Why it was cancelled")


# --- customer events (REGULATIONS 4.2) -------------------------------------------------------


class CustomerEventPlanned(PublicEvent):
    """An appreciation event or industry seminar was planned; `by` is its organiser."""

    department: str = Field(description="The organiser's department")
    kind: str = Field(description="appreciation or industry_seminar")
    title: str = Field(description="Title of the event")
    held_on: date = Field(description="Date of the event")
    venue: str = Field(description="Where it is held")


class CustomerInvited(PublicEvent):
    """A customer was invited to an event."""

    customer_id: UUID = Field(description="The customer invited")


class AttendanceRecorded(PublicEvent):
    """Whether an invited customer attended; a later record for the same customer corrects
    an earlier one."""

    customer_id: UUID = Field(description="The customer")
    attended: bool = Field(description="Whether they came")


class CustomerEventCancelled(PublicEvent):
    """The event was cancelled."""

    reason: str = Field(description="Why it was cancelled")


# --- complaints (REGULATIONS 4.3) ------------------------------------------------------------


class ComplaintReceived(PublicEvent):
    """A complaint was received and recorded at once; `by` is who recorded it. Its first
    answer is due by `response_due_at` (set by severity), or it is escalated."""

    customer_id: UUID = Field(description="The complaining customer")
    department: str = Field(description="Department that keeps the customer and handles it")
    contact_id: UUID | None = Field(description="The contact person who complained, if known")
    channel: str = Field(description="phone, email or online_chat")
    severity: str = Field(description="low, medium, high or critical")
    subject: str = Field(description="What the complaint is about")
    description: str = Field(description="The complaint as the customer made it")
    received_at: datetime = Field(description="When it was received (UTC)")
    response_due_at: datetime = Field(description="When the first answer is due (UTC)")
    resolution_due_at: datetime | None = Field(
        default=None,
        description="When the customer is to accept a solution (UTC); null for complaints "
        "received before resolutions had a deadline",
    )


class ComplaintAssigned(PublicEvent):
    """The head of the department (or management) named the complaint's owner."""

    owner: str = Field(description="User id of the owner, who answers and resolves it")
    department: str = Field(description="Department that handles the complaint")


class ComplaintResponded(PublicEvent):
    """The owner answered the customer with a proposal; the first answer meets the response
    deadline."""

    proposal: str = Field(description="What was proposed to the customer")


class ComplaintEscalated(PublicEvent):
    """A deadline of the complaint passed unmet: its response (an answer) or its resolution
    (a solution the customer accepts). Raised by crm's deadline check (`by` is null) once
    per level: to the head of the complaint's department at the deadline (level 1), to
    management when still unmet as long again after it (level 2)."""

    customer_id: UUID = Field(description="The complaining customer")
    department: str = Field(description="Department that handles the complaint")
    owner: str | None = Field(description="The owner, or null when none was assigned")
    severity: str = Field(description="low, medium, high or critical")
    response_due_at: datetime = Field(description="The deadline that passed (UTC)")
    escalated_at: datetime = Field(description="When the check found it overdue (UTC)")
    deadline: str = Field(default="response", description="response or resolution")
    due_at: datetime | None = Field(
        default=None, description="The deadline that passed (UTC); null on early events"
    )
    level: int = Field(default=1, ge=1, le=2, description="1: department head; 2: management")
    to_role: str = Field(
        default="department_head", description="The role it goes to: department_head, management"
    )
    to_department: str | None = Field(
        default=None, description="The department whose head it goes to; null for management"
    )
    next_escalation_at: datetime | None = Field(
        default=None, description="When it goes to management if still unmet; null at level 2"
    )


class ComplaintResolved(PublicEvent):
    """The customer accepted the owner's proposal; a root-cause analysis closes it next."""

    customer_id: UUID = Field(description="The complaining customer")
    resolution: str = Field(description="What was agreed with the customer")


class ComplaintReopened(PublicEvent):
    """The customer was not satisfied: the complaint is back with its owner (assigned) for
    another proposal."""

    reason: str = Field(description="Why the customer was not satisfied")
    response_due_at: datetime | None = Field(
        default=None, description="When the next answer is due (UTC); null on early events"
    )
    resolution_escalation_at: datetime | None = Field(
        default=None,
        description="When the unmet resolution deadline is escalated next (UTC); null if never",
    )


class ComplaintClosed(PublicEvent):
    """The complaint was closed with its root-cause analysis and the customer's
    satisfaction; complaints are counted by `cause`."""

    customer_id: UUID = Field(description="The complaining customer")
    department: str = Field(description="Department that handled the complaint")
    cause: str = Field(
        description=(
            "Root-cause category: product_quality, service_attitude, delivery, billing, "
            "communication or other"
        )
    )
    root_cause: str = Field(description="What the cause was")
    corrective_action: str = Field(description="What is done so that it does not recur")
    satisfaction: int = Field(ge=1, le=5, description="The customer's satisfaction, 1 to 5")
    confirmed_by: str | None = Field(
        default=None, description="User id of who confirmed the satisfaction with the customer"
    )
    confirmation_channel: str | None = Field(
        default=None, description="How it was confirmed: phone, email, online_chat or visit"
    )
    confirmed_on: date | None = Field(default=None, description="The day it was confirmed")
    confirmed_with: UUID | None = Field(
        default=None, description="The customer's contact person who confirmed it, if known"
    )


class CorrectiveActionAdded(PublicEvent):
    """A corrective action was set for a complaint's cause, with its owner and due date."""

    action_id: UUID = Field(description="Id of the action within the complaint")
    customer_id: UUID = Field(description="The complaining customer")
    department: str = Field(description="Department that handles the complaint")
    description: str = Field(description="What is to be done")
    owner: str = Field(description="User id of who does it")
    due_on: date = Field(description="The day it is due by")


class CorrectiveActionCompleted(PublicEvent):
    """A corrective action was done."""

    action_id: UUID = Field(description="The action")
    done_on: date = Field(description="The day it was recorded done")
    outcome: str = Field(description="What it achieved")


class CorrectiveActionOverdue(PublicEvent):
    """A corrective action was not done by the end of its due day; raised once per action
    by crm's deadline check (`by` is null)."""

    action_id: UUID = Field(description="The action")
    customer_id: UUID = Field(description="The complaining customer")
    department: str = Field(description="Department that handles the complaint")
    owner: str = Field(description="User id of who is to do it")
    due_on: date = Field(description="The day it was due by")
    time_zone: DecidingTimeZone


CONTRACT = EventContract(
    "crm",
    {
        Customer.Registered: CustomerRegistered,
        Customer.FileUpdated: CustomerFileUpdated,
        Customer.ContactPersonAdded: ContactPersonAdded,
        Customer.ContactPersonChanged: ContactPersonChanged,
        Customer.ProposalOffered: ProposalOffered,
        Customer.ProposalOutcomeRecorded: ProposalOutcomeRecorded,
        Customer.DealingRecorded: DealingRecorded,
        Customer.PersonalDataErased: CustomerDataErased,
        Customer.StatusChanged: CustomerStatusChanged,
        Customer.OwnerReassigned: CustomerOwnerReassigned,
        Customer.Visited: CustomerVisited,
        Customer.FollowUpOverdue: FollowUpOverdue,
        FollowUp.Scheduled: FollowUpScheduled,
        FollowUp.Recorded: FollowUpRecorded,
        FollowUp.Cancelled: FollowUpCancelled,
        CustomerEvent.Planned: CustomerEventPlanned,
        CustomerEvent.CustomerInvited: CustomerInvited,
        CustomerEvent.AttendanceRecorded: AttendanceRecorded,
        CustomerEvent.Cancelled: CustomerEventCancelled,
        Complaint.Received: ComplaintReceived,
        Complaint.Assigned: ComplaintAssigned,
        Complaint.Responded: ComplaintResponded,
        Complaint.Escalated: ComplaintEscalated,
        Complaint.Resolved: ComplaintResolved,
        Complaint.Reopened: ComplaintReopened,
        Complaint.Closed: ComplaintClosed,
        Complaint.CorrectiveActionAdded: CorrectiveActionAdded,
        Complaint.CorrectiveActionCompleted: CorrectiveActionCompleted,
        Complaint.CorrectiveActionOverdue: CorrectiveActionOverdue,
        Contract.Drafted: ContractDrafted,
        Contract.Signed: ContractSigned,
        Contract.Completed: ContractCompleted,
        Contract.Terminated: ContractTerminated,
    },
)
