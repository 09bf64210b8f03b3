"""The first schema: event log, card projection, actions, outbox, meta, FTS5 search.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BIGINT_PK = sa.BigInteger().with_variant(sa.Integer, "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("seq", BIGINT_PK, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(36), nullable=False, unique=True),
        sa.Column("card_id", sa.String(36), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("hlc", sa.BigInteger, nullable=False),
        sa.Column("actor", sa.String(64)),
        sa.Column("device_id", sa.String(64)),
        sa.Column("device_seq", sa.BigInteger),
        sa.Column("payload", sa.JSON, nullable=False),
    )
    op.create_index("ix_events_card_hlc", "events", ["card_id", "hlc"])
    op.create_table(
        "cards",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("site", sa.String(100)),
        sa.Column("department", sa.String(100)),
        sa.Column("location", sa.Text),
        sa.Column("category", sa.String(60)),
        sa.Column("supervisor", sa.String(64)),
        sa.Column("reporter", sa.String(64)),
        sa.Column("anonymous", sa.Boolean, nullable=False),
        sa.Column("filed_at", TS),
        sa.Column("updated_at", TS),
        sa.Column("closed_at", TS),
        sa.Column("risk_band", sa.String(20)),
        sa.Column("risk_score", sa.Integer),
        sa.Column("next_due", TS),
        sa.Column("last_hlc", sa.BigInteger, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
    )
    for column in ("kind", "state", "site", "supervisor", "reporter", "filed_at", "next_due"):
        op.create_index(f"ix_cards_{column}", "cards", [column])
    op.create_table(
        "card_actions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("card_id", sa.String(36), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("due", sa.String(10), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("done_at", TS),
    )
    op.create_index("ix_card_actions_card_id", "card_actions", ["card_id"])
    op.create_index("ix_card_actions_owner", "card_actions", ["owner"])
    op.create_table(
        "outbox",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("not_before", TS),
        sa.Column("attempts", sa.Integer, nullable=False),
    )
    op.create_index("ix_outbox_seq", "outbox", ["seq"])
    op.create_table(
        "meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    if op.get_bind().dialect.name == "sqlite":
        # Trigram tokens make Russian substrings match ("лестн" finds "лестница").
        op.execute(
            "CREATE VIRTUAL TABLE cards_fts USING fts5("
            "card_id UNINDEXED, title, body, tokenize='trigram')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE cards_fts")
    for table in ("meta", "outbox", "card_actions", "cards", "events"):
        op.drop_table(table)
