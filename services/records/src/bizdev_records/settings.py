"""The records service's own settings (BIZDEV_RECORDS_*)."""

from __future__ import annotations

from bizdev_common.settings import ServiceSettings
from pydantic import Field

from bizdev_records.domain import Category

DEFAULT_CONTENT_TYPES = (
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/tiff",
    "text/plain",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)


class RecordsSettings(ServiceSettings):
    retention_years: dict[Category, int] = Field(
        default_factory=lambda: {
            Category.CUSTOMER: 10,
            Category.PROJECT: 10,
            Category.CONTRACT: 30,
            Category.MARKETING: 3,
        },
        description="Years a category's records are kept after their file's active life "
        'ended, a JSON object such as {"customer": 10, "project": 10, "contract": 30, '
        '"marketing": 3}',
    )
    archivist_approves_loans: list[Category] = Field(
        default_factory=lambda: [Category.CONTRACT],
        description="Categories whose loans the archivist approves instead of the borrower's "
        "department head, a JSON list",
    )
    content_types: list[str] = Field(
        default_factory=lambda: list(DEFAULT_CONTENT_TYPES),
        description="Media types an uploaded document may have; its first bytes must match",
    )

    def years_for(self, category: Category) -> int:
        return self.retention_years.get(category, max(self.retention_years.values(), default=10))
