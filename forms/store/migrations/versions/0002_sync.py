"""Sync columns on the event log: a payload hash, and on PostgreSQL the writing transaction.

`payload_hash` lets the server tell a retried event (same id, same content: "known") from a
different event reusing an id (a conflict). On PostgreSQL `tx` records the id of the
transaction that inserted the row; pulls read `(tx, seq)` below the oldest running
transaction, so a row whose transaction commits late is never skipped (DESIGN.md §7).
SQLite has one writer at a time, so its plain `seq` order is already commit order.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("payload_hash", sa.String(64)))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE events ADD COLUMN tx xid8 NOT NULL DEFAULT pg_current_xact_id()")
        op.execute("CREATE INDEX ix_events_tx_seq ON events (tx, seq)")
        op.execute("CREATE INDEX ix_events_device ON events (device_id, device_seq)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_events_device")
        op.execute("DROP INDEX ix_events_tx_seq")
        op.execute("ALTER TABLE events DROP COLUMN tx")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("payload_hash")
