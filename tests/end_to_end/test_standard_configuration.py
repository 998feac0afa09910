"""A running local stack is reached as AWS is: the three standard variables, no endpoint or key given anywhere."""

import json
import os
import shutil
import subprocess
import sys
from typing import Any

import pytest

from tools.stack_outputs import local_stack_environment

pytestmark = pytest.mark.local_stack  # starts a local stack or the embedded AWS: not in `make check`


def answer_with_only_the_standard_variables(local_stack, tmp_path, command: list[str]) -> Any:
    """What `command` prints as JSON, run with no AWS setting but the three variables, and a home with no ~/.aws."""
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        **local_stack_environment(local_stack.work_dir, {}),
    }
    done = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_boto3_reaches_the_local_stack_with_only_the_three_standard_variables(local_stack, tmp_path):
    listing = "import boto3, json; print(json.dumps(boto3.client('sqs').list_queues()))"
    answer = answer_with_only_the_standard_variables(local_stack, tmp_path, [sys.executable, "-c", listing])
    assert local_stack.outputs["queue_url"] in answer["QueueUrls"]


@pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not installed")
def test_the_aws_cli_reaches_the_local_stack_with_only_the_three_standard_variables(local_stack, tmp_path):
    # DynamoDB, not SQS: AWS CLI v1 replaces the endpoint of sqs commands by the service's legacy host unless
    # --endpoint-url is given (awscli/customizations/overridesslcommonname.py), a profile's endpoint_url too.
    command = ["aws", "dynamodb", "list-tables", "--output", "json"]
    answer = answer_with_only_the_standard_variables(local_stack, tmp_path, command)
    assert local_stack.outputs["table_name"] in answer["TableNames"]
