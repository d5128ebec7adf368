"""How a score is computed (REGULATIONS 8.3), in exact decimal arithmetic.

- **Attainment** of an indicator, in percent: actual / target x 100 when higher is better,
  target / actual x 100 when lower is better (an actual of 0 then attains the cap); capped at
  `ATTAINMENT_CAP` (150) so that one runaway indicator cannot carry the rest. No target for
  the person in the cycle's period: no attainment for that indicator.
- **Rating** of one rater: the mean of attitude, collaboration and innovation (1-5); the
  qualitative value is the mean of all raters' ratings times 20 (5 is 100).
- **Score** = sum(weight_k x value_k) / sum(weight_k) over the components k (each weighted
  indicator, and the ratings) that have a value, with the weights fixed when the cycle
  opened (they add up to 100); a component without a value drops out with its weight, so a
  person is scored on what can be measured for them. No component with a value: no score.
- Python's Decimal throughout (28 significant digits for the divisions, sums and products
  exact); the score alone is rounded, half to even, to 2 places, at the end.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext

from bizdev_performance.domain.values import Direction

ATTAINMENT_CAP = Decimal(150)
HUNDRED = Decimal(100)
RATING_SCALE = Decimal(20)
CENT = Decimal("0.01")


def _ctx() -> AbstractContextManager[Context]:
    return localcontext(prec=28)


def attainment(actual: Decimal | None, target: Decimal, direction: Direction) -> Decimal | None:
    """Percent of the target attained, capped; None without an actual."""
    if actual is None:
        return None
    with _ctx():
        if direction is Direction.HIGHER_IS_BETTER:
            value = actual / target * HUNDRED
        elif actual <= 0:
            value = ATTAINMENT_CAP
        else:
            value = target / actual * HUNDRED
        return min(value, ATTAINMENT_CAP)


@dataclass(frozen=True)
class Rating:
    attitude: int
    collaboration: int
    innovation: int

    def mean(self) -> Decimal:
        with _ctx():
            return Decimal(self.attitude + self.collaboration + self.innovation) / 3


def qualitative(ratings: Iterable[Rating]) -> Decimal | None:
    """The ratings on a 0-100 scale: their mean times 20; None without a rating."""
    means = [r.mean() for r in ratings]
    if not means:
        return None
    with _ctx():
        return sum(means, Decimal(0)) / len(means) * RATING_SCALE


@dataclass(frozen=True)
class Score:
    score: Decimal | None
    quantitative: Decimal | None
    """The weighted mean of the indicators' attainments alone."""
    qualitative: Decimal | None


def score(
    weights: Mapping[str, Decimal],
    ratings_weight: Decimal,
    attainments: Mapping[str, Decimal | None],
    ratings: Iterable[Rating],
) -> Score:
    """`weights` per indicator id, `attainments` per indicator id (None or absent: no value)."""
    with _ctx():
        parts: list[tuple[Decimal, Decimal]] = [
            (weight, value)
            for key, weight in weights.items()
            if (value := attainments.get(key)) is not None
        ]
        quantitative = _weighted(parts)
        rated = qualitative(ratings)
        if rated is not None and ratings_weight > 0:
            parts.append((ratings_weight, rated))
        total = _weighted(parts)
    return Score(
        score=None if total is None else total.quantize(CENT, rounding=ROUND_HALF_EVEN),
        quantitative=quantitative,
        qualitative=rated,
    )


def _weighted(parts: list[tuple[Decimal, Decimal]]) -> Decimal | None:
    weight = sum((w for w, _ in parts), Decimal(0))
    if weight == 0:
        return None
    return sum((w * v for w, v in parts), Decimal(0)) / weight
