"""Server-only tables: users, enrolled devices, bearer tokens, attachment blobs.

Their own metadata and Alembic history (version table `alembic_version_server`), beside the
shared event log and projection that forms/store migrates; docs/decisions.md, "Sync".
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Integer, LargeBinary, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from forms.store.models import UTCDateTime

ROLES = ("staff", "supervisor", "auditor", "admin")
LOCAL, DIRECTORY = "local", "directory"  # where a user's password is checked


class ServerBase(DeclarativeBase):
    pass


class UserRow(ServerBase):
    __tablename__ = "server_users"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A directory user's row is made at their first sign-in and keeps their role from their
    # groups; its password_hash is never used (sync/server/directory.py).
    source: Mapped[str] = mapped_column(String(20), default=LOCAL, server_default=LOCAL)
    # Personnel number and PIN for a shared terminal's quick sign-in (sync/server/signin.py).
    personnel_number: Mapped[str | None] = mapped_column(String(32), unique=True, index=True)
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    pin_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class DeviceRow(ServerBase):
    __tablename__ = "server_devices"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    enrolled_by: Mapped[str] = mapped_column(String(64))
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    contiguous_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TokenRow(ServerBase):
    __tablename__ = "server_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of it
    user: Mapped[str] = mapped_column(String(64), index=True)
    device_id: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class BlobRow(ServerBase):
    """An attachment, named by the SHA-256 of its bytes; written once, never changed.

    No uploader and no upload time: the drop box's photos will live here too, and a
    timestamp or a name would tie an anonymous card's photo to a person (DESIGN.md §6)."""

    __tablename__ = "server_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ReceiptRow(ServerBase):
    """An anonymous card's receipt: the Argon2id hash from its card.filed payload and a
    16-bit lookup tag to find candidates by (sync/server/anonymous.py). Nothing else: no
    time, no address, no device."""

    __tablename__ = "server_receipts"

    card_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    lookup: Mapped[str] = mapped_column(String(16), index=True)
    receipt_hash: Mapped[str] = mapped_column(String(200))
