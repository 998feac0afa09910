"""Each mutant is judged by its own package's tests: the handler tests judge handlers/ only."""

import tomllib
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.mutation.score import TARGETS
from tests.mutation.selection import JUDGES, judges_of, own_test_file, pytest_collection_modifyitems

MUTMUT = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())["tool"]["mutmut"]
TESTS = [
    "tests/domain/test_stock.py::test_a",
    "tests/adapters/inbound/test_sqs_batch.py::test_b",
    "tests/contracts/test_port_contracts.py::test_c",
    "tests/handlers/test_webhook_alerts.py::test_d",
]


def select(mutant, monkeypatch, tests=TESTS):
    """The tests kept of `tests`, in the order they run, and those deselected, when mutmut runs them against
    `mutant`."""
    monkeypatch.setenv("MUTANT_UNDER_TEST", mutant)
    deselected = []
    config = SimpleNamespace(hook=SimpleNamespace(pytest_deselected=lambda items: deselected.extend(items)))
    items = [SimpleNamespace(nodeid=nodeid) for nodeid in tests]
    pytest_collection_modifyitems(config, items)  # type: ignore[arg-type]
    return [item.nodeid for item in items], [item.nodeid for item in deselected]


@pytest.mark.parametrize(
    "mutant", ["domain.stock.x_parse__mutmut_1", "adapters.outbound.secret_cache.xǁCachedSecretǁvalue__mutmut_4"]
)
def test_a_domain_or_adapter_mutant_is_judged_without_the_handler_tests(mutant, monkeypatch):
    assert select(mutant, monkeypatch) == (TESTS[:3], TESTS[3:])


def test_a_handler_mutant_is_judged_by_the_handler_tests_only(monkeypatch):
    assert select("handlers.webhook_alerts.xǁWebhookAlertFunctionǁ_failed__mutmut_7", monkeypatch) == (
        TESTS[3:],
        TESTS[:3],
    )


def test_the_tests_of_the_mutant_s_own_module_run_first_each_group_in_mutmut_s_order(monkeypatch):
    tests = [
        "tests/handlers/test_webhook_alerts.py::test_quick",
        "tests/handlers/test_time_budget.py::test_quick",
        "tests/handlers/test_time_budget_kinds.py::test_quick",
        "tests/handlers/test_webhook_alerts.py::test_slow",
        "tests/handlers/test_time_budget.py::test_slow",
    ]
    assert select("handlers.time_budget.x_ensure_time_for__mutmut_6", monkeypatch, tests) == (
        [tests[1], tests[4], tests[0], tests[2], tests[3]],
        [],
    )
    assert own_test_file("adapters.inbound.sqs_batch.x_partial_batch_response__mutmut_2") == "test_sqs_batch.py"


@pytest.mark.parametrize("run", ["stats", "", "fail", "list_all_tests"])
def test_mutmut_s_other_runs_keep_every_test(run, monkeypatch):
    assert select(run, monkeypatch) == (TESTS, [])
    assert judges_of(run) is None


def test_every_package_mutated_is_scored_and_judged_by_tests_mutmut_runs():
    assert [path.rstrip("/") for path in MUTMUT["source_paths"]] == list(TARGETS) == list(JUDGES)
    selected = {f"{path.rstrip('/')}/" for path in MUTMUT["pytest_add_cli_args_test_selection"]}
    assert {folder for folders in JUDGES.values() for folder in folders} == selected
    assert "tests.mutation.selection" in MUTMUT["pytest_add_cli_args"]
