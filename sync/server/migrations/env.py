"""Alembic environment of the server-only tables (own version table)."""

from alembic import context

from sync.server.models import ServerBase

VERSION_TABLE = "alembic_version_server"

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=ServerBase.metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
