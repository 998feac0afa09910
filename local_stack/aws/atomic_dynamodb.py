"""DynamoDB's write guarantees, which moto's server does not give, restored around it.

DynamoDB applies each item write atomically, its condition check included, and a stream holds one record
per item-level change, in order, with unique sequence numbers
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html). moto's `UpdateItem` is
neither: for a new key it stores a key-only item, then applies the `SET`, checking the condition in a separate
step, and its server handles requests on many threads with no lock. Under concurrent writers a scan then
sees key-only items, an older conditional update can win over a newer one, stream sequence numbers repeat,
and each new item emits two INSERT records. Serialising DynamoDB requests, and dropping the key-only
record, makes the embedded table behave as DynamoDB does.

The lock is Python's `threading.Lock`, or, with the `runnable_lock` speed-up, a `threading.BoundedSemaphore(1)`: the
same exclusion, taken differently. A thread blocked on a `Lock` takes it as it wakes, before it has Python's own lock
back (CPython's `acquire_timed` waits with Python's lock released), and then holds DynamoDB's lock while it waits a
switch interval (`sys.getswitchinterval()`) or more for Python's: no DynamoDB request moves meanwhile. A semaphore is
taken by Python code, so only by a thread that holds Python's lock and runs: one woken while another running thread
took it first waits again. An importer's writers (`handlers.aws.WRITE_CONCURRENCY` of them) wait on the lock at
once, so this is where the difference shows. A bounded semaphore, as a `Lock`, refuses a release too many.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from moto.dynamodb.models import DynamoDBBackend

from local_stack.aws.aws_requests import WsgiApp

# X-Amz-Target prefixes of the DynamoDB and DynamoDB Streams JSON protocols.
_DYNAMODB_TARGETS = ("DynamoDB_20120810.", "DynamoDBStreams_20120810.")


class SerialisedDynamoDb:
    """Request layer: DynamoDB's atomic item writes, by running DynamoDB and DynamoDB Streams requests one at a
    time; others pass straight on."""

    def __init__(self, runnable: bool = True) -> None:
        # Either takes acquire(blocking=False), acquire(), release() and `with`: the module's docstring says why two.
        self._lock: threading.Lock | threading.Semaphore = (
            threading.BoundedSemaphore(1) if runnable else threading.Lock()
        )
        self._waits = LockWaits(0, 0, 0.0)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any], forward: WsgiApp
    ) -> Iterable[bytes]:
        if not str(environ.get("HTTP_X_AMZ_TARGET", "")).startswith(_DYNAMODB_TARGETS):
            return forward(environ, start_response)
        # Timed only when taken: a profile cannot show the wait, as a thread blocked on the lock holds no Python lock.
        waited = None
        if not self._lock.acquire(blocking=False):
            started = time.perf_counter()
            self._lock.acquire()
            waited = time.perf_counter() - started
        try:
            self._waits = self._waits.plus(waited)  # under the lock: no other writer
            # The body is produced inside the lock: moto answers with a list, so nothing runs after release.
            return list(forward(environ, start_response))
        finally:
            self._lock.release()

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """The lock, for a reader of moto's DynamoDB state outside any request, which must not see a write half done
        (not counted among the requests' waits)."""
        with self._lock:
            yield

    def waits(self) -> LockWaits:
        """The DynamoDB requests served so far, how many found the lock taken, and how long they waited in all."""
        return self._waits


@dataclass(frozen=True)
class LockWaits:
    """DynamoDB requests through the lock, those that waited for it, and their seconds of waiting in all."""

    requests: int
    waited: int
    seconds: float

    def plus(self, waited: float | None) -> LockWaits:
        """With one more request, which found the lock free (None) or waited that many seconds."""
        if waited is None:
            return LockWaits(self.requests + 1, self.waited, self.seconds)
        return LockWaits(self.requests + 1, self.waited + 1, self.seconds + waited)

    def __sub__(self, earlier: LockWaits) -> LockWaits:
        return LockWaits(self.requests - earlier.requests, self.waited - earlier.waited, self.seconds - earlier.seconds)


def emit_one_insert_per_new_item() -> None:
    """Patch moto (once per process) so an UpdateItem that creates an item leaves one INSERT stream record."""
    original = DynamoDBBackend.update_item
    if getattr(original, "_one_insert_per_new_item", False):
        return

    def update_item(self: DynamoDBBackend, table_name: str, *args: Any, **kwargs: Any) -> Any:
        shard = self.get_table(table_name).stream_shard
        before = len(shard.items) if shard is not None else 0
        item = original(self, table_name, *args, **kwargs)
        if shard is not None and len(shard.items) == before + 2:
            key_only, complete = shard.items[before], shard.items[before + 1]
            if key_only.record["eventName"] == complete.record["eventName"] == "INSERT":
                complete.record["dynamodb"]["SequenceNumber"] = key_only.record["dynamodb"]["SequenceNumber"]
                del shard.items[before]
        return item

    update_item._one_insert_per_new_item = True  # type: ignore[attr-defined]
    DynamoDBBackend.update_item = update_item  # type: ignore[method-assign]
