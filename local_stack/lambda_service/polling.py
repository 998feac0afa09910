"""The loop every local event-source poller runs until it is stopped."""

from __future__ import annotations

import logging
import threading

logger = logging.getLogger("local_stack.lambda_service.polling")


class Poller:
    """Calls `poll_once()` until `stop()`, in `readers` threads at once; an error is logged and retried after a
    second, never fatal."""

    readers = 1

    def __init__(self, source: str) -> None:
        self.source = source
        self._stopped = threading.Event()

    def run(self) -> None:
        """Poll in this thread and `readers - 1` more until stopped; return once they all have."""
        name = threading.current_thread().name
        others = [threading.Thread(target=self._read, name=f"{name}-{n}", daemon=True) for n in range(1, self.readers)]
        for other in others:
            other.start()
        self._read()
        for other in others:
            other.join()

    def _read(self) -> None:
        while not self._stopped.is_set():
            try:
                self.poll_once()
            except Exception:
                if self._stopped.is_set():
                    return
                logger.exception("polling %s failed; retrying", self.source)
                self._stopped.wait(1)

    def stop(self) -> None:
        self._stopped.set()

    def poll_once(self) -> None:
        raise NotImplementedError
