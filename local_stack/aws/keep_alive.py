"""HTTP/1.1 keep-alive for the embedded AWS, as AWS's endpoints keep a client's connection open between requests.

werkzeug's development server ends every response with `Connection: close` (werkzeug/serving.py, `run_wsgi`): a
client makes a new TCP connection for each request and the server a new thread, and then waits up to 10 ms for
stray bytes of the request before closing. For an importer's run of small DynamoDB writes that was most of a
request's cost on both sides. Here a request whose body has a length (or none) is read whole before the application
sees it, its answer is sent with its length, and the connection then serves the client's next request; a request
sent in chunks, a body too large to hold, a client that asks to close, or an application that fails part-way
through its answer takes werkzeug's own handling, which closes the connection. The environ, the logs and the answers
are werkzeug's: only the connection outlives the request. A stopped embedded AWS closes the connections it kept, so
it answers nothing more.
"""

from __future__ import annotations

import contextlib
import io
import socket
import threading
from typing import Any

from moto.moto_server.werkzeug_app import MotoRequestHandler
from werkzeug.exceptions import InternalServerError
from werkzeug.serving import BaseWSGIServer

_LARGEST_HELD = 64 * 1024 * 1024  # a larger body streams through werkzeug's handling instead
_IDLE_SECONDS = 300  # a connection idle this long is closed, as a load balancer closes one (clients reconnect)
_NO_BODY = frozenset({"HEAD"})  # a response to these carries no body, whatever its Content-Length says


class KeepAliveRequestHandler(MotoRequestHandler):
    """moto's request handler, keeping the connection open after each answer it can send whole."""

    timeout = _IDLE_SECONDS

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        _open_connections(self.server).add(self.connection)

    def finish(self) -> None:
        _open_connections(self.server).discard(self.connection)
        super().finish()

    def run_wsgi(self) -> None:
        length = self.headers.get("Content-Length")
        whole = length is None or (length.isdigit() and int(length) <= _LARGEST_HELD)
        if self.close_connection or not whole or "Transfer-Encoding" in self.headers:
            self.close_connection = True
            super().run_wsgi()
            return
        if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self.environ = environ = self.make_environ()
        body = self.rfile.read(int(length)) if length else b""
        if length and len(body) != int(length):  # the client went away mid-body
            self.close_connection = True
            return
        environ["wsgi.input"] = io.BytesIO(body)
        status, headers, content = self._answer(environ)
        self._send(environ, status, headers, content)

    def _answer(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
        """The application's status, headers and whole body; a failure answered as werkzeug answers it (a 500,
        the traceback logged)."""
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started[:] = [status, headers]
            return lambda data: chunks.append(data)

        chunks: list[bytes] = []
        try:
            answer = self.server.app(environ, start_response)
            try:
                chunks.extend(answer)
            finally:
                if hasattr(answer, "close"):
                    answer.close()
        except Exception as error:
            from werkzeug.debug.tbtools import DebugTraceback

            chunks = list(InternalServerError()(environ, start_response))
            self.server.log("error", f"Error on request:\n{DebugTraceback(error).render_traceback_text()}")
        return started[0], started[1], b"".join(chunks)

    def _send(self, environ: dict[str, Any], status: str, headers: list[tuple[str, str]], content: bytes) -> None:
        code, _, message = status.partition(" ")
        self.send_response(int(code), message)
        names = set()
        for name, value in headers:
            self.send_header(name, value)
            names.add(name.lower())
        if "content-length" not in names and _has_body(int(code)):
            self.send_header("Content-Length", str(len(content)))
        # Headers and body in one write: a second small write would wait for the client's delayed ACK (Nagle).
        self._headers_buffer.append(b"\r\n")  # end_headers, less its flush
        if environ["REQUEST_METHOD"] not in _NO_BODY and _has_body(int(code)):
            self._headers_buffer.append(content)
        self.flush_headers()


def _has_body(code: int) -> bool:
    """Whether a response of this status has a body, and so a length (RFC 9110, 6.4.1 and 8.6)."""
    return code >= 200 and code not in (204, 304)


def _open_connections(server: BaseWSGIServer) -> set[socket.socket]:
    with _CONNECTIONS_LOCK:
        if not hasattr(server, "_kept_connections"):
            server._kept_connections = set()  # type: ignore[attr-defined]
        return server._kept_connections  # type: ignore[attr-defined, no-any-return]


def close_kept_connections(server: BaseWSGIServer) -> None:
    """End every connection the server keeps open: a stopped embedded AWS answers nothing more."""
    for connection in list(_open_connections(server)):
        with contextlib.suppress(OSError):  # closed meanwhile
            connection.shutdown(socket.SHUT_RDWR)


_CONNECTIONS_LOCK = threading.Lock()
