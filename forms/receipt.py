"""Receipt codes for anonymous cards: 100 random bits, read aloud in groups of four.

Crockford's base32 alphabet has no I, L, O or U, so a code copied by hand survives.
Only an Argon2id hash of the code is ever stored.
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
GROUPS, GROUP_LEN = 5, 4  # 20 symbols × 5 bits = 100 bits
_hasher = PasswordHasher()
LOOKUP_HEX = 4  # 16 bits: a bucket to find the row by, never enough to guess the code


def lookup_tag(code: str) -> str:
    """A cheap, deliberately tiny tag of the code (16 of its 100 bits) stored beside the
    Argon2id hash so the server verifies a handful of candidates, not every receipt."""
    digest = hashlib.sha256(b"safecard-receipt:" + normalise(code).encode()).hexdigest()
    return digest[:LOOKUP_HEX]


def new_code() -> str:
    symbols = "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP_LEN))
    return "-".join(symbols[i : i + GROUP_LEN] for i in range(0, len(symbols), GROUP_LEN))


def normalise(code: str) -> str:
    cleaned = code.upper().replace("-", "").replace(" ", "")
    cleaned = cleaned.replace("O", "0").replace("I", "1").replace("L", "1")
    return "-".join(cleaned[i : i + GROUP_LEN] for i in range(0, len(cleaned), GROUP_LEN))


def hash_code(code: str) -> str:
    return _hasher.hash(normalise(code))


def matches(code: str, hashed: str) -> bool:
    try:
        return _hasher.verify(hashed, normalise(code))
    except (VerificationError, InvalidHashError):
        return False
