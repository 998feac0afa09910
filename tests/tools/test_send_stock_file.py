import itertools

import pytest

from tools.send_stock_file import MAX_ATTEMPTS, RejectedLine, batches, check_lines, pack, send


def test_bad_lines_are_reported_by_number_and_not_sent():
    checked = check_lines(["\ufeffA1;1\n", "A2;x\n", "\n", "A3;3;2024-01-01T00:00:00Z\r\n", "A4\n"])
    assert checked.lines == ["A1;1", "A3;3;2024-01-01T00:00:00Z"]
    assert [(bad.number, bad.text) for bad in checked.rejected] == [(2, "A2;x"), (5, "A4")]
    assert isinstance(checked.rejected[0], RejectedLine)


def test_of_several_untimed_lines_for_one_item_only_the_last_is_sent():
    checked = check_lines(["A1;5", "B1;1", "A1;3", "A1;4;2024-01-01T00:00:00Z"])
    assert checked.lines == ["B1;1", "A1;3", "A1;4;2024-01-01T00:00:00Z"]
    assert checked.superseded == 1


def test_lines_are_packed_into_messages_within_the_size_limit_in_order():
    lines = [f"ITEM{i:04d};{i}" for i in range(1000)]
    bodies = pack(lines, max_bytes=1000)
    assert all(len(body.encode()) <= 1000 for body in bodies)
    assert "\n".join(bodies).split("\n") == lines
    # As few messages as possible: the next line would not have fitted in the message before.
    for body, following in itertools.pairwise(bodies):
        assert len(body.encode()) + 1 + len(following.split("\n")[0].encode()) + 1 > 1000


def test_batches_hold_at_most_ten_entries_and_the_size_limit():
    groups = batches(["x" * 100] * 25, max_bytes=450)
    assert [len(group) for group in groups] == [4, 4, 4, 4, 4, 4, 1]
    assert batches(["y" * 10] * 25, max_bytes=10_000) == [["y" * 10] * 10, ["y" * 10] * 10, ["y" * 10] * 5]


def sqs_refusing(mocker, refusals):
    """An SQS client that refuses every entry for the first `refusals` calls."""
    sqs = mocker.Mock()
    sqs.get_queue_attributes.return_value = {"Attributes": {"MaximumMessageSize": "262144"}}
    calls = {"n": 0}

    def send_message_batch(QueueUrl, Entries):
        calls["n"] += 1
        if calls["n"] <= refusals:
            return {
                "Successful": [],
                "Failed": [{"Id": e["Id"], "SenderFault": False, "Code": "Internal"} for e in Entries],
            }
        return {"Successful": [{"Id": e["Id"]} for e in Entries], "Failed": []}

    sqs.send_message_batch.side_effect = send_message_batch
    return sqs


def test_refused_entries_are_retried_until_sent(mocker):
    mocker.patch("tools.send_stock_file.time.sleep")
    report = send(sqs_refusing(mocker, refusals=2), "https://q", ["A1;1", "A2;2"], lambda sent, total: None)
    assert (report.lines_sent, report.messages, report.requests, report.retried) == (2, 1, 3, 2)
    assert report.failed_entries == []


def test_entries_still_refused_after_the_last_attempt_are_named(mocker):
    mocker.patch("tools.send_stock_file.time.sleep")
    report = send(sqs_refusing(mocker, refusals=99), "https://q", ["A1;1"], lambda sent, total: None)
    assert report.failed_entries == ["A1;1"]
    assert report.requests == MAX_ATTEMPTS


@pytest.mark.parametrize("size", ["262144", "2000000"])
def test_the_queue_size_limit_is_honoured_up_to_one_mebibyte(mocker, size):
    sqs = sqs_refusing(mocker, refusals=0)
    sqs.get_queue_attributes.return_value = {"Attributes": {"MaximumMessageSize": size}}
    lines = [f"ITEM{i:06d};{i % 100}" for i in range(120_000)]
    send(sqs, "https://q", lines, lambda sent, total: None)
    for call in sqs.send_message_batch.call_args_list:
        assert sum(len(e["MessageBody"].encode()) for e in call.kwargs["Entries"]) <= min(int(size), 1024 * 1024)
