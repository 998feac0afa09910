import itertools

import pytest

from adapters.outbound.sqs_stock_line_queue import MAX_ATTEMPTS, SqsStockLineQueue, batches, pack


def test_lines_are_packed_into_messages_within_the_size_limit_in_order():
    lines = [f"ITEM{i:04d};{i}" for i in range(1000)]
    bodies = list(pack(lines, max_bytes=1000))
    assert all(len(body.encode()) <= 1000 for body in bodies)
    assert "\n".join(bodies).split("\n") == lines
    # As few messages as possible: the next line would not have fitted in the message before.
    for body, following in itertools.pairwise(bodies):
        assert len(body.encode()) + 1 + len(following.split("\n")[0].encode()) + 1 > 1000


def test_batches_hold_at_most_ten_entries_and_the_size_limit():
    groups = list(batches(["x" * 100] * 25, max_bytes=450))
    assert [len(group) for group in groups] == [4, 4, 4, 4, 4, 4, 1]
    assert list(batches(["y" * 10] * 25, max_bytes=10_000)) == [["y" * 10] * 10, ["y" * 10] * 10, ["y" * 10] * 5]


def test_lines_are_consumed_as_they_are_sent_not_all_at_once(mocker):
    consumed = []

    def lines():
        for i in range(100_000):
            consumed.append(i)
            yield f"ITEM{i:06d};1"

    sqs = sqs_refusing(mocker, refusals=0)
    in_flight: list[int] = []

    def send_message_batch(QueueUrl, Entries):
        in_flight.append(len(consumed))
        return {"Successful": [{"Id": e["Id"]} for e in Entries]}

    sqs.send_message_batch.side_effect = send_message_batch
    SqsStockLineQueue(sqs, "https://q").send(lines())
    assert len(in_flight) > 1
    assert in_flight[0] < 100_000  # the first batch went out before the last line was read


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
    sent = SqsStockLineQueue(sqs_refusing(mocker, refusals=2), "https://q", sleep=lambda _: None).send(["A1;1", "A2;2"])
    assert (sent.lines, sent.messages, sent.requests, sent.retried) == (2, 1, 3, 2)
    assert sent.unsent == []


def test_entries_still_refused_after_the_last_attempt_are_returned(mocker):
    sent = SqsStockLineQueue(sqs_refusing(mocker, refusals=99), "https://q", sleep=lambda _: None).send(["A1;1"])
    assert (sent.unsent, sent.unsent_lines, sent.requests) == (["A1;1"], 1, MAX_ATTEMPTS)


@pytest.mark.parametrize("size", ["262144", "2000000"])
def test_the_queue_size_limit_is_honoured_up_to_one_mebibyte(mocker, size):
    sqs = sqs_refusing(mocker, refusals=0)
    sqs.get_queue_attributes.return_value = {"Attributes": {"MaximumMessageSize": size}}
    SqsStockLineQueue(sqs, "https://q").send(f"ITEM{i:06d};{i % 100}" for i in range(120_000))
    for call in sqs.send_message_batch.call_args_list:
        assert sum(len(e["MessageBody"].encode()) for e in call.kwargs["Entries"]) <= min(int(size), 1024 * 1024)


def test_lines_reach_a_real_queue_packed_in_order(account):
    url = account.sqs.create_queue(QueueName="import", Attributes={"MaximumMessageSize": "1024"})["QueueUrl"]
    lines = [f"ITEM{i:04d};{i}" for i in range(500)]
    sent = SqsStockLineQueue(account.sqs, url).send(lines)
    received = [line for message in account.drain(url) for line in message["Body"].split("\n")]
    assert sorted(received) == lines
    assert sent.messages == len(list(pack(lines, 1024)))


def test_messages_and_batches_are_filled_up_to_their_limits():
    # A line costs its bytes and a line break: two 4-byte lines fill a 10-byte message.
    assert list(pack(["abcd"] * 6, max_bytes=10)) == ["abcd\nabcd"] * 3
    assert list(batches(["abcde"] * 4, max_bytes=10)) == [["abcde"] * 2] * 2


def test_progress_is_told_the_lines_sent_so_far_after_each_batch(mocker):
    sqs = sqs_refusing(mocker, refusals=0)
    sqs.get_queue_attributes.return_value = {"Attributes": {"MaximumMessageSize": "1024"}}
    told: list[int] = []
    SqsStockLineQueue(sqs, "https://q").send((f"ITEM{i:04d};{i}" for i in range(1000)), progress=told.append)
    assert len(told) == sqs.send_message_batch.call_count > 1
    assert told == sorted(told)
    assert told[-1] == 1000


@pytest.mark.parametrize(
    ("attempts", "pauses"), [(MAX_ATTEMPTS, [0.4, 0.8, 1.6, 3.2]), (8, [0.4, 0.8, 1.6, 3.2, 5.0, 5.0, 5.0])]
)
def test_refused_entries_are_sent_again_after_pauses_that_double_up_to_five_seconds(mocker, attempts, pauses):
    slept: list[float] = []
    queue = SqsStockLineQueue(sqs_refusing(mocker, refusals=99), "https://q", sleep=slept.append, attempts=attempts)
    queue.send(["A1;1"])
    assert slept == pytest.approx(pauses)


def test_an_answer_without_a_list_of_successes_is_all_failures(mocker):
    sqs = sqs_refusing(mocker, refusals=0)
    answers = iter([{"Failed": [{"Id": "0", "SenderFault": False, "Code": "Internal"}]}, {"Successful": [{"Id": "0"}]}])
    sqs.send_message_batch.side_effect = lambda QueueUrl, Entries: next(answers)
    sent = SqsStockLineQueue(sqs, "https://q", sleep=lambda _: None).send(["A1;1"])
    assert (sent.lines, sent.requests, sent.retried, sent.unsent) == (1, 2, 1, [])
