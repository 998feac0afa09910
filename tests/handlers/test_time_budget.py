from handlers.queue_import import handler
from handlers.time_budget import TimeBudget
from tests.events import sqs_event


class Context:
    def __init__(self, remaining_ms):
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self):
        return self.remaining_ms


def test_without_a_context_there_is_no_limit():
    assert TimeBudget(None).allows_another()


def test_work_stops_when_less_than_the_margin_is_left():
    assert TimeBudget(Context(5_000)).allows_another()
    assert not TimeBudget(Context(900)).allows_another()


def test_messages_not_started_for_lack_of_time_are_reported_for_retry(deployed):
    response = handler(sqs_event("A1;1", "A2;2"), Context(500))
    assert response == {"batchItemFailures": [{"itemIdentifier": "msg-0"}, {"itemIdentifier": "msg-1"}]}
    assert deployed.stored("A1") is None


def test_with_time_enough_every_message_is_applied(deployed):
    assert handler(sqs_event("A1;1", "A2;2"), Context(60_000)) == {"batchItemFailures": []}
    assert deployed.stored("A2")["stock_level"] == {"N": "2"}
