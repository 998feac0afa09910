"""The context Lambda passes with an invocation, reduced to what the handlers read of it: the time left."""


class Context:
    """An invocation with `remaining_ms` milliseconds left, as `get_remaining_time_in_millis()` says."""

    def __init__(self, remaining_ms: int) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms
