"""Every code block of the README and docs/ marked `local` runs as written, in bash, against a local stack started
as `make run` starts it, from a directory that is the project to the commands (its `.local` the stack's files).

Each page runs in one shell, block after block, as a reader would paste them; between two blocks the runner waits
until the stack is done with what the last one sent (the import queue empty, the table's stream caught up), as a
reader does before the next. A command that fails fails the test: bash stops at it (`set -euo pipefail`), and
curl, told by its configuration file to fail on an HTTP error, exits with it."""

from __future__ import annotations

import os
import queue
import re
import shutil
import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.documentation_pages import PAGES, ROOT, CodeBlock, code_blocks
from tests.running_stack import AlertInbox, RunningStack, eventually, settle_alerts, start_stack, stop_stack

pytestmark = pytest.mark.local_stack  # starts a local stack: not in `make check`

# Commands a local block may hold that are not run as written here: `make run` is the stack this test starts,
# `make test` and `make check` are the suite this test is part of, `make bench` and `make mutate` take the machine
# for long. make is asked to show what each would run (`make -n`), and pytest to collect what it would run, so a
# target or a path that does not exist still fails.
SHOWN_NOT_RUN = re.compile(r"^(\s*(?:\w+=\S*\s+)*)make\s+(?=(?:run|test|check|bench|mutate)(?:\s|$))", re.MULTILINE)
COLLECTED_NOT_RUN = re.compile(r"^(\s*(?:\w+=\S*\s+)*)(\.venv/bin/pytest)\b", re.MULTILINE)
# What a reader's fresh shell would not hold: AWS settings that come before the local profile, the Makefile's own
# variables, and a parent make's or pytest's settings.
MAKE_VARIABLES = {
    *("STACK", "FILE", "VIA", "EXPORT", "ID", "CHANNEL", "DRY_RUN", "REPAIR_FUTURE", "START_AFTER", "TARGET"),
    *(
        "STACK_FILE",
        "AUTH",
        "RELOAD",
        "SPEEDUPS",
        "WORKERS",
        "INSTALLER",
        "PORT",
        "LOCAL_AWS_PORT",
        "MAKEFLAGS",
        "MAKELEVEL",
        "MFLAGS",
    ),
}
BLOCK_SECONDS = 120


def runnable(block: CodeBlock) -> str:
    """The block's text, with the commands above shown or collected rather than run."""
    text = SHOWN_NOT_RUN.sub(r"\1make -n ", block.text)
    return COLLECTED_NOT_RUN.sub(r"\1\2 --collect-only -q", text)


def local_blocks(page: Path) -> list[CodeBlock]:
    return [block for block in code_blocks(page) if block.marker == "local"]


def project_view(directory: Path) -> Path:
    """`directory` made the project for the commands: each entry git tracks at the top, the virtualenv and the git
    directory linked, so that files a block writes (stock.txt, fixme.txt) stay here. requirements-dev.txt is a copy
    dated 1970, so that make never takes the shared virtualenv for out of date and reinstalls it from a test."""
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    entries = {line.split("/", 1)[0] for line in tracked.splitlines()} | {".venv", ".git"}
    for name in sorted(entries - {"requirements-dev.txt", ".local"}):
        if (ROOT / name).exists():
            (directory / name).symlink_to(ROOT / name)
    shutil.copyfile(ROOT / "requirements-dev.txt", directory / "requirements-dev.txt")
    os.utime(directory / "requirements-dev.txt", (0, 0))
    up_to_date = subprocess.run(["make", "-q", ".venv/.installed"], cwd=directory, capture_output=True, check=False)
    if up_to_date.returncode != 0:
        pytest.fail("make would build .venv here: run `make test` (or `make run`) once first, which installs it")
    return directory


def shell_environment(curl_home: Path) -> dict[str, str]:
    """This process's environment as a reader's shell would have it, curl set to fail on an HTTP error."""
    (curl_home / ".curlrc").write_text("fail-with-body\nsilent\nshow-error\n")
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "PYTEST_")) and name not in MAKE_VARIABLES
    }
    return {**kept, "CURL_HOME": str(curl_home)}


def wait_until_settled(stack: RunningStack, inbox: AlertInbox) -> None:
    """Return once the import queue holds nothing, waiting or in flight, and the table's stream has handled every
    change made so far: what the next block reads (dead letters, low items) is then there."""
    sqs = stack.client("sqs")
    counts = [f"ApproximateNumberOf{kind}" for kind in ("Messages", "MessagesNotVisible", "MessagesDelayed")]

    def import_queue_empty() -> bool:
        attributes = sqs.get_queue_attributes(QueueUrl=stack.outputs["queue_url"], AttributeNames=counts)
        return not any(int(count) for count in attributes["Attributes"].values())

    eventually(import_queue_empty, timeout=BLOCK_SECONDS)
    settle_alerts(stack, lambda stock_id: inbox.per_item()[stock_id] > 0, timeout=BLOCK_SECONDS)


class PageShell:
    """One bash for a page: each block is sent on its stdin once the one before has ended, and ends by printing a
    line of its own; bash reads nothing else there, each block's commands reading /dev/null."""

    def __init__(self, directory: Path, environment: dict[str, str]) -> None:
        self.token = f"block-done-{uuid.uuid4().hex}"
        self.output: list[str] = []
        self._events: queue.Queue[str | None] = queue.Queue()
        self.process = subprocess.Popen(
            ["bash", "--noprofile", "--norc", "-euo", "pipefail"],
            cwd=directory,
            env=environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, name="page-shell", daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout or []:
            self.output.append(line.rstrip("\n"))
            if line.startswith(self.token):
                self._events.put(line.strip())
        self._events.put(None)  # bash ended

    def run(self, number: int, text: str) -> None:
        """Send block `number` and return once it ended; fail, with what bash printed, if bash stopped first."""
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(f"{{\n{text}}} </dev/null\nprintf '\\n%s\\n' '{self.token} {number}'\nread -r _\n")
        stdin.flush()
        try:
            event = self._events.get(timeout=BLOCK_SECONDS)
        except queue.Empty:
            event = "timed out"
        if event != f"{self.token} {number}":
            self.close()
            pytest.fail(f"{event or 'bash stopped'}:\n" + "\n".join(self.output[-60:]))

    def go_on(self) -> None:
        """Let the block just run finish its wait for the next one."""
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write("\n")
        stdin.flush()

    def close(self) -> int:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            return self.process.wait(timeout=BLOCK_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


@pytest.fixture(scope="module")
def documented_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, RunningStack, AlertInbox]]:
    """A local stack as `make run` starts it (the dev stack's settings), its files in the project view's .local;
    the pages run on it one after the other, in order, as a reader reads them."""
    directory = tmp_path_factory.mktemp("documented") / "project"
    (directory / ".local").mkdir(parents=True)
    project_view(directory)
    stack = start_stack(directory / ".local", None)
    try:
        yield directory, stack, AlertInbox(stack, "documented-commands-inbox")
    finally:
        stop_stack(stack)


def run_page(page: Path, directory: Path, stack: RunningStack, inbox: AlertInbox, curl_home: Path) -> None:
    shell = PageShell(directory, shell_environment(curl_home))
    blocks = local_blocks(page)
    for number, block in enumerate(blocks):
        shell.output.append(f"--- {block}")
        shell.run(number, runnable(block))
        wait_until_settled(stack, inbox)
        shell.go_on()
    status = shell.close()
    assert status == 0, "\n".join(shell.output[-60:])


def history_missing(page: Path) -> list[str]:
    """The commits `page`'s local blocks name (`abc1234..def5678`) that this clone does not hold: a shallow clone's."""
    named = {
        sha
        for block in local_blocks(page)
        for sha in re.findall(r"\b([0-9a-f]{7,40})\.\.([0-9a-f]{7,40})\b", block.text)
    }
    commits = {sha for pair in named for sha in pair}
    return sorted(
        sha
        for sha in commits
        if subprocess.run(["git", "cat-file", "-e", f"{sha}^{{commit}}"], cwd=ROOT, capture_output=True).returncode
    )


PAGES_TO_RUN = [page for page in PAGES if local_blocks(page)]


def test_the_readme_runs_first_as_the_pages_after_it_may_read_what_it_made():
    assert PAGES_TO_RUN[0] == ROOT / "README.md"


@pytest.mark.parametrize("page", PAGES_TO_RUN, ids=[page.relative_to(ROOT).as_posix() for page in PAGES_TO_RUN])
def test_every_local_block_runs_as_written_against_a_local_stack(
    page: Path, documented_stack: tuple[Path, RunningStack, AlertInbox], tmp_path: Path
):
    if missing := history_missing(page):
        # Said, not hidden: CI's clone of main holds the history; a clone made with --depth does not.
        pytest.skip(f"this clone lacks the commits {', '.join(missing)} that the page's commands read")
    directory, stack, inbox = documented_stack
    (tmp_path / "curl").mkdir()
    run_page(page, directory, stack, inbox, tmp_path / "curl")


def test_the_commands_not_run_are_shown_or_collected(tmp_path: Path):
    block = CodeBlock(
        tmp_path / "page.md",
        2,
        "local",
        "make run    # the stack\nmake test\nSTACK_OUTPUTS=x .venv/bin/pytest tests/scenarios -v\nmake send FILE=a\n"
        "make test-aws STACK=dev\n",
    )
    assert runnable(block) == (
        "make -n run    # the stack\nmake -n test\n"
        "STACK_OUTPUTS=x .venv/bin/pytest --collect-only -q tests/scenarios -v\nmake send FILE=a\n"
        "make test-aws STACK=dev\n"
    )
