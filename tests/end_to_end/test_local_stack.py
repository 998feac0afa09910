"""End to end through the local stack, as a client would: HTTP to the API, AWS APIs to the queues and topic."""

import json
import socket
import time

import pytest

from tests.running_stack import AlertInbox, eventually, processes_in, settle_alerts, start_stack, stop_stack
from tools import send_stock_file

pytestmark = pytest.mark.local_stack  # starts a local stack or the embedded AWS: not in `make check`


def level_of(stack, stock_id):
    status, body = stack.request("GET", f"/stocks/{stock_id}")
    return body.get("stock_level") if status == 200 else None


def test_the_original_post_body_sets_a_level(local_stack):
    status, body = local_stack.request("POST", "/stocks", '{"stock_id": "E2E-A000", "stock_level": 7}')
    assert (status, body["stock_id"], body["stock_level"]) == (200, "E2E-A000", 7)
    assert level_of(local_stack, "E2E-A000") == 7


def test_put_then_get(local_stack):
    assert local_stack.request("PUT", "/stocks/E2E-B1", '{"stock_level": 4}')[0] == 200
    status, body = local_stack.request("GET", "/stocks/E2E-B1")
    assert (status, body["stock_level"]) == (200, 4)
    assert body["as_of"].endswith("Z")


@pytest.mark.parametrize(("stock_id", "encoded"), [("E2E-café", "E2E-caf%C3%A9"), ("E2E-A+1", "E2E-A%2B1")])
def test_an_item_posted_by_id_is_read_and_updated_through_its_encoded_path(local_stack, stock_id, encoded):
    body = json.dumps({"stock_id": stock_id, "stock_level": 2, "as_of": "2024-05-01T00:00:00Z"})
    assert local_stack.request("POST", "/stocks", body)[0] == 200
    assert local_stack.request("PUT", f"/stocks/{encoded}", '{"stock_level": 6}')[0] == 200
    status, document = local_stack.request("GET", f"/stocks/{encoded}")
    assert (status, document["stock_id"], document["stock_level"]) == (200, stock_id, 6)
    item = local_stack.client("dynamodb").get_item(
        TableName=local_stack.outputs["table_name"], Key={"stock_id": {"S": stock_id}}
    )
    assert item["Item"]["stock_level"] == {"N": "6"}  # one item, under the id as the client wrote it


@pytest.mark.parametrize(
    ("stock_id", "encoded"), [("E2E-x%y", "E2E-x%25y"), ("E2E-%41", "E2E-%2541"), ("E2E-A#1", "E2E-A%231")]
)
def test_an_id_no_new_item_may_have_is_refused_by_body_and_by_path_and_nothing_is_written(
    local_stack, stock_id, encoded
):
    assert local_stack.request("POST", "/stocks", json.dumps({"stock_id": stock_id, "stock_level": 2}))[0] == 400
    status, document = local_stack.request("PUT", f"/stocks/{encoded}", '{"stock_level": 6}')
    assert (status, document["message"].startswith("stock_id must not contain '?', '#', '%' or '/'")) == (400, True)
    item = local_stack.client("dynamodb").get_item(
        TableName=local_stack.outputs["table_name"], Key={"stock_id": {"S": stock_id}}
    )
    assert "Item" not in item


def test_bad_requests_get_a_4xx_with_a_json_message(local_stack):
    cases = [
        ("POST", "/stocks", "{not json", 400),
        ("POST", "/stocks", '{"stock_id": "E2E-C1", "stock_level": -2}', 400),
        ("PUT", "/stocks/E2E-C1", '{"stock_level": 1.5}', 400),
        ("POST", "/stocks", "x" * (64 * 1024 + 1), 413),
        ("GET", "/stocks/E2E-never-set", None, 404),
        ("DELETE", "/stocks/E2E-C1", None, local_stack.no_such_route[0]),  # API Gateway's, for an undeclared method
        ("GET", "/nowhere", None, local_stack.no_such_route[0]),
        ("TRACE", "/stocks/E2E-C1", None, local_stack.no_such_route[0]),  # one no API Gateway route takes
    ]
    for method, path, body, expected in cases:
        status, document = local_stack.request(method, path, body)
        assert status == expected, (method, path, document)
        assert document["message"]
    assert level_of(local_stack, "E2E-C1") is None


def test_non_text_bodies_arrive_base64_encoded_and_are_refused_cleanly(local_stack):
    status, body = local_stack.request("POST", "/stocks", b"\x89PNG\r\n\x1a\n\x00\x00", {"Content-Type": "image/png"})
    assert status == 400
    assert "JSON" in body["message"] or "UTF-8" in body["message"]


def test_a_file_imported_through_the_queue_is_applied_and_bad_lines_are_kept(local_stack, tmp_path, monkeypatch):
    local_stack.reach_as_aws(monkeypatch)
    dead_letters = local_stack.outputs["dead_letter_queue_url"]
    stock_file = tmp_path / "stock.txt"
    lines = [f"E2E-F{i:03d};{i % 7 + 2}" for i in range(250)]
    stock_file.write_text("\n".join([*lines[:100], "E2E-F999;lots", *lines[100:]]) + "\n")
    exit_code = send_stock_file.main([str(stock_file), "--outputs", str(local_stack.work_dir / "outputs.json")])
    assert exit_code == 1  # one line was rejected before sending
    eventually(lambda: level_of(local_stack, "E2E-F249") == 249 % 7 + 2)
    assert level_of(local_stack, "E2E-F000") == 2
    # The loader rejected the bad line itself; the function rejects one the loader cannot see (sent directly).
    local_stack.client("sqs").send_message(QueueUrl=local_stack.outputs["queue_url"], MessageBody="E2E-G1;3\nE2E-G2;;")
    # Other tests share the stack and its dead-letter queue: only this test's lines are looked at.
    kept = eventually(lambda: [m for m in local_stack.drain(dead_letters) if m["Body"].startswith("E2E-")])
    assert [m["Body"] for m in kept] == ["E2E-G2;;"]
    assert "line 2" in kept[0]["MessageAttributes"]["reason"]["StringValue"]
    assert level_of(local_stack, "E2E-G1") == 3


def test_a_low_stock_crossing_reaches_a_subscriber_of_the_topic_once(local_stack):
    inbox = AlertInbox(local_stack, "e2e-alert-inbox")

    def own_alerts():
        return [text for text in inbox.collect() if "item E2E-L1 " in text]

    for level in (5, 1, 0):  # 0 is still low: no second alert
        assert local_stack.request("PUT", "/stocks/E2E-L1", json.dumps({"stock_level": level}))[0] == 200
    eventually(own_alerts)
    # A second alert could still be on its way: wait until the notifier is past every change made so far.
    settle_alerts(local_stack, lambda sentinel: inbox.per_item()[sentinel] > 0)
    assert own_alerts() == ["Low stock: item E2E-L1 is down to 1 (the default reorder point is 1). Restock it."]
    assert eventually(lambda: any("E2E-L1 is down to 1" in line for line in local_stack.console))


def test_a_start_that_hangs_without_a_word_fails_at_its_deadline(tmp_path):
    project = tmp_path / "project"
    (project / "local_stack").mkdir(parents=True)
    (project / "local_stack" / "__init__.py").write_text("")
    (project / "local_stack" / "__main__.py").write_text("import time\n\ntime.sleep(600)\n")  # stuck, and quiet
    (tmp_path / "work").mkdir()
    began = time.monotonic()
    with pytest.raises(pytest.fail.Exception, match="did not start within 3 s"):
        start_stack(tmp_path / "work", timeout=3, project=project)
    assert time.monotonic() - began < 60
    assert processes_in(project) == []  # stopped, not left behind


def test_stop_leaves_no_process_or_port_behind(tmp_path):
    stack = start_stack(tmp_path)
    ports = [int(stack.outputs[key].split(":")[2].split("/")[0]) for key in ("endpoint_url", "aws_endpoint_url")]
    stack.request("PUT", "/stocks/E2E-S1", '{"stock_level": 3}')  # starts a function's process
    assert processes_in(tmp_path)
    assert stop_stack(stack) == 0
    assert stack.console[-1] == "Stopped."
    assert processes_in(tmp_path) == []
    for port in ports:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
