"""Directory users, personnel numbers and PINs (issue 19: sync/server/directory.py,
sync/server/signin.py).

Revision ID: s0005_package
Revises: s0004
"""

import sqlalchemy as sa
from alembic import op

revision = "s0005_package"
down_revision = "s0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("server_users") as batch:
        batch.add_column(sa.Column("source", sa.String(20), nullable=False,
                                   server_default="local"))
        batch.add_column(sa.Column("personnel_number", sa.String(32), nullable=True))
        batch.add_column(sa.Column("pin_hash", sa.String(200), nullable=True))
        batch.add_column(sa.Column("pin_failures", sa.Integer, nullable=False,
                                   server_default="0"))
        batch.create_index("ix_server_users_personnel_number", ["personnel_number"],
                           unique=True)


def downgrade() -> None:
    with op.batch_alter_table("server_users") as batch:
        batch.drop_index("ix_server_users_personnel_number")
        for column in ("pin_failures", "pin_hash", "personnel_number", "source"):
            batch.drop_column(column)
