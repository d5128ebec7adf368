"""Read models of the risk service, fed by its own topic: one projection per record family,
each with its own tables, so that a changed table rebuilds only its family.

- `register`: the risks, their assessments, responses, measures and measure reviews;
- `indicators`: the key risk indicators and their values over time;
- `alerts`: the alerts a crossed threshold raises;
- `rounds`: the identification rounds and each department's submission;
- `meetings`: the review meetings.

Each family keeps the inbox items and deadlines its records arm, in the transaction of its
rows, and follows its record row's version guard (bizdev_common.inbox and .projector say
how, and why a family only creates the inbox's table)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bizdev_common.projector import Projection

from bizdev_risk.projections.alerts import Alerts
from bizdev_risk.projections.indicators import Indicators
from bizdev_risk.projections.meetings import Meetings
from bizdev_risk.projections.register import Register
from bizdev_risk.projections.rounds import Rounds

INBOX_KINDS = [
    "alert_to_acknowledge",
    "acceptance_to_sign_off",
    "measure_due",
    "measure_review_due",
    "identification_to_submit",
]
"""What waits on someone in risk (GET /inbox `kind`)."""

PROJECTIONS: Sequence[Callable[[str], Projection]] = (
    Register,
    Indicators,
    Alerts,
    Rounds,
    Meetings,
)
"""The service's read models, for its wiring."""

__all__ = ["INBOX_KINDS", "PROJECTIONS", "Alerts", "Indicators", "Meetings", "Register", "Rounds"]
