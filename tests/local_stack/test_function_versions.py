"""New code replaces a function's execution environments as a Lambda update does."""

import threading
import typing
from pathlib import Path

from local_stack.lambda_service import functions
from local_stack.lambda_service.functions import Invocation, LocalFunction
from local_stack.local_cloud import DeclaredFunction


class FakeEnvironment:
    """Records the code it runs; an invocation may be held until released."""

    made: typing.ClassVar[list["FakeEnvironment"]] = []

    def __init__(self, declared, code_dir, aws_environment, generation=0):
        self.code_dir, self.generation, self.stopped = code_dir, generation, False
        self.release, self.started = threading.Event(), threading.Event()
        self.release.set()
        FakeEnvironment.made.append(self)

    def invoke(self, event):
        self.started.set()
        self.release.wait(10)
        return Invocation(result=str(self.code_dir))

    def stop(self):
        self.stopped = True


def test_an_invocation_in_flight_finishes_on_the_old_code_and_the_next_runs_the_new(monkeypatch):
    monkeypatch.setattr(functions, "ExecutionEnvironment", FakeEnvironment)
    FakeEnvironment.made = []
    declared = DeclaredFunction("f", "arn:f", "arn:role", "h.handler", Path("x.zip"), {}, 3, 128)
    function = LocalFunction(declared, Path("v1"), {}, max_environments=2)
    assert function.invoke({}).result == "v1"
    [warm] = FakeEnvironment.made
    warm.release.clear()  # the next invocation is still running when the code changes
    warm.started.clear()
    in_flight: list[Invocation] = []
    caller = threading.Thread(target=lambda: in_flight.append(function.invoke({})))
    caller.start()
    assert warm.started.wait(10)
    function.replace_code(Path("v2"))
    assert function.invoke({}).result == "v2"  # a new environment, on the new code
    warm.release.set()
    caller.join(10)
    assert in_flight[0].result == "v1"  # finished on the old code...
    assert warm.stopped  # ...and its environment retired


def test_a_stopped_function_starts_no_environment_for_an_invocation_that_comes_late(monkeypatch):
    monkeypatch.setattr(functions, "ExecutionEnvironment", FakeEnvironment)
    FakeEnvironment.made = []
    declared = DeclaredFunction("f", "arn:f", "arn:role", "h.handler", Path("x.zip"), {}, 3, 128)
    function = LocalFunction(declared, Path("v1"), {}, max_environments=2)
    function.stop()
    late = function.invoke({})  # a poller's batch, received as the stack stopped
    assert (late.error or {}).get("errorType") == "Runtime.Stopped"
    assert FakeEnvironment.made == []
