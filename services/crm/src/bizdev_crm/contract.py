"""The crm service's published events (topic `bizdev.crm.events.v1`).

Contact persons' names, phones and e-mails are personal data and never leave crm: events
about contact persons carry their ids and positions only, so a consumer that must forget a
person (on CustomerDataErased) forgets them by id."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from bizdev_common.contract import EventContract, MoneyModel, PublicEvent
from pydantic import Field

from bizdev_crm.domain import Complaint, Customer, CustomerEvent, FollowUp

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


class ComplaintAssigned(PublicEvent):
    """The head of the department (or management) named the complaint's owner."""

    owner: str = Field(description="User id of the owner, who answers and resolves it")
    department: str = Field(description="Department that handles the complaint")


class ComplaintResponded(PublicEvent):
    """The owner answered the customer with a proposal; the first answer meets the response
    deadline."""

    proposal: str = Field(description="What was proposed to the customer")


class ComplaintEscalated(PublicEvent):
    """The complaint's response deadline passed without an answer. Raised once per
    complaint by crm's deadline check, so `by` is null."""

    customer_id: UUID = Field(description="The complaining customer")
    department: str = Field(description="Department that handles the complaint")
    owner: str | None = Field(description="The owner, or null when none was assigned")
    severity: str = Field(description="low, medium, high or critical")
    response_due_at: datetime = Field(description="The deadline that passed (UTC)")
    escalated_at: datetime = Field(description="When the check found it overdue (UTC)")


class ComplaintResolved(PublicEvent):
    """The customer accepted the owner's proposal; a root-cause analysis closes it next."""

    customer_id: UUID = Field(description="The complaining customer")
    resolution: str = Field(description="What was agreed with the customer")


class ComplaintReopened(PublicEvent):
    """The customer was not satisfied: the complaint is back with its owner (assigned) for
    another proposal."""

    reason: str = Field(description="Why the customer was not satisfied")


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
    },
)
