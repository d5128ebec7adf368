"""Contact persons' personal data, sealed with a key of each customer's own (crypto-shredding).

- Each customer gets a random 256-bit AES-GCM key when it is registered, kept in crm's
  `customer_keys` table. Names, phones and e-mails are sealed with it before any event is
  stored, so neither the event store nor the topic (which carries ids only) nor any read model
  ever holds them in the clear.
- Erasure destroys the key: every sealed value of that customer, in every event ever stored,
  becomes unreadable, while the history itself stays whole. Queries open sealed values at
  read time and show what they cannot open as erased.
- Keys are read from the table on every use, never cached, so that a key destroyed by one
  replica is gone for all at once.

Free-text business fields (needs, visit notes, complaint descriptions) are records of the
business, not sealed: the API names people in them by contact person id.

Backups of the `customer_keys` table outlive an erasure unless they are kept short or the
keys are held in a KMS instead; that is an operational choice outside this module.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import Transcoding
from psycopg_pool import ConnectionPool

from bizdev_crm.domain import ContactPerson, Sealed

NONCE_BYTES = 12


class CustomerKey:
    """One customer's key: seals and opens that customer's personal data."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)
        self.key = key

    @classmethod
    def new(cls) -> CustomerKey:
        return cls(AESGCM.generate_key(bit_length=256))

    def seal(self, plaintext: str) -> Sealed:
        nonce = os.urandom(NONCE_BYTES)
        ciphertext = self._aead.encrypt(nonce, plaintext.encode(), None)
        return Sealed(base64.b64encode(nonce + ciphertext).decode("ascii"))

    def open(self, sealed: Sealed) -> str:
        raw = base64.b64decode(sealed.token)
        return self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], None).decode()

    def __repr__(self) -> str:
        return "CustomerKey(...)"


class SealedAsText(Transcoding):
    """Stores a sealed value as its base64 text."""

    type = Sealed
    name = "sealed"

    def encode(self, obj: Sealed) -> str:
        return obj.token

    def decode(self, data: str) -> Sealed:
        return Sealed(data)


KEYS_DDL = """
CREATE TABLE IF NOT EXISTS {table} (
    customer_id uuid PRIMARY KEY,
    key bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
)
"""


class KeyStore:
    """The customers' keys in crm's own schema (synchronous, like the event store, for the
    command handlers in the threadpool)."""

    def __init__(self, database_url: str, schema: str) -> None:
        self.table = f'"{schema}".customer_keys'
        self.pool = ConnectionPool(
            database_url, min_size=1, max_size=8, kwargs={"autocommit": True}, open=True
        )
        with self.pool.connection() as conn:
            conn.execute(KEYS_DDL.format(table=self.table))

    def store(self, customer_id: UUID, key: CustomerKey) -> None:
        """Idempotent by customer: a retried registration keeps the first key."""
        with self.pool.connection() as conn:
            conn.execute(
                f"INSERT INTO {self.table} (customer_id, key) VALUES (%s, %s) "
                "ON CONFLICT (customer_id) DO NOTHING",
                (customer_id, key.key),
            )

    def key_of(self, customer_id: UUID) -> CustomerKey | None:
        """The customer's key, or None once it was destroyed."""
        with self.pool.connection() as conn:
            row = conn.execute(
                f"SELECT key FROM {self.table} WHERE customer_id = %s", (customer_id,)
            ).fetchone()
        return None if row is None else CustomerKey(bytes(row[0]))

    def destroy(self, customer_id: UUID) -> None:
        with self.pool.connection() as conn:
            conn.execute(f"DELETE FROM {self.table} WHERE customer_id = %s", (customer_id,))

    def close(self) -> None:
        self.pool.close()


@dataclass(frozen=True)
class OpenedContact:
    """A contact person as a query shows it: the personal fields in the clear while the
    customer's key exists, None with `erased` once it is destroyed."""

    contact_id: UUID
    position: str
    name: str | None
    phone: str | None
    email: str | None
    erased: bool


def open_contacts(
    key: CustomerKey | None, contacts: dict[UUID, ContactPerson]
) -> list[OpenedContact]:
    if key is None:
        return [
            OpenedContact(cid, c.position, None, None, None, True) for cid, c in contacts.items()
        ]
    return [
        OpenedContact(
            contact_id=cid,
            position=c.position,
            name=key.open(c.name),
            phone=None if c.phone is None else key.open(c.phone),
            email=None if c.email is None else key.open(c.email),
            erased=False,
        )
        for cid, c in contacts.items()
    ]
