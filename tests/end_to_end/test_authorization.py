"""The local stack refuses what AWS refuses: unsigned API requests, and any call a function's role does not allow.

Each permission test runs a copy of the program with one grant removed and checks that exactly that call is
refused, with its action and resource named, and that the call beside it still works.
"""

import functools
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_stack.api_gateway.api_authorization import BAD_SIGNATURE, signed_headers
from local_stack.project_copy import project_copy
from tests.running_stack import RunningStack, eventually, local_stack_command, start_stack, stop_stack

pytestmark = pytest.mark.local_stack  # starts a local stack or the embedded AWS: not in `make check`

ACCOUNT_REGION = "eu-west-3:123456789012"


def program_without(tmp_path: Path, file: str, grant: str, replacement: str = "") -> Path:
    """A copy of the project whose `file` no longer holds `grant`."""
    copy = project_copy(tmp_path / "project")
    path = copy / file
    text = path.read_text()
    assert text.count(grant) == 1, f"{grant!r} is not in {file} once: the test no longer removes a grant"
    path.write_text(text.replace(grant, replacement))
    return copy


def refusals(stack: RunningStack) -> list[str]:
    """What the local stack's console reported as refused: 'function action resource'."""
    log = (stack.work_dir / "stderr.log").read_text()
    return [" ".join(found) for found in re.findall(r"refused: (\S+) may not (\S+) on (\S+)", log)]


def reported(stack: RunningStack, error: str) -> bool:
    return error in function_errors(stack)


def function_errors(stack: RunningStack) -> str:
    return (stack.work_dir / "stderr.log").read_text()


@pytest.fixture
def started() -> Iterator[list[RunningStack]]:
    stacks: list[RunningStack] = []
    yield stacks
    for stack in stacks:
        stop_stack(stack)


def test_unsigned_and_badly_signed_requests_get_api_gateways_403(local_stack):
    assert local_stack.request("GET", "/stocks/E2E-AUTH", signed=False) == local_stack.unsigned
    key, _ = local_stack.credentials()
    forged = {
        "Authorization": f"AWS4-HMAC-SHA256 Credential={key}/20240101/eu-west-3/execute-api/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
        "X-Amz-Date": "20240101T000000Z",
    }
    status, body = local_stack.request("PUT", "/stocks/E2E-AUTH", '{"stock_level": 1}', forged, signed=False)
    assert status == 403
    assert body["message"].startswith("Signature expired")
    status, body = local_stack.request("GET", "/stocks/E2E-AUTH")
    assert status == 404  # signed: through to the function, which has no such item


def test_a_body_changed_after_signing_is_refused(local_stack):
    url = local_stack.outputs["endpoint_url"] + "/stocks/E2E-AUTH"
    key, secret = local_stack.credentials()
    headers = signed_headers("PUT", url, b'{"stock_level": 1}', key, secret, local_stack.region)
    status, body = local_stack.request("PUT", "/stocks/E2E-AUTH", '{"stock_level": 9}', headers, signed=False)
    assert (status, body) == (403, {"message": BAD_SIGNATURE})


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_signs_as_the_start_up_example_shows(local_stack):
    key, secret = local_stack.credentials()
    result = subprocess.run(
        [
            "curl",
            "-s",
            "--aws-sigv4",
            f"aws:amz:{local_stack.region}:execute-api",
            "--user",
            f"{key}:{secret}",
            "-X",
            "PUT",
            local_stack.outputs["endpoint_url"] + "/stocks/E2E-CURL",
            "-d",
            '{"stock_level": 3}',
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(result.stdout)["stock_level"] == 3


def test_the_api_write_its_list_and_the_dead_letter_send_are_refused_once_their_grants_are_gone(tmp_path, started):
    project = program_without(
        tmp_path, "__main__.py", '"dynamodb:GetItem", "dynamodb:UpdateItem"', '"dynamodb:GetItem"'
    )
    main = project / "__main__.py"
    query = 'allow(["dynamodb:Query"], [pulumi.Output.concat(table.arn, "/index/low-items")]),'
    assert main.read_text().count(query) == 1, "the test no longer removes the list's grant"
    main.write_text(main.read_text().replace(query, ""))
    queue_function = project / "components" / "queue_function.py"
    grant = 'statements.append(allow(["sqs:SendMessage"], [self.dead_letter_queue.arn]))'
    queue_function.write_text(queue_function.read_text().replace(grant, "pass"))
    (tmp_path / "work").mkdir()
    stack = start_stack(tmp_path / "work", project=project)
    started.append(stack)

    assert stack.request("GET", "/stocks/NOPE")[0] == 404  # GetItem is still granted
    assert stack.request("PUT", "/stocks/NOPE", '{"stock_level": 2}')[0] == 503
    assert stack.request("GET", "/stocks?low=true")[0] == 503  # the list's index may not be queried
    stack.client("sqs").send_message(QueueUrl=stack.outputs["queue_url"], MessageBody="GOOD;5\nbad line")
    table = f"arn:aws:dynamodb:{ACCOUNT_REGION}:table/stock-levels"
    dead_letters = f"arn:aws:sqs:{ACCOUNT_REGION}:stock-import-dlq"
    eventually(lambda: f"stock-import-function sqs:SendMessage {dead_letters}" in refusals(stack), timeout=60)
    assert f"stock-api-function dynamodb:UpdateItem {table}" in refusals(stack)
    assert f"stock-api-function dynamodb:Query {table}/index/low-items" in refusals(stack)
    assert {entry.split()[1] for entry in refusals(stack)} == {
        "dynamodb:UpdateItem",
        "dynamodb:Query",
        "sqs:SendMessage",
    }
    assert "AccessDeniedException" in function_errors(stack)  # the service's own error, as the SDK raises it


def test_the_notifier_needs_its_publish_grant_and_the_key_grant_behind_it(tmp_path, started):
    for name, grant, refused in [
        ("publish", 'allow(["sns:Publish"], [alerts_topic.arn]),', "sns:Publish"),
        ("key", 'allow(["kms:Decrypt", "kms:GenerateDataKey"], [notification_key.arn]),', "kms:GenerateDataKey"),
    ]:
        project = program_without(tmp_path / name, "__main__.py", grant)
        (tmp_path / name / "work").mkdir()
        stack = start_stack(tmp_path / name / "work", project=project)
        started.append(stack)
        assert stack.request("PUT", "/stocks/LOW", '{"stock_level": 0}')[0] == 200
        eventually(lambda: refusals(started[-1]), timeout=60)
        [entry] = set(refusals(stack))
        function, action, resource = entry.split()
        assert (function, action) == ("low-stock-notifier-function", refused)
        expected = "sns" if refused == "sns:Publish" else "kms"
        assert resource.startswith(f"arn:aws:{expected}:{ACCOUNT_REGION}:")
        # The refusal is logged as the request is refused; the function's own error a moment later.
        error = "AuthorizationError" if expected == "sns" else "KMSAccessDenied"
        eventually(functools.partial(reported, stack, error), timeout=60)


def test_a_role_that_cannot_read_its_stream_is_refused_at_start_up_as_lambda_refuses_the_mapping(tmp_path):
    project = program_without(tmp_path, "components/stream_function.py", '"dynamodb:GetRecords", ', "")
    (tmp_path / "work").mkdir()
    result = subprocess.run(
        local_stack_command(tmp_path / "work"), cwd=project, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert "InvalidParameterValueException: Cannot access stream" in result.stderr
    assert re.search(r"may not dynamodb:GetRecords on arn:aws:dynamodb:\S+/stream/", result.stderr)


def test_with_authorization_off_unsigned_requests_go_through_and_start_up_says_so(tmp_path, started):
    stack = start_stack(tmp_path, options=("--no-auth",))
    started.append(stack)
    assert any("authorization is OFF" in line for line in stack.console)
    assert stack.request("PUT", "/stocks/OPEN", '{"stock_level": 2}', signed=False)[0] == 200
