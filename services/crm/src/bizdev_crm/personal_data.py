"""Contact persons' personal data, sealed with a key of each customer's own (crypto-shredding),
those keys wrapped by a key-encryption key (KEK) the database never holds, and shown in the
clear only to who needs to know.

- Each customer gets a random 256-bit AES-GCM key when it is registered. Names, phones and
  e-mails are sealed with it before any event is stored, so neither the event store nor the
  topic (which carries ids only) nor any read model ever holds them in the clear.
- The customer keys are kept in crm's `customer_keys` table only wrapped by the KEK (AES-GCM,
  the customer id as associated data so a wrapped key moved to another row does not open),
  with the id of the KEK that wrapped them. The KEK comes from a secret (an environment
  variable or a mounted file), never from the database: a dump of the database alone, or
  read access to it, opens nothing.
- Rotating the KEK re-wraps the customer keys (`bizdev-crm rotate-kek`); the customer keys
  and so every sealed value in the events stay as they are.
- Erasure destroys the customer's wrapped key: every sealed value of that customer, in every
  event ever stored, becomes unreadable, while the history itself stays whole. Queries open
  sealed values at read time and show what they cannot open as erased.
- Keys are read from the table on every use, never cached, so that a key destroyed by one
  replica is gone for all at once.

Free-text business fields (needs, visit notes, complaint descriptions) are records of the
business, not sealed: the API names people in them by contact person id.

Backups of the `customer_keys` table outlive an erasure unless they are kept short; with the
KEK kept apart they are useless to whoever holds only them.
"""

from __future__ import annotations

import base64
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from eventsourcing.persistence import Transcoding
from psycopg_pool import ConnectionPool

from bizdev_crm.domain import ContactPerson, Sealed

NONCE_BYTES = 12
POOL_TIMEOUT_SECONDS = 5.0
"""As long as the event store's pool waits for a connection."""
MIN_KEK_CHARS = 32

log = logging.getLogger(__name__)


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


class KekUnavailable(RuntimeError):
    """A wrapped key names a KEK this process was not given: a configuration fault."""


def _derive(material: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        material.encode()
    )


class KeyEncryptionKey:
    """One KEK. Its secret is any text of at least 32 characters (an operator's secret
    manager hands out text, not raw bytes); the AES key is derived from it with HKDF, and so
    is its id, which names it in every row it wrapped without revealing anything of it."""

    def __init__(self, material: str) -> None:
        material = material.strip()
        if len(material) < MIN_KEK_CHARS:
            raise ValueError(f"a personal-data KEK must be at least {MIN_KEK_CHARS} characters")
        self._aead = AESGCM(_derive(material, b"bizdev crm personal-data KEK"))
        self.id = _derive(material, b"bizdev crm personal-data KEK id")[:8].hex()
        self.is_dev_value = "change-me" in material.lower()

    def wrap(self, customer_id: UUID, key: CustomerKey) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, key.key, customer_id.bytes)

    def unwrap(self, customer_id: UUID, wrapped: bytes) -> CustomerKey:
        return CustomerKey(
            self._aead.decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], customer_id.bytes)
        )

    def __repr__(self) -> str:
        return f"KeyEncryptionKey(id={self.id})"


class KeyRing:
    """The current KEK, which wraps every key stored from now on, and the previous ones,
    still accepted for unwrapping until `rotate-kek` has re-wrapped what they wrapped."""

    def __init__(self, current: str, previous: Sequence[str] = ()) -> None:
        self.current = KeyEncryptionKey(current)
        self.by_id = {k.id: k for k in (KeyEncryptionKey(p) for p in previous)}
        self.by_id[self.current.id] = self.current
        if any(k.is_dev_value for k in self.by_id.values()):
            log.warning(
                "the personal-data KEK is a published dev value: anyone with the database can "
                "open contact persons' data. Set BIZDEV_CRM_PERSONAL_DATA_KEK(_FILE) to a secret."
            )

    def kek(self, kek_id: str) -> KeyEncryptionKey:
        try:
            return self.by_id[kek_id]
        except KeyError:
            raise KekUnavailable(
                f"a customer key is wrapped by KEK {kek_id}, which this process was not given: "
                "add it to BIZDEV_CRM_PERSONAL_DATA_KEK_PREVIOUS(_FILE) and run rotate-kek"
            ) from None


def secrets_of(text: str) -> list[str]:
    """KEK secrets given as text: one per line or comma-separated, blanks ignored."""
    return [part.strip() for part in re.split(r"[,\n]", text) if part.strip()]


KEYS_DDL = """
CREATE TABLE IF NOT EXISTS {table} (
    customer_id uuid PRIMARY KEY,
    kek_id text NOT NULL,
    wrapped_key bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
)
"""


class KeyStore:
    """The customers' keys in crm's own schema, wrapped by the KEK (synchronous, like the
    event store, for the command handlers in the threadpool)."""

    def __init__(self, database_url: str, schema: str, ring: KeyRing, connections: int) -> None:
        self.table = f'"{schema}".customer_keys'
        self.schema = schema
        self.ring = ring
        # Checked when taken, so that a connection the database dropped (a restart) is
        # replaced rather than failing the call; and a bounded wait for one, after which the
        # pool's PoolTimeout answers 503 (errors.py) while the database is away.
        self.pool = ConnectionPool(
            database_url,
            min_size=1,
            max_size=connections,
            kwargs={"autocommit": True},
            open=True,
            check=ConnectionPool.check_connection,
            timeout=POOL_TIMEOUT_SECONDS,
        )
        with self.pool.connection() as conn:
            conn.execute(KEYS_DDL.format(table=self.table))
        self._wrap_unwrapped_keys()

    def _wrap_unwrapped_keys(self) -> None:
        """Keys stored before they were wrapped (a `key` column) are wrapped, once, and the
        clear column dropped, under a lock so that replicas starting together do it once."""
        with self.pool.connection() as conn, conn.transaction():
            legacy = conn.execute(
                "SELECT 1 FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = 'customer_keys' AND column_name = 'key'",
                (self.schema,),
            ).fetchone()
            if legacy is None:
                return
            conn.execute(f"LOCK TABLE {self.table} IN ACCESS EXCLUSIVE MODE")
            conn.execute(f"ALTER TABLE {self.table} ADD COLUMN IF NOT EXISTS kek_id text")
            conn.execute(f"ALTER TABLE {self.table} ADD COLUMN IF NOT EXISTS wrapped_key bytea")
            kek = self.ring.current
            for customer_id, key in conn.execute(
                f"SELECT customer_id, key FROM {self.table} WHERE wrapped_key IS NULL"
            ).fetchall():
                conn.execute(
                    f"UPDATE {self.table} SET kek_id = %s, wrapped_key = %s WHERE customer_id = %s",
                    (kek.id, kek.wrap(customer_id, CustomerKey(bytes(key))), customer_id),
                )
            conn.execute(f"ALTER TABLE {self.table} DROP COLUMN key")
            conn.execute(f"ALTER TABLE {self.table} ALTER COLUMN kek_id SET NOT NULL")
            conn.execute(f"ALTER TABLE {self.table} ALTER COLUMN wrapped_key SET NOT NULL")
        log.warning("wrapped the customer keys stored in the clear with KEK %s", kek.id)

    def store(self, customer_id: UUID, key: CustomerKey) -> None:
        """Idempotent by customer: a retried registration keeps the first key."""
        kek = self.ring.current
        with self.pool.connection() as conn:
            conn.execute(
                f"INSERT INTO {self.table} (customer_id, kek_id, wrapped_key) "
                "VALUES (%s, %s, %s) ON CONFLICT (customer_id) DO NOTHING",
                (customer_id, kek.id, kek.wrap(customer_id, key)),
            )

    def key_of(self, customer_id: UUID) -> CustomerKey | None:
        """The customer's key, or None once it was destroyed."""
        with self.pool.connection() as conn:
            row = conn.execute(
                f"SELECT kek_id, wrapped_key FROM {self.table} WHERE customer_id = %s",
                (customer_id,),
            ).fetchone()
        if row is None:
            return None
        return self.ring.kek(row[0]).unwrap(customer_id, bytes(row[1]))

    def rotate(self) -> int:
        """Re-wraps every key not wrapped by the current KEK with it; returns how many. Each
        row is rewritten only if it still holds what was read, so a key destroyed meanwhile
        stays destroyed, and a second run (or a replica doing it too) finds nothing to do."""
        current = self.ring.current
        with self.pool.connection() as conn:
            rows = conn.execute(
                f"SELECT customer_id, kek_id, wrapped_key FROM {self.table} WHERE kek_id <> %s",
                (current.id,),
            ).fetchall()
            rotated = 0
            for customer_id, kek_id, wrapped in rows:
                try:
                    key = self.ring.kek(kek_id).unwrap(customer_id, bytes(wrapped))
                except InvalidTag as e:
                    raise KekUnavailable(
                        f"the key of customer {customer_id} does not open with KEK {kek_id}"
                    ) from e
                rotated += conn.execute(
                    f"UPDATE {self.table} SET kek_id = %s, wrapped_key = %s "
                    "WHERE customer_id = %s AND kek_id = %s AND wrapped_key = %s",
                    (current.id, current.wrap(customer_id, key), customer_id, kek_id, wrapped),
                ).rowcount
        return rotated

    def destroy(self, customer_id: UUID) -> None:
        with self.pool.connection() as conn:
            conn.execute(f"DELETE FROM {self.table} WHERE customer_id = %s", (customer_id,))

    def close(self) -> None:
        self.pool.close()


@dataclass(frozen=True)
class OpenedContact:
    """A contact person as a query shows it: the personal fields in the clear to who needs
    to know, masked to everyone else, and None with `erased` once the key is destroyed."""

    contact_id: UUID
    position: str
    name: str | None
    phone: str | None
    email: str | None
    erased: bool


MASK = "***"


def mask_name(name: str) -> str:
    """Enough to tell two contact persons apart in a list, not to identify one."""
    return name.strip()[:1] + MASK


def mask_phone(phone: str) -> str:
    """The country code (where given) and the last four digits, as on a receipt."""
    country = re.match(r"^\+\d{1,3}(?=[ (\-])", phone)
    digits = re.sub(r"\D", "", phone)
    tail = digits[-4:] if len(digits) > 8 else ""
    return " ".join(p for p in (country.group() if country else "", MASK, tail) if p)


def mask_email(email: str) -> str:
    """The first letter and the domain, which is the customer's, not the person's."""
    local, _, domain = email.rpartition("@")
    return f"{local[:1]}{MASK}@{domain}"


def open_contacts(
    key: CustomerKey | None, contacts: dict[UUID, ContactPerson], *, in_clear: bool
) -> list[OpenedContact]:
    """`in_clear` is the domain's need-to-know decision for the reader at hand."""
    if key is None:
        return [
            OpenedContact(cid, c.position, None, None, None, True) for cid, c in contacts.items()
        ]
    name, phone, email = (str, str, str) if in_clear else (mask_name, mask_phone, mask_email)
    return [
        OpenedContact(
            contact_id=cid,
            position=c.position,
            name=name(key.open(c.name)),
            phone=None if c.phone is None else phone(key.open(c.phone)),
            email=None if c.email is None else email(key.open(c.email)),
            erased=False,
        )
        for cid, c in contacts.items()
    ]
