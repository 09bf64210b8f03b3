"""The sync tests' in-process server fixtures, reused for the API corpus."""

from tests.sync.conftest import (  # noqa: F401  (pytest finds fixtures by name)
    app,
    cheap_password_hashes,
    config,
    memory_keyring,
    server_store,
    transport,
)
