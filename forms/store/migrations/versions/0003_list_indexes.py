"""List indexes: each default card list reads its first page from an index, in order.

The lists sort by `filed_at` newest first with the card id as tie-break, so that lazily
loaded pages never overlap; an index on `filed_at` alone still made SQLite sort every tied
row (100k cards filed by an import share one time). `(filed_at, id)` serves «Все карточки»;
`(supervisor, filed_at, id)` the inbox and `(reporter, filed_at, id)` «Мои карточки», which
also serve the plain equality filters the single-column indexes they replace served.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

REPLACED = {
    "ix_cards_filed_at": ("ix_cards_filed_at_id", ["filed_at", "id"]),
    "ix_cards_supervisor": ("ix_cards_supervisor_filed", ["supervisor", "filed_at", "id"]),
    "ix_cards_reporter": ("ix_cards_reporter_filed", ["reporter", "filed_at", "id"]),
}


def upgrade() -> None:
    for old, (new, columns) in REPLACED.items():
        op.create_index(new, "cards", columns)
        op.drop_index(old, table_name="cards")


def downgrade() -> None:
    for old, (new, columns) in REPLACED.items():
        op.create_index(old, "cards", columns[:1])
        op.drop_index(new, table_name="cards")
