"""Receipts of anonymous cards: Argon2id hash and a 16-bit lookup tag per card.

Revision ID: s0003
Revises: s0002
"""

import sqlalchemy as sa
from alembic import op

revision = "s0003"
down_revision = "s0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "server_receipts",
        sa.Column("card_id", sa.String(36), primary_key=True),
        sa.Column("lookup", sa.String(16), nullable=False),
        sa.Column("receipt_hash", sa.String(200), nullable=False),
    )
    op.create_index("ix_server_receipts_lookup", "server_receipts", ["lookup"])


def downgrade() -> None:
    op.drop_index("ix_server_receipts_lookup", "server_receipts")
    op.drop_table("server_receipts")
