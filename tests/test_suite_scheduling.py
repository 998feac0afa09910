"""How `make test` shares the suite between its workers (tests/conftest.py): whole files, the scenarios together."""

from pathlib import Path

import pytest

from tests.conftest import LONGEST_GROUPS, SHARED_SESSION_STACKS, only_local_stack_tests, xdist_group_of

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("nodeid", "group"),
    [
        ("tests/domain/test_stock.py::test_a", "tests/domain/test_stock.py"),
        ("tests/end_to_end/test_low_items.py::test_b[rest]", "tests/end_to_end/test_low_items.py"),
        ("tests/end_to_end/test_low_items.py::TestSome::test_c", "tests/end_to_end/test_low_items.py"),
        ("tests/scenarios/test_upgrade.py::test_d[http]", "tests/scenarios/"),
        ("tests/scenarios/test_chat_channel.py::test_e[rest]", "tests/scenarios/"),
        ("tests/reliability/test_faults.py::test_f", "tests/reliability/"),
    ],
)
def test_a_test_runs_with_its_file_or_with_the_tests_that_share_its_stacks(nodeid, group):
    assert xdist_group_of(nodeid) == group


def test_every_group_named_for_the_scheduler_is_in_the_suite():
    # A file renamed or moved would otherwise lose its place at the front without a word.
    for group in {*LONGEST_GROUPS, *SHARED_SESSION_STACKS}:
        assert (ROOT / group).exists(), group


@pytest.mark.parametrize("directory", SHARED_SESSION_STACKS)
def test_each_directory_run_as_one_group_shares_a_session_scoped_stack(directory):
    conftest = (ROOT / directory / "conftest.py").read_text()
    assert '@pytest.fixture(scope="session"' in conftest


def test_make_check_leaves_out_the_files_and_directories_of_local_stack_tests_alone():
    assert only_local_stack_tests(ROOT / "tests" / "end_to_end")
    assert only_local_stack_tests(ROOT / "tests" / "local_stack" / "test_speedups.py")
    assert not only_local_stack_tests(ROOT / "tests" / "local_stack")  # some of its tests start no stack
    assert not only_local_stack_tests(ROOT / "tests" / "test_suite_scheduling.py")


def test_every_test_of_a_file_left_out_of_make_check_is_marked_local_stack(request):
    # The whole suite, when it is collected whole (`make test`): a file that gains a test of another kind must not
    # keep it out of `make check`.
    left_out = [item for item in request.session.items if only_local_stack_tests(item.path)]
    assert [item.nodeid for item in left_out if not item.get_closest_marker("local_stack")] == []
