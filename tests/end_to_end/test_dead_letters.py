"""`make dlq` and `make redrive` against a local stack: rejected lines read, exported, fixed and applied;
a message that exhausted its retries moved back and applied."""

from collections.abc import Iterator

import pytest

from tests.running_stack import RunningStack, eventually, running
from tools import dead_letters, send_stock_file

pytestmark = pytest.mark.local_stack  # starts a local stack or the embedded AWS: not in `make check`

# Sized for a loaded machine: these messages of a few lines fit 3 s there (the init phase does not count), and
# one slow receive does not dead-letter a message, a second must fail too. A message that fails every receive is
# back after 6 x 3 s + 1 s and moves to the dead-letter queue at its third receive, about 40 s after it was sent.
QUICK_DEAD_LETTERS = {"importFunctionTimeoutSeconds": 3, "queueBatchingWindowSeconds": 1, "maxReceiveCount": 2}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    yield from running(tmp_path_factory.mktemp("dead-letters-stack"), QUICK_DEAD_LETTERS)


def tool(stack, capsys, *options):
    assert dead_letters.main(["--outputs", str(stack.work_dir / "outputs.json"), *options]) == 0
    return capsys.readouterr().out


def level_of(stack, stock_id):
    status, body = stack.request("GET", f"/stocks/{stock_id}")
    return body.get("stock_level") if status == 200 else None


@pytest.fixture(autouse=True)
def _empty_queues(stack, monkeypatch):
    """Each test starts with nothing waiting, whatever the one before left, and the tools reach the stack as they
    reach AWS."""
    stack.reach_as_aws(monkeypatch)
    stack.drain(stack.outputs["dead_letter_queue_url"])
    stack.drain(stack.outputs["failure_queue_url"])


def listing_with(stack, capsys, expected):
    """The listing, once it shows `expected` (the import runs asynchronously)."""

    def listing():
        out = tool(stack, capsys)
        return out if expected in out else None

    return eventually(listing, timeout=240)


def test_rejected_lines_are_listed_exported_fixed_sent_again_and_applied(stack, capsys, tmp_path):
    assert "Nothing waits" in tool(stack, capsys)
    sqs = stack.client("sqs")  # a file sent by another tool than the loader, which would refuse bad lines itself
    sqs.send_message(QueueUrl=stack.outputs["queue_url"], MessageBody="DL-1;4\nDL-2;lots\nDL-3;5\nDL 4;1")
    eventually(lambda: level_of(stack, "DL-3") == 5, timeout=120)

    listing = listing_with(stack, capsys, "2 rejected line(s)")
    assert "'DL-2;lots'" in listing
    assert "'DL 4;1'" in listing
    assert "stock_level must be a whole number" in listing
    assert "Nothing waits" not in tool(stack, capsys)  # listing consumed nothing

    fixme = tmp_path / "fixme.txt"
    assert "Exported 2 rejected line(s)" in tool(stack, capsys, "--export", str(fixme))
    assert sorted(fixme.read_text().splitlines()) == ["DL 4;1", "DL-2;lots"]
    assert "Nothing waits" in tool(stack, capsys)
    fixme.write_text("DL-2;7\nDL-4;1\n")  # corrected by a person
    assert send_stock_file.main([str(fixme), "--outputs", str(stack.work_dir / "outputs.json")]) == 0
    eventually(lambda: level_of(stack, "DL-2") == 7 and level_of(stack, "DL-4") == 1, timeout=120)


def test_a_message_that_exhausted_its_retries_is_redriven_and_applied(stack, capsys):
    stack.faults("POST", service="dynamodb", operation="UpdateItem", error="InternalServerError", rate=1.0)
    try:
        stack.client("sqs").send_message(QueueUrl=stack.outputs["queue_url"], MessageBody="DL-R1;6\nDL-R2;8")
        listing_with(stack, capsys, "1 whole message(s)")
    finally:
        stack.faults("DELETE")
    assert "Moving 1 message(s) back" in tool(stack, capsys, "--redrive")
    eventually(lambda: level_of(stack, "DL-R1") == 6 and level_of(stack, "DL-R2") == 8, timeout=120)
    assert "Nothing waits" in tool(stack, capsys)


def test_redrive_leaves_rejected_lines_for_an_export(stack, capsys):
    stack.client("sqs").send_message(QueueUrl=stack.outputs["queue_url"], MessageBody="DL-X;nope")
    listing_with(stack, capsys, "1 rejected line(s)")
    assert "Export them first" in tool(stack, capsys, "--redrive")
    assert "1 rejected line(s)" in tool(stack, capsys)
