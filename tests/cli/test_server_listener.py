"""`safecard-server --workers N`: the socket uvicorn shares with its workers is marked TCP, so
asyncio turns TCP_NODELAY on for every connection (uvicorn issue #3149: without it each
keep-alive request after the first waited ~40 ms for a delayed ACK)."""

from __future__ import annotations

import socket

from uvicorn.config import Config

from cli.server_main import _listen_with_nodelay


def test_shared_listener_is_tcp_and_accepted_connections_get_nodelay() -> None:
    _listen_with_nodelay()
    _listen_with_nodelay()  # twice changes nothing
    listener = Config(app="sync.server.asgi:from_env", host="127.0.0.1", port=0).bind_socket()
    try:
        assert listener.proto == socket.IPPROTO_TCP
        assert listener.get_inheritable()
        listener.listen()
        with socket.create_connection(listener.getsockname()[:2]) as client:
            accepted, _ = listener.accept()
            with accepted:
                assert accepted.proto == socket.IPPROTO_TCP  # what asyncio checks
                assert client.fileno() > 0
    finally:
        listener.close()
