"""A stock file dropped in the local stack's bucket: checked, sent through the import queue, reported."""

import json
from typing import Any

import pytest

from tests.running_stack import RunningStack, eventually
from tools import send_stock_file

pytestmark = pytest.mark.local_stack


def report_of(local_stack: RunningStack, name: str) -> Any:
    s3 = local_stack.client("s3")
    key = f"{local_stack.outputs['report_prefix']}{name}.report.json"
    return json.loads(s3.get_object(Bucket=local_stack.outputs["drop_bucket_name"], Key=key)["Body"].read())


def dead_letters_from(local_stack: RunningStack, key_and_line: str) -> list[str]:
    """The lines kept in the dead-letter queue from one line of a dropped file (others' are drained too)."""
    source = f"s3://{local_stack.outputs['drop_bucket_name']}/{key_and_line}"
    kept = eventually(
        lambda: [
            m["Body"]
            for m in local_stack.drain(local_stack.outputs["dead_letter_queue_url"])
            if m["MessageAttributes"]["source"]["StringValue"] == source
        ],
        timeout=30,
    )
    return list(kept)


def level_of(local_stack: RunningStack, stock_id: str) -> int | None:
    status, body = local_stack.request("GET", f"/stocks/{stock_id}")
    return int(body["stock_level"]) if status == 200 else None


def test_a_dropped_file_applies_its_good_lines_keeps_the_bad_one_and_reports_both(
    local_stack, tmp_path, capsys, monkeypatch
):
    local_stack.reach_as_aws(monkeypatch)
    stock_file = tmp_path / "drop e2e.txt"
    stock_file.write_text("DROP-E2E-1;7\nDROP-E2E-2;lots\nDROP-E2E-3;0;2024-05-01T00:00:00Z\n")
    outputs = local_stack.work_dir / "outputs.json"

    code = send_stock_file.main([str(stock_file), "--via", "bucket", "--outputs", str(outputs), "--wait", "60"])

    assert code == 1  # a line was rejected
    assert "sent: 2 lines sent to the import queue, 1 rejected" in capsys.readouterr().out
    report = report_of(local_stack, "drop e2e.txt")
    assert [(bad["line"], bad["text"]) for bad in report["rejected"]] == [(2, "DROP-E2E-2;lots")]
    assert eventually(lambda: level_of(local_stack, "DROP-E2E-1") == 7, timeout=60)
    assert eventually(lambda: level_of(local_stack, "DROP-E2E-3") == 0, timeout=60)
    assert dead_letters_from(local_stack, "incoming/drop e2e.txt:2") == ["DROP-E2E-2;lots"]


def test_a_file_outside_the_drop_folder_triggers_nothing(local_stack):
    s3 = local_stack.client("s3")
    bucket = local_stack.outputs["drop_bucket_name"]
    s3.put_object(Bucket=bucket, Key="elsewhere/stock.txt", Body=b"DROP-E2E-9;1\n")
    s3.put_object(Bucket=bucket, Key="incoming/after.txt", Body=b"DROP-E2E-10;1\n")
    eventually(lambda: level_of(local_stack, "DROP-E2E-10") == 1, timeout=60)
    assert s3.list_objects_v2(Bucket=bucket, Prefix="reports/elsewhere")["KeyCount"] == 0
    assert level_of(local_stack, "DROP-E2E-9") is None


def test_a_file_of_a_hundred_thousand_lines_is_imported_whole_with_its_bad_line_named(local_stack, tmp_path):
    """100,000 lines for 100 items (each repeated at one time, so the import writes little); its memory is
    measured by `make bench`, section 8."""
    stock_file = tmp_path / "large.txt"
    with stock_file.open("w") as handle:
        for number in range(1, 100_001):
            item = number % 100
            line = "DROP-LARGE-BAD;x" if number == 54_321 else f"DROP-LARGE-{item};{item};2024-05-01T00:00:00Z"
            handle.write(line + "\n")
    bucket = local_stack.outputs["drop_bucket_name"]
    local_stack.client("s3").upload_file(str(stock_file), bucket, "incoming/large.txt")

    report = eventually(lambda: _report_if_written(local_stack, "large.txt"), timeout=240)

    assert (report["status"], report["lines_sent"], report["lines_rejected"]) == ("sent", 99_999, 1)
    assert [bad["line"] for bad in report["rejected"]] == [54_321]
    applied: dict[int, int | None] = {0: None, 42: None, 99: None}

    def all_applied() -> bool:
        applied.update({item: level_of(local_stack, f"DROP-LARGE-{item}") for item in applied})
        return all(level == item for item, level in applied.items())

    assert eventually(all_applied, timeout=240)
    assert dead_letters_from(local_stack, "incoming/large.txt:54321") == ["DROP-LARGE-BAD;x"]


def _report_if_written(local_stack: RunningStack, name: str) -> Any:
    try:
        return report_of(local_stack, name)
    except local_stack.client("s3").exceptions.NoSuchKey:
        return None
