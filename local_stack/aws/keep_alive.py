"""HTTP/1.1 keep-alive for the embedded AWS, as AWS's endpoints keep a client's connection open between requests.

werkzeug's development server ends every response with `Connection: close` (werkzeug/serving.py, `run_wsgi`): a
client makes a new TCP connection for each request and the server a new thread, and then waits up to 10 ms for
stray bytes of the request before closing. For an importer's run of small DynamoDB writes that was most of a
request's cost on both sides. Here an HTTP/1.1 request whose body has one length (or none) is read whole before the
application sees it, its answer is made whole and sent with its length, and the connection then serves the client's
next request. A request sent in chunks, with two lengths, a body too large to hold, an HTTP/1.0 client, or a client
that asks to close takes werkzeug's own handling, which closes the connection. The environ and the logs are
werkzeug's; an application that fails is answered with werkzeug's 500, whole, as nothing is sent before the answer
is complete (werkzeug's handler would close a connection on which it had sent part of an answer). A stopped
embedded AWS closes the connections it kept, so it answers nothing more. werkzeug writes each request's log line
(the client, the time, the path) before its logger decides whether to drop it: here the line is made only for a
logger that keeps it, or one left unset, which werkzeug sets to keep it.

A request's header lines are read as `http.client.parse_headers` reads them, but, where each is a plain `Name: value`
line, put in the same message without the email parser, which `parse_headers` runs on them and which was the
largest part of the HTTP server's own time per request: the email parser's compat32 policy stores such a line as
the text before its first colon and the rest less its leading blanks and line end
(`email._policybase.Compat32.header_source_parse`). Any other header block (a folded line, a bare CR, a line that
is no header, no blank line at its end) goes to the email parser.
"""

from __future__ import annotations

import contextlib
import email.message
import email.parser
import http.client
import io
import logging
import re
import socket
import threading
from typing import Any

from moto.moto_server.werkzeug_app import MotoRequestHandler
from werkzeug.exceptions import InternalServerError
from werkzeug.serving import ThreadedWSGIServer

from local_stack.aws.aws_requests import WsgiApp

_LARGEST_HELD = 64 * 1024 * 1024  # a larger body streams through werkzeug's handling instead
# A header line the email parser would store as it is split: a name of visible characters but the colon (its
# `headerRE`), a value with no line break of its own.
_PLAIN_HEADER = re.compile(r"[!-9;-~]+:[^\r\n]*\r?\n")
_ORIGINAL_PARSE_HEADERS = http.client.parse_headers
_HEADERS_READ_HERE = threading.local()  # `on` while a kept connection's handler parses a request
_REQUEST_LOG = logging.getLogger("werkzeug")  # werkzeug's logger of each request (werkzeug._internal._log)


class KeepAliveServer(ThreadedWSGIServer):
    """werkzeug's threaded server (as `make_server` makes it) with `KeepAliveRequestHandler`, holding the
    connections its handlers keep open so that a stop can end them."""

    def __init__(self, host: str, port: int, app: WsgiApp) -> None:
        self._open: set[socket.socket] = set()
        self._closing = False
        self._connections_lock = threading.Lock()
        super().__init__(host, port, app, handler=KeepAliveRequestHandler)
        read_headers_quickly()

    def opened(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._open.add(connection)
            if self._closing:  # accepted as the server stopped
                _shut(connection)

    def closed(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._open.discard(connection)

    def close_kept_connections(self) -> None:
        """End every connection kept open, and any accepted from now on: a stopped embedded AWS answers nothing
        more."""
        with self._connections_lock:
            self._closing = True
            for connection in self._open:
                _shut(connection)


class KeepAliveRequestHandler(MotoRequestHandler):
    """moto's request handler, keeping the connection open after each answer it can send whole."""

    server: KeepAliveServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.opened(self.connection)

    def finish(self) -> None:
        self.server.closed(self.connection)
        super().finish()

    def run_wsgi(self) -> None:
        if not self._may_keep():
            self.close_connection = True
            super().run_wsgi()
            return
        if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self.environ = environ = self.make_environ()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if len(body) != length:  # the client went away mid-body
            self.close_connection = True
            return
        environ["wsgi.input"] = io.BytesIO(body)
        answer = self._answer(environ)
        if answer is None:  # the client went away
            self.close_connection = True
            return
        self._send(*answer)

    def parse_request(self) -> bool:
        _HEADERS_READ_HERE.on = True
        try:
            return super().parse_request()
        finally:
            _HEADERS_READ_HERE.on = False

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if _REQUEST_LOG.level == logging.NOTSET or _REQUEST_LOG.isEnabledFor(logging.INFO):
            super().log_request(code, size)

    def _may_keep(self) -> bool:
        """Whether the request's framing and the client allow the connection to serve another request."""
        lengths = self.headers.get_all("Content-Length") or []
        if len(lengths) > 1 or "Transfer-Encoding" in self.headers:
            return False
        if lengths and not (lengths[0].isascii() and lengths[0].isdigit() and int(lengths[0]) <= _LARGEST_HELD):
            return False
        options = {option.strip().lower() for option in ",".join(self.headers.get_all("Connection") or []).split(",")}
        return self.request_version == "HTTP/1.1" and not self.close_connection and "close" not in options

    def _answer(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes] | None:
        """The application's status, headers and whole body; a failure answered as werkzeug answers it (a 500,
        the traceback logged); None for a client that went away."""
        started: list[Any] = []
        chunks: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started[:] = [status, headers]
            return chunks.append

        try:
            answer = self.server.app(environ, start_response)
            try:
                chunks.extend(answer)
            finally:
                if hasattr(answer, "close"):
                    answer.close()
            status, headers = started  # an application that never started its answer fails here
        except (TimeoutError, ConnectionError):
            return None
        except Exception as error:
            from werkzeug.debug.tbtools import DebugTraceback

            chunks = list(InternalServerError()(environ, start_response))
            status, headers = started
            self.server.log("error", f"Error on request:\n{DebugTraceback(error).render_traceback_text()}")
        return status, headers, b"".join(chunks)

    def _send(self, status: str, headers: list[tuple[str, str]], content: bytes) -> None:
        code, _, message = status.partition(" ")
        self.send_response(int(code), message)
        names = set()
        for name, value in headers:
            self.send_header(name, value)
            names.add(name.lower())
        with_body = _has_body(int(code)) and self.command != "HEAD"
        if "content-length" not in names and with_body:
            self.send_header("Content-Length", str(len(content)))
        # Headers and body in one write: one segment for a small answer.
        self._headers_buffer.append(b"\r\n")  # end_headers, less its flush
        if with_body:
            self._headers_buffer.append(content)
        self.flush_headers()


def parse_headers(fp: Any, _class: type[email.message.Message] = http.client.HTTPMessage) -> email.message.Message:
    """`http.client.parse_headers`, the plain header lines of a kept connection's request put in the message without
    the email parser (the module's docstring says why this is the same message)."""
    if not getattr(_HEADERS_READ_HERE, "on", False):
        return _ORIGINAL_PARSE_HEADERS(fp, _class)
    lines = [line.decode("iso-8859-1") for line in http.client._read_headers(fp)]  # type: ignore[attr-defined]
    *fields, end = lines
    if end not in ("\r\n", "\n") or not all(_PLAIN_HEADER.fullmatch(field) for field in fields):
        return email.parser.Parser(_class=_class).parsestr("".join(lines))
    message = _class()
    for field in fields:
        name, _, value = field.partition(":")
        message[name] = value.lstrip(" \t").rstrip("\r\n")
    message.set_payload("")  # as the email parser leaves a message with no body
    return message


def read_headers_quickly() -> None:
    """Patch `http.client.parse_headers` (once per process) for the kept connections' handlers; every other caller
    gets the original."""
    http.client.parse_headers = parse_headers  # type: ignore[assignment]


def _has_body(code: int) -> bool:
    """Whether a response of this status has a body, and so a length (RFC 9110, 6.4.1 and 8.6)."""
    return code >= 200 and code not in (204, 304)


def _shut(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):  # closed meanwhile
        connection.shutdown(socket.SHUT_RDWR)
