"""A server on this machine served on a thread of its own, whose stop returns at once: the local stack's chat webhook
and the tests' fake webhooks and APIs, which start and stop one per test."""

from __future__ import annotations

import selectors
import socket
import socketserver
import threading


class ServerThread:
    """Serves `server` on a daemon thread named `name` from `start` until `stop`, which closes it (never its
    `shutdown`, which waits for a `serve_forever` this does not run). The server handles each request on a thread of
    its own (a `ThreadingMixIn` one, as every user's is): the loop only takes connections.

    socketserver's `serve_forever` looks for a stop only between waits of its poll interval (half a second unless
    told), so a stop waits for the end of the wait under way. This loop waits on the server's socket and on a socket
    of its own that `stop` writes to: it sees a stop as soon as it is asked for."""

    def __init__(self, server: socketserver.TCPServer, name: str) -> None:
        self.server = server
        # `handle_request` is only called once a connection waits: it takes that one, and waits for no other if the
        # client gave up before it was taken.
        server.timeout = 0
        self._wake, self._woken = socket.socketpair()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)

    def start(self) -> None:
        if self._stopping.is_set():
            raise RuntimeError("a stopped server thread does not start again")
        self._thread.start()

    def stop(self) -> None:
        """Take no more connections and close the server; the requests under way finish on their own threads. A
        second stop does nothing."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._wake.send(b"\0")
        try:
            if self._thread.is_alive():
                self._thread.join()
        finally:
            self.server.server_close()
            self._wake.close()
            self._woken.close()

    def _serve(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self.server, selectors.EVENT_READ)
            selector.register(self._woken, selectors.EVENT_READ)
            while not self._stopping.is_set():
                ready = selector.select()
                if self._stopping.is_set():
                    break
                if any(key.fileobj is self.server for key, _ in ready):
                    self.server.handle_request()
                self.server.service_actions()
