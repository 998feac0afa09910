import pytest
from botocore.exceptions import ClientError

from adapters.outbound.sqs_rejected_input_store import SqsRejectedInputStore
from domain.ports import RejectedInput


def test_every_rejected_line_is_kept_with_its_source_and_reason(account):
    rejected = [RejectedInput(f"msg-1:{n}", f"bad;{n};x", f"line {n}: wrong") for n in range(1, 24)]
    SqsRejectedInputStore(account.sqs, account.dead_letter_queue_url).keep(rejected)
    kept = account.drain(account.dead_letter_queue_url)
    assert sorted(
        (m["MessageAttributes"]["source"]["StringValue"], m["Body"], m["MessageAttributes"]["reason"]["StringValue"])
        for m in kept
    ) == sorted((r.source, r.content, r.reason) for r in rejected)


def test_an_unreachable_queue_raises_so_the_message_is_retried(account):
    store = SqsRejectedInputStore(account.sqs, account.dead_letter_queue_url + "-gone")
    with pytest.raises(ClientError):
        store.keep([RejectedInput("msg-1:1", "bad", "line 1: wrong")])


def test_entries_the_queue_refuses_raise_instead_of_being_dropped(mocker):
    client = mocker.Mock()
    client.send_message_batch.return_value = {
        "Successful": [],
        "Failed": [{"Id": "0", "SenderFault": False, "Code": "InternalError"}],
    }
    with pytest.raises(RuntimeError, match="refused 1"):
        SqsRejectedInputStore(client, "https://queue").keep([RejectedInput("msg-1:1", "bad", "line 1: wrong")])


def test_characters_sqs_refuses_are_replaced_an_empty_line_is_named_and_a_long_reason_cut(account):
    long_reason = "line 2: " + "x" * 2000
    rejected = [RejectedInput("f:1", "A\x00;\x01", "line 1: bad"), RejectedInput("f:2", "", long_reason)]
    SqsRejectedInputStore(account.sqs, account.dead_letter_queue_url).keep(rejected)
    kept = sorted(
        account.drain(account.dead_letter_queue_url), key=lambda m: m["MessageAttributes"]["source"]["StringValue"]
    )
    assert [(m["Body"], m["MessageAttributes"]["reason"]["StringValue"]) for m in kept] == [
        ("A\ufffd;\ufffd", "line 1: bad"),
        ("(empty)", long_reason[:1024]),
    ]
