"""Where `make send`, `make dlq` and `make redrive` find a stack: by name through Pulumi, or the local one, and how
they reach it: the default credential chain in the stack's region, for both."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.program_runs import declared
from tools import send_stock_file
from tools.stack_outputs import (
    NotReachable,
    api_kind_of,
    local_stack_environment,
    queue_region,
    sqs_client,
    stack_client,
    stack_outputs,
)

ROOT = Path(__file__).resolve().parents[2]
DEPLOYED = {"queue_url": "https://sqs.us-east-2.amazonaws.com/1/q", "topic_arn": "arn:aws:sns:us-east-2:1:alerts"}


def test_a_deployed_stack_is_read_with_pulumi_stack_output(mocker, tmp_path):
    run = mocker.patch("tools.stack_outputs.subprocess.run")
    run.return_value = subprocess.CompletedProcess([], 0, stdout='{"queue_url": "https://sqs/q"}')
    assert stack_outputs("dev", tmp_path / "absent.json") == {"queue_url": "https://sqs/q"}
    assert run.call_args.args[0] == ["pulumi", "stack", "output", "--json", "--stack", "dev"]


def test_without_a_stack_name_the_local_outputs_are_read_or_the_user_told_to_start_it(tmp_path):
    with pytest.raises(SystemExit, match="make run"):
        stack_outputs(None, tmp_path / "outputs.json")
    (tmp_path / "outputs.json").write_text(json.dumps({"queue_url": "http://127.0.0.1:1/q"}))
    assert stack_outputs(None, tmp_path / "outputs.json") == {"queue_url": "http://127.0.0.1:1/q"}


def test_a_deployed_stacks_clients_are_in_its_region_whatever_the_default_region(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    client = sqs_client(DEPLOYED)
    assert (client.meta.region_name, client.meta.endpoint_url) == ("us-east-2", "https://sqs.us-east-2.amazonaws.com")


def write_local_configuration(work_dir: Path, endpoint: str) -> None:
    """The two files `make run` writes, in the AWS CLI's formats."""
    (work_dir / "config").write_text(f"[profile local]\nregion = eu-west-3\nendpoint_url = {endpoint}\n")
    (work_dir / "credentials").write_text("[local]\naws_access_key_id = AKIALOCAL\naws_secret_access_key = s\n")


def test_the_local_stack_is_reached_through_the_standard_configuration_only(tmp_path, monkeypatch):
    endpoint = "http://127.0.0.1:4566"
    write_local_configuration(tmp_path, endpoint)
    for name, value in local_stack_environment(tmp_path, {}).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")  # the suite's guard sets test keys, which would come first
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    client = stack_client("sqs", {**DEPLOYED, "topic_arn": "arn:aws:sns:eu-west-3:1:t", "aws_endpoint_url": endpoint})
    assert client.meta.endpoint_url == endpoint
    assert client._request_signer._credentials.access_key == "AKIALOCAL"


def test_local_outputs_with_a_configuration_that_leads_elsewhere_are_refused_with_the_variables_to_set():
    local = {"topic_arn": "arn:aws:sns:eu-west-3:1:t", "aws_endpoint_url": "http://127.0.0.1:4566"}
    with pytest.raises(NotReachable, match="AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE set"):
        sqs_client(local)  # the suite's guard leaves test keys and no profile: real AWS's endpoint


def test_the_local_environment_keeps_no_other_aws_setting_which_botocore_could_take_first(tmp_path):
    given = {
        "AWS_ACCESS_KEY_ID": "AKIAREAL",
        "AWS_SESSION_TOKEN": "t",
        "AWS_DEFAULT_PROFILE": "work",  # botocore reads it before AWS_PROFILE
        "AWS_ENDPOINT_URL": "https://elsewhere",
        "AWS_ENDPOINT_URL_SQS": "https://elsewhere",
        "HOME": "/home/me",
    }
    assert local_stack_environment(tmp_path, given) == {
        "HOME": "/home/me",
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_PROFILE": "local",
    }


def test_a_stack_in_aws_is_refused_while_the_local_profile_is_exported(tmp_path, monkeypatch):
    write_local_configuration(tmp_path, "http://127.0.0.1:4566")
    for name, value in local_stack_environment(tmp_path, {}).items():
        monkeypatch.setenv(name, value)
    with pytest.raises(NotReachable, match="this stack is in AWS, but the AWS configuration leads to http://127"):
        sqs_client(DEPLOYED)


def test_a_stack_in_aws_is_refused_while_an_endpoint_variable_is_set(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:4566")
    with pytest.raises(NotReachable, match=r"\(AWS_ENDPOINT_URL_SQS set\)"):
        sqs_client(DEPLOYED)


def test_a_queue_of_aws_given_by_url_is_refused_while_an_endpoint_is_configured(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    stock_file = tmp_path / "stock.txt"
    stock_file.write_text("A1;1\n")
    with pytest.raises(NotReachable):
        send_stock_file.main([str(stock_file), "--queue-url", DEPLOYED["queue_url"]])


@pytest.mark.parametrize(
    ("url", "region"),
    [
        ("https://sqs.eu-west-3.amazonaws.com/123456789012/q", "eu-west-3"),
        ("http://127.0.0.1:4566/123456789012/q", None),
    ],
)
def test_a_queue_urls_region(url, region):
    assert queue_region(url) == region


@pytest.mark.parametrize("kind", ["rest", "http"])
def test_a_stacks_api_kind_is_read_from_its_endpoint_url_as_the_program_exports_it(kind):
    assert api_kind_of(declared("dev", {"apiKind": kind}).outputs) == kind


def test_the_tools_load_no_emulator():
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, tools.send_stock_file, tools.dead_letters, tools.test_aws\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'moto', 'local_stack'}))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert loaded.stdout.strip() == "[]"
