"""A complaint's corrective actions (REGULATIONS 4.3), as the complaint keeps them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class CorrectiveAction:
    """What is done so that a complaint's cause does not recur, by whom and by when; followed
    up until it is done."""

    description: str
    owner: str
    due_on: date
    done_on: date | None = None
    outcome: str | None = None
    overdue_raised: bool = False
