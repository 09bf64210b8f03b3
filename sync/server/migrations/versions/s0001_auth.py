"""Server tables: users (Argon2id hashes), enrolled devices, bearer tokens (SHA-256).

Revision ID: s0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "s0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "server_users",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "server_devices",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("enrolled_by", sa.String(64), nullable=False),
        sa.Column("enrolled_at", TS, nullable=False),
        sa.Column("revoked", sa.Boolean, nullable=False),
        sa.Column("contiguous_seq", sa.BigInteger, nullable=False),
        sa.Column("last_seen", TS),
    )
    op.create_table(
        "server_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user", sa.String(64), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("revoked", sa.Boolean, nullable=False),
    )
    op.create_index("ix_server_tokens_user", "server_tokens", ["user"])
    op.create_index("ix_server_tokens_device_id", "server_tokens", ["device_id"])


def downgrade() -> None:
    for table in ("server_tokens", "server_devices", "server_users"):
        op.drop_table(table)
