"""The local stack's start-up: its steps start in order and stop in reverse, also when one fails to start."""

import pytest

from local_stack.start_steps import StartUp


class RecordedStep:
    def __init__(self, name: str, log: list[str], fails: bool = False) -> None:
        self.name, self.log, self.fails = name, log, fails

    def start(self) -> None:
        if self.fails:
            raise RuntimeError(f"{self.name} cannot start")
        self.log.append(f"start {self.name}")

    def stop(self) -> None:
        self.log.append(f"stop {self.name}")


def test_steps_start_in_order_and_stop_in_reverse():
    log: list[str] = []
    start_up = StartUp([RecordedStep(name, log) for name in ("ports", "program", "threads")])
    start_up.start()
    start_up.stop()
    assert log == ["start ports", "start program", "start threads", "stop threads", "stop program", "stop ports"]


def test_a_step_that_fails_to_start_stops_those_before_it_and_its_error_is_raised():
    log: list[str] = []
    steps = [RecordedStep("ports", log), RecordedStep("program", log), RecordedStep("credentials", log, fails=True)]
    start_up = StartUp([*steps, RecordedStep("threads", log)])
    with pytest.raises(RuntimeError, match="credentials cannot start"):
        start_up.start()
    assert log == ["start ports", "start program", "stop program", "stop ports"]


def test_a_second_stop_stops_nothing_twice():
    log: list[str] = []
    start_up = StartUp([RecordedStep("ports", log)])
    start_up.start()
    start_up.stop()
    start_up.stop()
    assert log == ["start ports", "stop ports"]
