import difflib

import pytest

from tests.infrastructure.snapshot import BOTH_CHANNELS, both_channels, render, snapshot_path


@pytest.mark.parametrize("stack_fixture", ["dev_stack", "prod_stack", "both_channels"])
def test_the_resource_graph_matches_the_reviewed_snapshot(request, stack_fixture):
    run = both_channels() if stack_fixture == "both_channels" else request.getfixturevalue(stack_fixture)
    name = BOTH_CHANNELS if stack_fixture == "both_channels" else run.stack
    expected = snapshot_path(name).read_text()
    actual = render(run)
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), "reviewed", "program", n=2)
        )
        pytest.fail(f"the {name} stack changed; review the diff, then run `make snapshot`:\n{diff[:6000]}")
