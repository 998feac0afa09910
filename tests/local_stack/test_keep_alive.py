"""The embedded AWS keeps a client's connection open between requests, as AWS's endpoints do, and answers on it as
werkzeug's server answers on a connection of its own per request: the same status, headers and body, whatever the
request (a body sent after `100 Continue`, a HEAD, a failure, a body sent in chunks)."""

import http.client
import json
import logging
import re
import socket
from collections.abc import Iterator

import pytest
from werkzeug.serving import WSGIRequestHandler

from local_stack.aws.embedded_aws import EmbeddedAws, local_client
from local_stack.aws.speedups import Speedups

pytestmark = pytest.mark.local_stack  # starts the embedded AWS: not in `make check`

REGION = "eu-west-3"
SIGNED = f"AWS4-HMAC-SHA256 Credential=local/20240501/{REGION}/s3/aws4_request, SignedHeaders=host, Signature=0"
# Headers that differ by nature from one answer to the next, or by server: a request id, a time.
VARYING = {"date", "x-amzn-requestid", "x-amz-request-id", "x-amz-id-2", "connection", "last-modified"}
VARYING_ELEMENTS = re.compile(rb"<(RequestId|HostId|LastModified)>[^<]*</\1>")


@pytest.fixture(scope="module")
def started() -> Iterator[dict[str, EmbeddedAws]]:
    kept, each = EmbeddedAws("127.0.0.1", 0, REGION), EmbeddedAws("127.0.0.1", 0, REGION, Speedups.none())
    kept.start()
    each.start()
    yield {"kept": kept, "each": each}
    kept.stop()
    each.stop()


@pytest.fixture
def servers(started: dict[str, EmbeddedAws]) -> dict[str, EmbeddedAws]:
    """Both servers, each with its bucket, and a table: made anew for each test, as moto keeps one state per process
    and an embedded AWS that starts (another test's) empties it."""
    for name, server in started.items():
        s3 = local_client("s3", server.url, REGION)
        if f"bucket-{name}" not in {bucket["Name"] for bucket in s3.list_buckets()["Buckets"]}:
            s3.create_bucket(Bucket=f"bucket-{name}", CreateBucketConfiguration={"LocationConstraint": REGION})
    dynamodb = local_client("dynamodb", started["kept"].url, REGION)
    if "levels" not in dynamodb.list_tables()["TableNames"]:
        dynamodb.create_table(
            TableName="levels",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    return started


def _connection(server: EmbeddedAws) -> http.client.HTTPConnection:
    host, port = server.url.removeprefix("http://").split(":")
    return http.client.HTTPConnection(host, int(port), timeout=30)


# (method, path, headers, body) of a client's requests in turn on one connection; {bucket} is each server's.
REQUESTS: list[tuple[str, str, dict[str, str], bytes | None]] = [
    ("PUT", "/{bucket}/a.txt", {"Expect": "100-continue"}, b"A;1\nB;2\n"),
    ("GET", "/{bucket}/a.txt", {}, None),
    ("HEAD", "/{bucket}/a.txt", {}, None),
    ("GET", "/{bucket}/no-such-key", {}, None),
    ("PUT", "/{bucket}/empty.txt", {}, b""),
    ("GET", "/{bucket}?list-type=2", {}, None),
    ("DELETE", "/{bucket}/a.txt", {}, None),
    ("GET", "/{bucket}/a.txt", {}, None),
]


def _answers(server: EmbeddedAws, name: str) -> tuple[list[tuple[int, dict[str, str], bytes]], int]:
    """Each request's status, headers (less the varying ones) and body, on one client connection; and how many
    TCP connections that took."""
    connection, sockets = _connection(server), set()
    answers = []
    for method, path, headers, body in REQUESTS:
        connection.request(
            method, path.format(bucket=f"bucket-{name}"), body=body, headers={"Authorization": SIGNED, **headers}
        )
        sockets.add(connection.sock.getsockname()[1])  # the client port: one per TCP connection
        response = connection.getresponse()
        content = VARYING_ELEMENTS.sub(rb"<\1/>", response.read().replace(f"bucket-{name}".encode(), b"{bucket}"))
        kept = {k.lower(): v for k, v in response.getheaders() if k.lower() not in VARYING}
        answers.append((response.status, kept, content))
    connection.close()
    return answers, len(sockets)


def test_every_answer_on_a_kept_connection_is_the_answer_of_a_connection_each(servers):
    kept, connections_kept = _answers(servers["kept"], "kept")
    each, connections_each = _answers(servers["each"], "each")
    assert kept == each
    assert [status for status, _, _ in kept] == [200, 200, 200, 404, 200, 200, 204, 404]
    assert kept[1][2] == b"A;1\nB;2\n"
    assert (connections_kept, connections_each) == (1, len(REQUESTS))


def test_a_body_sent_in_chunks_takes_werkzeugs_handling_and_its_connection_closes(servers):
    stored = []
    for name, server in servers.items():
        connection = _connection(server)
        connection.request(
            "PUT",
            f"/bucket-{name}/chunked.txt",
            body=iter([b"C;3\n", b"D;4\n"]),
            headers={"Authorization": SIGNED, "Transfer-Encoding": "chunked"},
        )
        response = connection.getresponse()
        response.read()
        assert (response.status, response.getheader("Connection")) == (200, "close")
        s3 = local_client("s3", server.url, REGION)
        stored.append(s3.get_object(Bucket=f"bucket-{name}", Key="chunked.txt")["Body"].read())
    assert stored[0] == stored[1]  # what moto makes of it, on either server


def test_a_request_the_application_fails_on_is_answered_and_the_connection_serves_the_next(servers):
    connection = _connection(servers["kept"])
    # A condition that does not parse: moto fails on it (a 500), as on moto's own server.
    broken = json.dumps({"TableName": "levels", "Key": {"id": {"S": "a"}}, "ConditionExpression": "id <"})
    answers = []
    for target, body in (("UpdateItem", broken), ("ListTables", "{}")):
        connection.request(
            "POST",
            "/",
            body=body,
            headers={
                "Authorization": SIGNED.replace("/s3/", "/dynamodb/"),
                "X-Amz-Target": f"DynamoDB_20120810.{target}",
                "Content-Type": "application/x-amz-json-1.0",
            },
        )
        response = connection.getresponse()
        answers.append((response.status, response.read()))
    assert [status for status, _ in answers] == [500, 200]
    assert json.loads(answers[1][1]) == {"TableNames": ["levels"]}


def test_two_lengths_on_one_request_take_werkzeugs_handling_which_closes_the_connection(servers):
    # A second request hidden in what the first length leaves out of the body is never answered on its own.
    hidden = b"GET /bucket-kept HTTP/1.1\r\nHost: x\r\nAuthorization: " + SIGNED.encode() + b"\r\n\r\n"
    body = b"hello" + hidden
    head = f"PUT /bucket-kept/two.txt HTTP/1.1\r\nHost: x\r\nAuthorization: {SIGNED}\r\nContent-Length: 5\r\n"
    request = (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    host, port = servers["kept"].url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as client:
        client.sendall(request)
        received = b""
        while chunk := client.recv(65536):
            received += chunk
    assert re.findall(rb"^HTTP/1\.1 \d+", received, re.MULTILINE) == [b"HTTP/1.1 200"]
    assert b"Connection: close" in received


def test_a_stopped_embedded_aws_answers_nothing_on_a_connection_it_kept():
    server = EmbeddedAws("127.0.0.1", 0, REGION)
    server.start()
    connection = _connection(server)
    connection.request("GET", "/", headers={"Authorization": SIGNED})
    response = connection.getresponse()
    response.read()
    assert response.getheader("Connection") is None  # kept open
    assert connection.sock is not None
    server.stop()
    connection.request("GET", "/", headers={"Authorization": SIGNED})  # sent: the client does not know yet
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)):
        connection.getresponse()


@pytest.mark.parametrize(("level", "logged"), [(logging.INFO, 1), (logging.WARNING, 0)])
def test_each_request_is_logged_as_werkzeug_logs_it_where_its_logger_keeps_it(servers, caplog, level, logged):
    caplog.set_level(level, logger="werkzeug")
    for name, server in servers.items():
        connection = _connection(server)
        connection.request("GET", f"/bucket-{name}/no-such-key", headers={"Authorization": SIGNED})
        connection.getresponse().read()
        connection.close()
        lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug" and "no-such-key" in r.getMessage()]
        plain = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in lines]  # werkzeug colours the line by its status
        assert [line.partition(" - - ")[2].partition("] ")[2] for line in plain] == [
            f'"GET /bucket-{name}/no-such-key HTTP/1.1" 404 -'
        ] * logged, name
        caplog.clear()


def test_a_request_is_handed_to_werkzeugs_log_where_its_logger_is_unset(servers, caplog, mocker):
    """werkzeug sets an unset logger to keep each request's line (werkzeug._internal._log): the line is made."""
    caplog.set_level(logging.WARNING)  # the root: an unset werkzeug logger would drop INFO by itself
    werkzeug_logger = logging.getLogger("werkzeug")
    level = werkzeug_logger.level
    werkzeug_logger.setLevel(logging.NOTSET)
    logged = mocker.spy(WSGIRequestHandler, "log_request")
    try:
        connection = _connection(servers["kept"])
        connection.request("GET", "/bucket-kept/no-such-key", headers={"Authorization": SIGNED})
        connection.getresponse().read()
        connection.close()
    finally:
        werkzeug_logger.setLevel(level)
    assert [call.args[1:] for call in logged.call_args_list] == [(404, "-")]
