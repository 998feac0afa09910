import difflib

import pytest

from tests.infrastructure.snapshot import (
    BOTH_CHANNELS,
    REST_API,
    both_channels,
    render,
    rest_api,
    snapshot_path,
)

VARIANTS = {
    "both_channels": (BOTH_CHANNELS, both_channels),
    "rest_api": (REST_API, rest_api),
}


@pytest.mark.parametrize("stack_fixture", ["dev_stack", "prod_stack", *VARIANTS])
def test_the_resource_graph_matches_the_reviewed_snapshot(request, stack_fixture):
    if stack_fixture in VARIANTS:
        name, build = VARIANTS[stack_fixture]
        run = build()
    else:
        run = request.getfixturevalue(stack_fixture)
        name = run.stack
    expected = snapshot_path(name).read_text()
    actual = render(run)
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), "reviewed", "program", n=2)
        )
        pytest.fail(f"the {name} stack changed; review the diff, then run `make snapshot`:\n{diff[:6000]}")
