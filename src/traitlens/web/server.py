"""How ``traitlens serve`` runs the app under uvicorn: timeouts and limits for slow or many clients.

uvicorn (h11) has a keep-alive timeout but none for a request that is being received: a client that
opens a connection and sends its headers a byte at a time (or not at all) would hold the connection
for ever ("slowloris"). :func:`head_timeout_protocol` closes such a connection with a 408 after
:data:`HEAD_TIMEOUT` seconds; the body is timed by :class:`~traitlens.web.app.BodyTimeout` (the
app's ``body_timeout``). Each stalled client holds only its own connection: the event loop keeps
answering the others, and at most :data:`LIMIT_CONCURRENCY` connections are served at once (503 above).
"""

from __future__ import annotations

import asyncio
from typing import Any

#: Seconds from the first byte of a request (or the connection) to the end of its headers.
HEAD_TIMEOUT = 10.0
#: Seconds an idle keep-alive connection stays open.
KEEP_ALIVE_TIMEOUT = 5
#: Connections and requests served at once; uvicorn answers 503 above this.
LIMIT_CONCURRENCY = 100
#: Largest request head (request line and headers) in bytes; larger is a 400 (h11's own limit).
MAX_HEAD_BYTES = 16 * 1024
#: The 408 written to a client whose headers did not arrive in time.
_HEAD_TIMEOUT_BODY = b'{"detail":"the request headers did not arrive in time"}'
HEAD_TIMEOUT_RESPONSE = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
                         b"content-length: %d\r\n\r\n%s" % (len(_HEAD_TIMEOUT_BODY), _HEAD_TIMEOUT_BODY))


def head_timeout_protocol(seconds: float = HEAD_TIMEOUT) -> type:
    """Uvicorn's h11 protocol with a deadline for each request head.

    The clock starts when the connection opens, and again at the first byte after each response;
    a request whose headers are not complete ``seconds`` later gets a 408 and the connection is closed.
    """
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeadTimeoutProtocol(H11Protocol):  # type: ignore[misc]
        head_timeout = seconds

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            self._head_task: asyncio.TimerHandle | None = None
            self._head_for: Any = None
            super().connection_made(transport)
            self._arm()

        def _arm(self) -> None:
            if self._head_task is not None:
                self._head_task.cancel()
            self._head_for = self.cycle
            self._head_task = self.loop.call_later(self.head_timeout, self._expired)

        def _expired(self) -> None:
            self._head_task = None
            if self.cycle is self._head_for and not self.transport.is_closing():  # no new request head since
                self.transport.write(HEAD_TIMEOUT_RESPONSE)
                self.transport.close()

        def data_received(self, data: bytes) -> None:
            idle = self.cycle is None or self.cycle.response_complete
            if idle and (self._head_task is None or self._head_for is not self.cycle):
                self._arm()
            super().data_received(data)

        def connection_lost(self, exc: Exception | None) -> None:
            if self._head_task is not None:
                self._head_task.cancel()
                self._head_task = None
            super().connection_lost(exc)

    return HeadTimeoutProtocol


def uvicorn_options(head_timeout: float = HEAD_TIMEOUT) -> dict[str, Any]:
    """The keyword arguments of ``uvicorn.run`` for ``traitlens serve`` (besides app, host and port)."""
    return {"http": head_timeout_protocol(head_timeout), "timeout_keep_alive": KEEP_ALIVE_TIMEOUT,
            "limit_concurrency": LIMIT_CONCURRENCY, "h11_max_incomplete_event_size": MAX_HEAD_BYTES,
            "log_level": "warning"}


__all__ = ["HEAD_TIMEOUT", "KEEP_ALIVE_TIMEOUT", "LIMIT_CONCURRENCY", "MAX_HEAD_BYTES", "head_timeout_protocol",
           "uvicorn_options"]
