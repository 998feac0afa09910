"""Runs import-linter's `lint-imports --no-cache` on each project tree named on standard input, one after the
other in this one process, and answers each with a JSON line: its exit status and what it printed.

Started with `python -P`, so that no project of the caller is on the path: each tree's packages are found in the tree
alone, as `lint-imports` run in that tree finds them. A run of its own would start Python and import-linter again
for each tree, most of the time it takes."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys

from importlinter.cli import lint_imports_command


def lint_imports(tree: str) -> tuple[int, str]:
    """`lint-imports --no-cache` run in `tree`: its exit status and its output."""
    path, directory = list(sys.path), os.getcwd()
    printed = io.StringIO()
    os.chdir(tree)
    try:
        with contextlib.redirect_stdout(printed):
            lint_imports_command(["--no-cache"], prog_name="lint-imports")
    except SystemExit as exit:
        status = exit.code if isinstance(exit.code, int) else 1
    else:
        status = 0
    finally:
        os.chdir(directory)
        sys.path[:] = path  # lint-imports puts its directory first on the path
    return status, printed.getvalue()


def main() -> None:
    for line in sys.stdin:
        status, output = lint_imports(line.strip())
        print(json.dumps({"status": status, "output": output}), flush=True)


if __name__ == "__main__":
    main()
