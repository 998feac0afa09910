"""Where `make send`, `make dlq` and `make redrive` find a stack: by name through Pulumi, or the local one."""

import json
import subprocess

import pytest

from tools.stack_outputs import sqs_client, stack_outputs


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


def test_a_local_stack_is_reached_at_its_embedded_endpoint():
    outputs = {"aws_endpoint_url": "http://127.0.0.1:4566", "topic_arn": "arn:aws:sns:eu-west-3:123456789012:t"}
    client = sqs_client(outputs)
    assert (client.meta.endpoint_url, client.meta.region_name) == ("http://127.0.0.1:4566", "eu-west-3")
