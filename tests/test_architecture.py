"""The layers stay apart: import-linter contracts, and the imports the Lambda runtime can satisfy."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

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
        ("handlers/leak.py", "import pulumi", "Runtime code never imports infrastructure code"),
        ("handlers/leak.py", "import components", "Runtime code never imports infrastructure code"),
        ("components/leak.py", "import domain.stock", "Infrastructure code never imports runtime code"),
        ("adapters/leak.py", "import local_stack", "Runtime code never imports infrastructure code"),
        ("tools/leak.py", "import moto", "no emulator"),
        ("tools/leak.py", "from local_stack.aws import embedded_aws", "no emulator"),
        ("handlers/leak.py", "import moto", "no emulator"),
    ],
)
def test_each_contract_catches_the_import_it_forbids(tmp_path, module, line, broken_contract):
    for package in (*RUNTIME_PACKAGES, "components", "local_stack", "tools"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / module).write_text(f'"""A deliberate breach."""\n\n{line}\n')
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    # The summary lists every contract, each KEPT or BROKEN: the one named must be among the broken.
    broken = [line for line in result.stdout.splitlines() if line.rstrip().endswith("BROKEN")]
    assert any(broken_contract in line for line in broken), result.stdout


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


def test_the_pulumi_program_imports_no_runtime_code():
    # import-linter cannot model a module named __main__, so the stack file is checked here.
    imported = imported_top_levels(ROOT / "__main__.py")
    assert "components" in imported
    assert imported.isdisjoint(RUNTIME_PACKAGES)
