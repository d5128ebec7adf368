"""What performance does on other services' events, and on deadlines passing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from bizdev_common.contract import PublicEvent
from bizdev_common.domain import Money
from bizdev_common.envelope import Envelope
from bizdev_common.eventstore import ServiceApplication
from bizdev_common.reactions import Reaction
from bizdev_common.scheduler import DeadlineCheck
from eventsourcing.domain import Aggregate

from bizdev_performance.application import PerformanceApplication
from bizdev_performance.domain import Evaluation, LeadReward, Policy
from bizdev_performance.domain.lead_reward import FIXED, SHARE
from bizdev_performance.settings import PerformanceSettings
from bizdev_performance.upstream import LEADS, LeadConverted, ProjectOpened

STEP_DUE = "evaluation_step_due"
"""Deadline kind, armed by the views: an evaluation's step (item: feedback or
acknowledgement) is due by the end of its day."""


def policy_of(settings: PerformanceSettings) -> Policy:
    if settings.lead_reward_policy == SHARE:
        return Policy(SHARE, share_percent=settings.lead_reward_share_percent)
    return Policy(FIXED, amount=Money(settings.lead_reward_amount, settings.lead_reward_currency))


class LeadRewardReaction(Reaction):
    """A converted lead rewards its finder, once; the project it became gives the expected
    revenue a share is taken of. Either may arrive first; a redelivery changes nothing."""

    name = "lead_rewards"
    upstream = (LEADS,)

    def react(
        self, app: ServiceApplication, event: PublicEvent, envelope: Envelope
    ) -> Sequence[Aggregate]:
        assert isinstance(app, PerformanceApplication)
        match event:
            case LeadConverted():
                lead_id = event.aggregate_id
            case ProjectOpened(lead_id=UUID() as lead_id):
                pass
            case _:
                return ()
        reward = app.find(LeadReward, LeadReward.create_id(lead_id)) or LeadReward.note(lead_id)
        if isinstance(event, LeadConverted):
            changed = reward.converted(
                finder=event.finder,
                department=event.department,
                project_id=event.project_id,
                application_id=event.application_id,
                converted_by=event.by,
                policy=policy_of(app.settings),
            )
        else:
            assert isinstance(event, ProjectOpened)
            changed = reward.revenue_expected(event.aggregate_id, event.expected_revenue.to_money())
        return (reward,) if changed else ()


class EvaluationStepCheck(DeadlineCheck[PerformanceApplication]):
    """Feedback not delivered, or not acknowledged, when its day is over: reported once."""

    kind = STEP_DUE

    def fire(
        self, app: PerformanceApplication, aggregate_id: UUID, item: str, now: datetime
    ) -> None:
        app.act(
            Evaluation, aggregate_id, None, lambda evaluation: evaluation.step_overdue(item, now)
        )
