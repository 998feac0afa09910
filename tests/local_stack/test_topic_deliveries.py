"""SNS's deliveries as the local stack makes them: to a queue only where its policy lets the topic send, and chat
alerts only to a receiver on this machine."""

import json
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from local_stack.local_cloud import sns_may_send
from local_stack.settings import NotLoopback, loopback_url
from tests.running_stack import eventually, local_stack_command, start_stack, stop_stack

TOPIC, QUEUE = "arn:aws:sns:eu-west-3:123456789012:alerts", "arn:aws:sqs:eu-west-3:123456789012:chat"


def queue_policy(topic=TOPIC, queue=QUEUE, principal="sns.amazonaws.com", action="sqs:SendMessage"):
    return {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": principal},
                "Action": action,
                "Resource": queue,
                "Condition": {"ArnEquals": {"aws:SourceArn": topic}},
            }
        ]
    }


def test_sns_sends_to_a_queue_only_for_the_topic_its_policy_names():
    assert sns_may_send(queue_policy(), QUEUE, TOPIC)
    assert sns_may_send(queue_policy(action=["sqs:SendMessage"], queue=[QUEUE]), QUEUE, TOPIC)
    assert not sns_may_send(None, QUEUE, TOPIC)
    assert not sns_may_send(queue_policy(topic=TOPIC + "-other"), QUEUE, TOPIC)
    assert not sns_may_send(queue_policy(queue=QUEUE + "-other"), QUEUE, TOPIC)
    assert not sns_may_send(queue_policy(principal="events.amazonaws.com"), QUEUE, TOPIC)
    assert not sns_may_send(queue_policy(action="sqs:ReceiveMessage"), QUEUE, TOPIC)
    like = queue_policy(topic="arn:aws:sns:eu-west-3:123456789012:*")
    like["Statement"][0]["Condition"] = {"ArnLike": like["Statement"][0]["Condition"]["ArnEquals"]}
    assert sns_may_send(like, QUEUE, TOPIC)
    denied = queue_policy()
    denied["Statement"][0]["Effect"] = "Deny"
    assert not sns_may_send(denied, QUEUE, TOPIC)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/hook", "http://localhost/x", "https://[::1]:9/y"])
def test_a_receiver_on_this_machine_may_take_the_chat_alerts(url):
    assert loopback_url(url) == url


@pytest.mark.parametrize("url", ["https://hooks.slack.com/services/T/B/X", "ftp://127.0.0.1/x", "127.0.0.1:80"])
def test_any_other_webhook_is_refused_with_what_to_give(url):
    with pytest.raises(NotLoopback, match=r"only to a receiver on this machine, http://127\.0\.0\.1:PORT/PATH"):
        loopback_url(url)


@pytest.fixture
def receiver():
    """A chat webhook of the user's own on this machine: the posts it got."""
    posts: list[dict[str, object]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            posts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=lambda: server.serve_forever(poll_interval=0.05), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/my/hook", posts
    server.shutdown()
    server.server_close()


@pytest.mark.local_stack
def test_chat_alerts_go_to_the_loopback_receiver_the_user_gave(tmp_path, receiver):
    url, posts = receiver
    stack = start_stack(tmp_path, {"alertChannels": ["sns", "webhook"], "alertWebhookUrl": url})
    try:
        assert stack.request("PUT", "/stocks/OWN-HOOK-1", json.dumps({"stock_level": 0}))[0] == 200
        eventually(lambda: [post["stock_id"] for post in posts] == ["OWN-HOOK-1"], timeout=60)
    finally:
        stop_stack(stack)


@pytest.mark.local_stack
def test_a_webhook_off_this_machine_stops_the_start_with_what_to_give(tmp_path):
    command = local_stack_command(tmp_path, {"alertWebhookUrl": "https://hooks.slack.com/services/T/B/X"})
    finished = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert finished.returncode == 1
    assert "cannot start: alertWebhookUrl='https://hooks.slack.com/services/T/B/X': the local stack posts alerts" in (
        finished.stderr
    )
