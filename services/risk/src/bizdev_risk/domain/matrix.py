"""The 5x5 risk matrix (REGULATIONS 5.1): likelihood 1-5 x impact 1-5 gives the score, and
the score's level. Where one level ends and the next begins is the company's choice, so the
boundaries are settings, checked once here."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bizdev_common.domain import RuleViolation


class Level(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Level).index(self)


SCALE = range(1, 6)


@dataclass(frozen=True)
class Matrix:
    """A score of `medium_from` or more is medium, `high_from` or more high, `critical_from`
    or more critical; below `medium_from` low."""

    medium_from: int = 5
    high_from: int = 10
    critical_from: int = 20

    def __post_init__(self) -> None:
        if not 1 < self.medium_from < self.high_from < self.critical_from <= 25:
            raise ValueError(
                "level boundaries must rise within the matrix: "
                "1 < medium_from < high_from < critical_from <= 25"
            )

    @staticmethod
    def score(likelihood: int, impact: int) -> int:
        for name, value in (("likelihood", likelihood), ("impact", impact)):
            if value not in SCALE:
                raise RuleViolation(name, f"{name} is 1 to 5, not {value}")
        return likelihood * impact

    def level(self, score: int) -> Level:
        if not 1 <= score <= 25:
            raise RuleViolation("score", f"a score is 1 to 25, not {score}")
        if score >= self.critical_from:
            return Level.CRITICAL
        if score >= self.high_from:
            return Level.HIGH
        if score >= self.medium_from:
            return Level.MEDIUM
        return Level.LOW
