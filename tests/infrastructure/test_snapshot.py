import difflib

import pytest

from tests.infrastructure.snapshot import render, snapshot_path


@pytest.mark.parametrize("stack_fixture", ["dev_stack", "prod_stack"])
def test_the_resource_graph_matches_the_reviewed_snapshot(request, stack_fixture):
    run = request.getfixturevalue(stack_fixture)
    expected = snapshot_path(run.stack).read_text()
    actual = render(run)
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), "reviewed", "program", n=2)
        )
        pytest.fail(f"the {run.stack} stack changed; review the diff, then run `make snapshot`:\n{diff[:6000]}")
