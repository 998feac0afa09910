"""`make test-aws TARGET=local`: the run against AWS, rehearsed with the local stack in the Pulumi CLI's place."""

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.tools.test_test_aws import secure_paths

pytestmark = pytest.mark.local_stack  # starts a local stack or the embedded AWS: not in `make check`

ROOT = Path(__file__).resolve().parents[2]
BASE = Path(__file__).parent / "stacks" / "Pulumi.rehearsal.yaml"


def test_the_ephemeral_stack_run_passes_locally_from_a_base_with_secrets_subscribers_and_a_webhook():
    base = yaml.safe_load(BASE.read_text())["config"]
    assert secure_paths(base)
    assert base["stock-levels:notificationEmails"]
    assert base["stock-levels:alertChannels"] == ["sns", "webhook"]

    run = subprocess.run(
        ["make", "--no-print-directory", "test-aws", "TARGET=local", "STACK=rehearsal", f"STACK_FILE={BASE}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-3000:]
    assert re.search(
        r"Scenarios against ephemeral stack rehearsal-scenarios-\S+: passed; stack destroyed and removed; "
        r"webhook receiver destroyed and removed",
        run.stdout,
    )

    [written] = re.findall(r"its settings in (\S+)", run.stdout)
    assert Path(written).parent == ROOT / "build" / "test-aws"  # left there for a person to read
    config = yaml.safe_load(Path(written).read_text())["config"]
    assert secure_paths(config) == []
    assert config["stock-levels:manageApiGatewayAccount"] is False
    assert config["stock-levels:notificationEmails"] == []
    assert config["stock-levels:alertChannels"] == ["sns", "webhook"]
    # The local stack cannot read a value encrypted for a stack: it is given the receiver's URL on its command line.
    assert "stock-levels:alertWebhookUrl" not in config
