"""A customer's contact persons, whose identifying details are personal data: given in the
clear in a command, checked, then kept only sealed with the customer's own key."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from bizdev_common.domain import RuleViolation, require_text


@dataclass(frozen=True)
class Sealed:
    """A piece of personal data encrypted with its customer's own key: base64 text of the
    nonce and the AES-GCM ciphertext. Meaningless without the key; once the key is destroyed
    it is meaningless for good."""

    token: str

    def __repr__(self) -> str:
        return "Sealed(...)"


Seal = Callable[[str], Sealed]
"""Encrypts one piece of personal data for the customer at hand; pure computation (the
application fetched the key), so the domain stays free of I/O."""


@dataclass(frozen=True)
class ContactPerson:
    """A contact person of a customer as the aggregate keeps it: `position` is the only field
    in the clear. After erasure the sealed fields remain, unreadable without the key."""

    position: str
    name: Sealed
    phone: Sealed | None
    email: Sealed | None


@dataclass(frozen=True)
class ContactDetails:
    """A contact person as given in a command, in the clear; never stored so, and kept out of
    its repr so that no traceback or log line shows it."""

    position: str
    name: str = field(repr=False)
    phone: str | None = field(default=None, repr=False)
    email: str | None = field(default=None, repr=False)


_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{4,30}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def sealed_contact(details: ContactDetails, seal: Seal, prefix: str = "") -> ContactPerson:
    """Checks a contact person's details, then seals the personal ones. Refusals name the
    field but never echo its value, which is personal data."""
    require_text(f"{prefix}position", details.position)
    require_text(f"{prefix}name", details.name)
    if details.phone is not None and not _PHONE.match(details.phone):
        raise RuleViolation(f"{prefix}phone", "phone must be digits, spaces, ( ) - and a leading +")
    if details.email is not None and not _EMAIL.match(details.email):
        raise RuleViolation(f"{prefix}email", "email must be an address such as name@example.com")
    return ContactPerson(
        position=details.position,
        name=seal(details.name),
        phone=None if details.phone is None else seal(details.phone),
        email=None if details.email is None else seal(details.email),
    )
