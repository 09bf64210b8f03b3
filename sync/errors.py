"""Sync failures as SafeCardErrors (catalogue keys, exit codes of DESIGN.md §10).

Transient ones (`SyncUnreachable`: no network, timeout, 5xx, a body that is not our
protocol) are retried with backoff; the others stop the sync loop until a person acts:
signed out (401), forbidden (403), too large (413), protocol mismatch (426).
"""

from __future__ import annotations

import httpx
from pydantic import ValidationError

from forms.errors import BadInput, Conflict, Forbidden, NotFound, SafeCardError, Unreachable
from sync.protocol import ErrorResponse


class SyncUnreachable(Unreachable):
    """Exit 75. Retry later; `timeout` says the batch may have been too big."""

    def __init__(self, key: str, *, timeout: bool = False, **params: object) -> None:
        super().__init__(key, **params)
        self.timeout = timeout


class SignedOut(Forbidden):
    pass


class SyncForbidden(Forbidden):
    pass


class TooLarge(BadInput):
    pass


class ProtocolMismatch(Conflict):
    pass


class UnknownReceipt(NotFound):
    """Exit 3: no anonymous card has this receipt code."""


class RateLimited(SyncUnreachable):
    """429 from the anonymous endpoints: too many tries; exit 75, wait and retry."""


FATAL = (SignedOut, SyncForbidden, TooLarge, ProtocolMismatch)


def from_transport(exc: httpx.TransportError, server: str) -> SyncUnreachable:
    if isinstance(exc, httpx.TimeoutException):
        return SyncUnreachable("sync_timeout", timeout=True, server=server)
    return SyncUnreachable("sync_unreachable", server=server)


def from_response(response: httpx.Response, server: str) -> SafeCardError:
    """A non-200 answer. Its reason key is trusted only from a valid ErrorResponse body."""
    try:
        reason = ErrorResponse.model_validate_json(response.content).error
    except ValidationError:
        reason = "unknown"
    status = response.status_code
    if status == 401 and reason in ("bad_credentials", "user_disabled", "pin_locked",
                                    "no_role"):
        return SignedOut(f"sync_{reason}", server=server)
    if status == 401:
        return SignedOut("sync_signed_out", reason=reason, server=server)
    if status == 403 and reason in ("read_only", "device_revoked"):
        return SyncForbidden(f"sync_{reason}")
    if status == 403:
        return SyncForbidden("sync_forbidden", reason=reason)
    if status in (411, 413):
        return TooLarge("sync_too_large")
    if status == 426:
        return ProtocolMismatch("sync_protocol_mismatch", server=server)
    if status == 503 and reason == "directory_unavailable":
        return SyncUnreachable("sync_directory_unavailable", server=server)
    if status >= 500 or status in (404, 408, 429) or reason == "unknown":
        # 404 and non-protocol bodies come from proxies and portals, not from our server.
        return SyncUnreachable("sync_server_error", status=status, server=server)
    return BadInput("sync_bad_request", reason=reason, status=status)


def not_a_server(server: str) -> SyncUnreachable:
    """A 200 whose body is not our protocol: a captive portal, a proxy page. Not synced."""
    return SyncUnreachable("sync_not_a_server", server=server)
