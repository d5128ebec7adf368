"""Read models of the finance service, one projection per record family, each rebuilt alone
when its tables change: budgets (with their versions, lines and spending, and the inbox of
what waits on finance or management), receivables with their invoices, closed periods, and,
from projects' topic, each project's team lead, who may read its budget.

Every write follows its record's version guard (bizdev_common.projector): a redelivered or
older event changes nothing, so the lines' running totals are added to exactly once."""

from __future__ import annotations

from bizdev_finance.projections.budgets import INBOX_KINDS, Budgets
from bizdev_finance.projections.periods import Periods
from bizdev_finance.projections.receivables import Receivables
from bizdev_finance.projections.team_leads import TeamLeads

PROJECTIONS = (Budgets, Receivables, Periods, TeamLeads)

__all__ = ["INBOX_KINDS", "PROJECTIONS", "Budgets", "Periods", "Receivables", "TeamLeads"]
