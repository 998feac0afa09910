"""Code changes live: a rule changed in a running stack's project is followed by the next request, with the
table and its data kept; a change to the program is announced as needing a restart."""

from collections.abc import Iterator

import pytest

from local_stack.project_copy import project_copy
from tests.running_stack import RunningStack, eventually, start_stack, stop_stack

pytestmark = pytest.mark.local_stack  # starts a local stack or the embedded AWS: not in `make check`


@pytest.fixture
def stack(tmp_path) -> Iterator[RunningStack]:
    project = project_copy(tmp_path / "project")
    (tmp_path / "work").mkdir()
    stack = start_stack(tmp_path / "work", project=project)
    stack.project = project  # type: ignore[attr-defined]
    yield stack
    stop_stack(stack)


def put(stack, stock_id, level):
    return stack.request("PUT", f"/stocks/{stock_id}", f'{{"stock_level": {level}}}')


def test_a_changed_rule_is_followed_by_the_next_request_and_the_data_stays(stack):
    assert put(stack, "RL-KEPT", 500)[0] == 200
    rules = stack.project / "domain" / "stock.py"
    rules.write_text(rules.read_text().replace("MAX_LEVEL = 1_000_000_000", "MAX_LEVEL = 100"))

    _, body = eventually(lambda: (answer := put(stack, "RL-NEW", 500))[0] == 400 and answer, timeout=60)
    assert "from 0 to 100" in body["message"]
    assert any("code reloaded in" in line and "domain/stock.py" in line for line in stack.console)
    assert stack.request("GET", "/stocks/RL-KEPT")[1]["stock_level"] == 500  # the table kept its data
    assert put(stack, "RL-NEW", 50)[0] == 200


def test_a_change_to_the_program_asks_for_a_restart(stack):
    program = stack.project / "__main__.py"
    program.write_text(program.read_text() + "\n")
    eventually(lambda: any("restart `make run`" in line for line in stack.console), timeout=60)
