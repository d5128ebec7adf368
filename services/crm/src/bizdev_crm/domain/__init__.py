"""Customer relationships (REGULATIONS §4): customers and their file, follow-up visits,
customer events, and complaints. One module per record (aggregate), or a package where it
grew (customer, complaint: the aggregate in its `__init__`, so its events' topics stay as
stored, its stored events in `events`); `values` holds the states and kinds more than one of
them, or the API and the views, speak of.

Every rule is checked in a public command method before its event is triggered; the private
methods decorated with `@event` only apply an event, because they run again whenever an
aggregate is rebuilt from its history, and a rule changed later must not rewrite the past.
Checks run in the order the API reports them: who may act (403), then whether the record's
state allows it (409), then what the command says (422).

Contact persons' names, phones and e-mails are personal data. The domain decides who may see
them in the clear (`Customer.shows_personal_data_to`), checks them like any
other input and then keeps them only `Sealed`, through a `Seal` function the application
layer gives it (AES-GCM with the customer's own key, see personal_data.py): no event ever
holds them in the clear, and destroying the key erases them from every event ever stored.
"""

from __future__ import annotations

from bizdev_common.stored_topics import keep_old_topics

from bizdev_crm.domain.complaint import UNANSWERED, Complaint, CorrectiveAction
from bizdev_crm.domain.contract import Contract, ContractNumber
from bizdev_crm.domain.customer import (
    ContactDetails,
    ContactPerson,
    Customer,
    Proposal,
    Seal,
    Sealed,
    VisitCycle,
)
from bizdev_crm.domain.customer_event import CustomerEvent
from bizdev_crm.domain.follow_up import FollowUp
from bizdev_crm.domain.values import (
    CauseCategory,
    Channel,
    ComplaintChannel,
    ComplaintState,
    ConfirmationChannel,
    ContractState,
    CustomerEventKind,
    CustomerEventState,
    CustomerStatus,
    Deadline,
    FollowUpState,
    ProposalOutcome,
    Severity,
)

STORED_BEFORE_THE_SPLIT = keep_old_topics(
    "bizdev_crm.domain", Customer, FollowUp, CustomerEvent, Complaint
)
"""Until issue 8 every record lived in the module `bizdev_crm.domain`: the events stored then
name their classes there."""

__all__ = [
    "UNANSWERED",
    "CauseCategory",
    "Channel",
    "Complaint",
    "ComplaintChannel",
    "ComplaintState",
    "ConfirmationChannel",
    "ContactDetails",
    "ContactPerson",
    "Contract",
    "ContractNumber",
    "ContractState",
    "CorrectiveAction",
    "Customer",
    "CustomerEvent",
    "CustomerEventKind",
    "CustomerEventState",
    "CustomerStatus",
    "Deadline",
    "FollowUp",
    "FollowUpState",
    "Proposal",
    "ProposalOutcome",
    "Seal",
    "Sealed",
    "Severity",
    "VisitCycle",
]
