"""A pytest plugin that `make mutate` loads ([tool.mutmut] in pyproject.toml): a mutant is judged by the tests of
its own package only, those of its own module's test file first."""

from __future__ import annotations

import os

import pytest

# The folders of tests that may kill a mutant of each package scored (tests/mutation/score.py's TARGETS). mutmut
# runs against a mutant every test that called the mutated function in a first, unmutated run, the quickest first,
# until one fails; it has no setting to narrow that per package, but it names the mutant in MUTANT_UNDER_TEST. The
# handler tests call the adapters and the domain too, end to end against moto: they would run, slowly, for nearly
# every mutant there, which the adapter, domain and contract tests are to kill themselves.
JUDGES = {
    "domain": ("tests/domain/", "tests/adapters/", "tests/contracts/"),
    "adapters": ("tests/domain/", "tests/adapters/", "tests/contracts/"),
    "handlers": ("tests/handlers/",),
}


def judges_of(mutant: str) -> tuple[str, ...] | None:
    """The test folders for `mutant` (`adapters.inbound.sqs_batch.x_f__mutmut_3`); None for mutmut's other runs
    (its stats, the clean run, the forced failure), which run every test selected."""
    if "__mutmut_" not in mutant:
        return None
    return JUDGES[mutant.split(".", 1)[0]]


def own_test_file(mutant: str) -> str:
    """The name of the test file of the mutant's module: `test_sqs_batch.py` for `adapters.inbound.sqs_batch.x_f`."""
    module, _, _ = mutant.rpartition(".")
    return f"test_{module.rpartition('.')[2]}.py"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    folders = judges_of(mutant)
    if folders is None:
        return
    others = [item for item in items if not item.nodeid.startswith(folders)]
    if others:
        config.hook.pytest_deselected(items=others)
    # A function every handler test calls (a client's configuration, the time budget) is pinned down by its own
    # module's tests, which would otherwise wait behind dozens of others; sorted() keeps mutmut's order in each group.
    own = f"/{own_test_file(mutant)}"
    items[:] = sorted(
        (item for item in items if item.nodeid.startswith(folders)),
        key=lambda item: not item.nodeid.partition("::")[0].endswith(own),
    )
