"""The layers stay apart: import-linter contracts, and the imports the Lambda runtime can satisfy."""

from __future__ import annotations

import ast
import inspect
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pulumi.runtime
import pytest

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_PACKAGES = ("domain", "adapters", "handlers")
LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LINT_IMPORTS, "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_import_contracts_are_kept():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.fixture(scope="module")
def lint_imports_in() -> Iterator[Callable[[Path], tuple[int, str]]]:
    """`lint-imports --no-cache` in a tree, its exit status and output: every tree's run in one process, which
    starts Python and import-linter once (tests/lint_imports_each.py)."""
    runner = subprocess.Popen(
        [sys.executable, "-P", str(ROOT / "tests" / "lint_imports_each.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    trees, answers = runner.stdin, runner.stdout
    assert trees is not None
    assert answers is not None

    def lint(tree: Path) -> tuple[int, str]:
        trees.write(f"{tree}\n")
        trees.flush()
        answer = json.loads(answers.readline())
        return answer["status"], answer["output"]

    yield lint
    trees.close()
    runner.wait(timeout=60)


@pytest.mark.parametrize(
    ("module", "line", "broken_contract"),
    [
        ("domain/leak.py", "import boto3", "The domain imports no AWS SDK and no Pulumi"),
        ("domain/leak.py", "import handlers.aws", "Lambda code is layered"),
        ("domain/leak.py", "import adapters.outbound.webhook_low_stock_notifier", "The domain knows no adapter"),
        ("domain/leak.py", "import adapters.inbound.s3_dropped_files", "The domain knows no adapter"),
        ("domain/leak.py", "import urllib.request", "The domain knows no adapter"),
        ("domain/leak.py", "import http.client", "The domain knows no adapter"),
        ("adapters/inbound/leak.py", "import adapters.outbound.sns_low_stock_notifier", "independent"),
        ("adapters/inbound/api_gateway_v2.py", "import adapters.inbound.api_gateway_v1", "payloads are independent"),
        ("handlers/leak.py", "import pulumi", "Runtime code never imports infrastructure code"),
        ("handlers/leak.py", "import components", "Runtime code never imports infrastructure code"),
        ("components/leak.py", "import domain.stock", "Infrastructure code never imports runtime code"),
        ("components/leak.py", "import handlers.aws", "Infrastructure code never imports runtime code"),
        ("handlers/settings.py", "import domain.low_stock", "The functions' settings import nothing of the project"),
        ("handlers/settings.py", "import handlers.aws", "The functions' settings import nothing of the project"),
        ("handlers/settings.py", "import botocore", "The functions' settings import nothing of the project"),
        ("adapters/leak.py", "import local_stack", "Runtime code never imports infrastructure code"),
        ("tools/leak.py", "import moto", "no emulator"),
        ("tools/leak.py", "from local_stack.aws import embedded_aws", "no emulator"),
        ("handlers/leak.py", "import moto", "no emulator"),
        ("harness/leak.py", "import tests.running_stack", "The harness is neutral"),
        ("harness/leak.py", "from local_stack.aws import embedded_aws", "The harness is neutral"),
        ("harness/leak.py", "import benchmarks.prices", "The harness is neutral"),
        ("harness/leak.py", "import tools.stack_outputs", "The harness is neutral"),
        ("benchmarks/leak.py", "from tests import running_stack", "Benchmarks and tools never import tests"),
        ("tools/leak.py", "import tests.scenarios.target", "Benchmarks and tools never import tests"),
        ("local_stack/leak.py", "import tests.running_stack", "The local stack imports no tests"),
        ("local_stack/leak.py", "import benchmarks.prices", "The local stack imports no tests"),
        ("local_stack/leak.py", "import tools.stack_outputs", "The local stack imports no tests"),
        ("local_stack/aws/leak.py", "import local_stack.local_cloud", "Local stack layers"),
        ("local_stack/aws/leak.py", "import local_stack.lambda_service.functions", "Local stack layers"),
        ("local_stack/lambda_service/leak.py", "import local_stack.api_gateway.rest_api", "Local stack layers"),
        ("local_stack/api_gateway/leak.py", "import local_stack.stack", "Local stack layers"),
    ],
)
def test_each_contract_catches_the_import_it_forbids(lint_imports_in, tmp_path, module, line, broken_contract):
    for package in (*RUNTIME_PACKAGES, "components", "harness", "local_stack", "tools", "benchmarks"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / module).write_text(f'"""A deliberate breach."""\n\n{line}\n')
    status, output = lint_imports_in(tmp_path)
    assert status != 0
    # The summary lists every contract, each KEPT or BROKEN (and how many imports it ignores): the one named must be
    # among the broken.
    broken = [line for line in output.splitlines() if re.search(r" BROKEN( \(\d+ ignored imports?\))?$", line)]
    assert any(broken_contract in line for line in broken), output


def imported_top_levels(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def runtime_imports() -> dict[str, set[str]]:
    return {
        str(path.relative_to(ROOT)): imported_top_levels(path)
        for package in RUNTIME_PACKAGES
        for path in (ROOT / package).rglob("*.py")
    }


def test_lambda_code_needs_nothing_but_the_standard_library_and_boto3():
    allowed = set(sys.stdlib_module_names) | {"boto3", "botocore", "mypy_boto3_dynamodb", "mypy_boto3_sns"}
    allowed |= {"mypy_boto3_sqs", "mypy_boto3_s3", "mypy_boto3_secretsmanager", *RUNTIME_PACKAGES}
    outside = {path: names - allowed for path, names in runtime_imports().items() if names - allowed}
    assert outside == {}


def test_type_stubs_are_imported_only_for_type_checking():
    # The stubs are not in the Lambda runtime: they may only appear under `if TYPE_CHECKING:`.
    for package in RUNTIME_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text())
            for node in tree.body:
                if isinstance(node, ast.Import | ast.ImportFrom):
                    module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
                    assert not (module or "").startswith("mypy_boto3"), f"{path} imports stubs at run time"


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_the_pulumi_program_imports_no_runtime_code_but_the_functions_settings():
    # import-linter cannot model a module named __main__, so the stack file is checked here.
    imported = imported_modules(ROOT / "__main__.py")
    assert any(name.startswith("components.") for name in imported)
    assert {name for name in imported if name.split(".")[0] in RUNTIME_PACKAGES} == {"handlers.settings"}


# Where the project's own Python lives; the harness is left out, as the one place allowed Pulumi's internals.
CHECKED_FOR_PULUMI_INTERNALS = (
    *RUNTIME_PACKAGES,
    "components",
    "local_stack",
    "tools",
    "benchmarks",
    "tests",
    "policy",
)


def pulumi_runtime_internals(path: Path) -> list[str]:
    """What a file reaches of `pulumi.runtime` beyond the names it exports for programs and tests (set_mocks,
    Mocks, test, set_all_config...): its modules (settings, stack, sync_await, mocks, rpc...) or private names."""
    reached: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            reached += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            reached += [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Attribute):
            reached.append(_dotted(node))
    return sorted({name for name in reached if _pulumi_runtime_internal(name)})


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


def _pulumi_runtime_internal(dotted: str) -> bool:
    parts = dotted.split(".")
    if parts[:2] != ["pulumi", "runtime"] or len(parts) < 3:
        return False
    return parts[2].startswith("_") or inspect.ismodule(getattr(pulumi.runtime, parts[2], None))


def test_only_the_harness_reaches_into_pulumi_s_runtime():
    paths = [
        path for top in CHECKED_FOR_PULUMI_INTERNALS for path in (ROOT / top).rglob("*.py") if "venv" not in path.parts
    ]
    reached = {str(path.relative_to(ROOT)): pulumi_runtime_internals(path) for path in [*paths, ROOT / "__main__.py"]}
    assert {path: names for path, names in reached.items() if names} == {}


def test_a_reach_into_pulumi_s_runtime_is_caught(tmp_path):
    leak = tmp_path / "leak.py"
    leak.write_text(
        "import pulumi\nfrom pulumi.runtime import settings\nfrom pulumi.runtime.sync_await import _sync_await\n"
        "pulumi.runtime.stack.Stack\npulumi.runtime.set_mocks\npulumi.runtime.test\n"
    )
    assert pulumi_runtime_internals(leak) == [
        "pulumi.runtime.settings",
        "pulumi.runtime.stack",
        "pulumi.runtime.stack.Stack",
        "pulumi.runtime.sync_await",
        "pulumi.runtime.sync_await._sync_await",
    ]
    assert pulumi_runtime_internals(ROOT / "harness" / "pulumi_program.py") != []
