"""SNS's deliveries as the local stack makes them: to a queue only where its policy lets the topic send and its key
lets SNS use it, else to the subscription's dead letters or lost, and chat alerts only to a receiver on this
machine."""

import json
import subprocess
import threading
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from local_stack.aws.service_grants import sns_may_send, sns_may_use_key
from local_stack.settings import NotLoopback, loopback_url
from tests.running_stack import RunningStack, eventually, local_stack_command, running, start_stack, stop_stack
from tools.dead_letters import alert_dead_letter

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


KEY = "arn:aws:kms:eu-west-3:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def key_policy(topic=TOPIC, actions=("kms:GenerateDataKey", "kms:Decrypt")):
    administration = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*"}
    return {
        "Statement": [
            {**administration, "Resource": "*"},
            {
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": list(actions),
                "Resource": "*",
                "Condition": {"ArnEquals": {"aws:SourceArn": topic}},
            },
        ]
    }


def test_sns_uses_a_key_only_with_both_grants_for_the_topic_its_policy_names():
    assert sns_may_use_key(key_policy(), KEY, TOPIC)
    assert not sns_may_use_key(key_policy(topic=TOPIC + "-other"), KEY, TOPIC)
    assert not sns_may_use_key(key_policy(actions=("kms:GenerateDataKey",)), KEY, TOPIC)
    assert not sns_may_use_key({"Statement": key_policy()["Statement"][:1]}, KEY, TOPIC)  # AWS's default policy


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


@pytest.fixture(scope="module")
def both_channels(tmp_path_factory):
    """A stack whose topic delivers to the chat channel's encrypted queue, with the subscribers' dead letters."""
    yield from running(tmp_path_factory.mktemp("queue-keys"), {"alertChannels": ["sns", "webhook"]})


@pytest.fixture
def kms(both_channels):
    """The embedded KMS; every key is enabled again after the test, with the policy it had before."""
    client = both_channels.client("kms")
    keys = [key["KeyId"] for key in client.list_keys()["Keys"]]
    policies = {key: client.get_key_policy(KeyId=key, PolicyName="default")["Policy"] for key in keys}
    yield client
    for key, policy in policies.items():
        client.put_key_policy(KeyId=key, PolicyName="default", Policy=policy)
        if client.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Disabled":
            client.enable_key(KeyId=key)


def disable(kms, key: str) -> None:
    kms.disable_key(KeyId=key)


def grant_sns_nothing(kms, key: str) -> None:
    """The key's policy without its grant to SNS: AWS's default statement alone."""
    policy = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    administration = [statement for statement in policy["Statement"] if "AWS" in statement["Principal"]]
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps({**policy, "Statement": administration}))


def key_of(stack: RunningStack, queue_url: str) -> str:
    """The id of the queue's key (moto's DisableKey takes an id, not an ARN)."""
    attributes = stack.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["KmsMasterKeyId"])
    return str(attributes["Attributes"]["KmsMasterKeyId"]).rsplit("/", 1)[-1]


def chat_queue(stack: RunningStack) -> str:
    return str(stack.client("sqs").get_queue_url(QueueName="alert-webhook-queue")["QueueUrl"])


def subscriber_dead_letters(stack: RunningStack) -> str:
    return str(stack.outputs["alert_dead_letter_queue_urls"]["sns"])


def dead_letters_of(stack: RunningStack, item: str) -> list[dict[str, object]]:
    """The subscribers' dead letters of one item, read without consuming them."""
    messages = stack.client("sqs").receive_message(
        QueueUrl=subscriber_dead_letters(stack),
        MaxNumberOfMessages=10,
        MessageAttributeNames=["All"],
        VisibilityTimeout=0,
    )
    return [m for m in messages.get("Messages", []) if alert_dead_letter("sns", m).item == item]


def counted(stack: RunningStack, metric: str) -> float:
    """The alerts topic's SNS metric, summed over the last hour."""
    now = datetime.now(UTC)
    statistics = stack.client("cloudwatch").get_metric_statistics(
        Namespace="AWS/SNS",
        MetricName=metric,
        Dimensions=[{"Name": "TopicName", "Value": stack.outputs["topic_arn"].rsplit(":", 1)[-1]}],
        StartTime=now - timedelta(hours=1),
        EndTime=now + timedelta(minutes=1),
        Period=60,
        Statistics=["Sum"],
    )
    return float(sum(point["Sum"] for point in statistics["Datapoints"]))


def set_low(stack: RunningStack, prefix: str) -> str:
    item = f"{prefix}-{uuid.uuid4().hex[:6].upper()}"
    assert stack.request("PUT", f"/stocks/{item}", json.dumps({"stock_level": 0}))[0] == 200
    return item


@pytest.mark.local_stack
@pytest.mark.parametrize(
    ("break_key", "error", "why"),
    [(disable, "KmsDisabled", "is Disabled"), (grant_sns_nothing, "KmsAccessDenied", "does not let SNS use it")],
)
def test_an_alert_sns_cannot_write_to_the_chat_queue_waits_in_the_subscribers_dead_letters(
    both_channels, kms, break_key, error, why
):
    break_key(kms, key_of(both_channels, chat_queue(both_channels)))
    kept_before = counted(both_channels, "NumberOfNotificationsRedrivenToDlq")
    lost_before = counted(both_channels, "NumberOfNotificationsFailedToRedriveToDlq")

    item = set_low(both_channels, "CHAT-KEY-OFF")

    [letter] = eventually(lambda: dead_letters_of(both_channels, item), timeout=60)
    # What `make dlq` shows of it: the item, and why SNS could not deliver it.
    shown = alert_dead_letter("sns", letter)
    assert (shown.channel, shown.status) == ("sns", error)
    assert "of alert-webhook-queue" in shown.reason
    assert why in shown.reason
    assert counted(both_channels, "NumberOfNotificationsRedrivenToDlq") == kept_before + 1
    assert counted(both_channels, "NumberOfNotificationsFailedToRedriveToDlq") == lost_before
    both_channels.drain(subscriber_dead_letters(both_channels))


@pytest.mark.local_stack
def test_an_alert_sns_can_neither_deliver_nor_keep_is_lost_and_counted(both_channels, kms):
    assert key_of(both_channels, subscriber_dead_letters(both_channels)) != key_of(
        both_channels, chat_queue(both_channels)
    )
    kms.disable_key(KeyId=key_of(both_channels, chat_queue(both_channels)))
    kms.disable_key(KeyId=key_of(both_channels, subscriber_dead_letters(both_channels)))
    lost_before = counted(both_channels, "NumberOfNotificationsFailedToRedriveToDlq")

    item = set_low(both_channels, "BOTH-KEYS-OFF")

    # SNS decides while it publishes, so once counted, nothing of it can still arrive anywhere.
    eventually(lambda: counted(both_channels, "NumberOfNotificationsFailedToRedriveToDlq") == lost_before + 1)
    assert dead_letters_of(both_channels, item) == []
    log = (both_channels.work_dir / "stderr.log").read_text().splitlines()
    assert [line for line in log if "nor keep it in" in line and line.endswith(": lost")], "the console says why"
