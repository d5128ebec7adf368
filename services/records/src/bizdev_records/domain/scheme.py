"""The one classification scheme of the archive (REGULATIONS 9.1): four categories, each with
its number prefix and the series a record of it is classified into.

A record's archive number is `<PREFIX>-<year>-<sequence>`, e.g. `PRJ-2026-000123`: the
sequence counts the records numbered in that category and year, from 1, without gaps."""

from __future__ import annotations

from datetime import date
from enum import StrEnum


class Category(StrEnum):
    CUSTOMER = "customer"
    PROJECT = "project"
    CONTRACT = "contract"
    MARKETING = "marketing"


PREFIX = {
    Category.CUSTOMER: "CUS",
    Category.PROJECT: "PRJ",
    Category.CONTRACT: "CON",
    Category.MARKETING: "MKT",
}

SERIES: dict[Category, tuple[str, ...]] = {
    Category.CUSTOMER: ("profile", "dealings", "complaints"),
    Category.PROJECT: ("initiation", "planning", "execution", "closure"),
    Category.CONTRACT: ("agreement", "performance", "termination"),
    Category.MARKETING: ("insight", "campaign", "material"),
}
"""Within a category, what a record is about; `<category>/<series>` is its classification."""


def archive_number(category: Category, year: int, sequence: int) -> str:
    return f"{PREFIX[category]}-{year}-{sequence:06d}"


def years_after(day: date, years: int) -> date:
    """The same day `years` later (29 February becomes 28 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
