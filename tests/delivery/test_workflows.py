"""The delivery workflows are valid GitHub Actions and keep the promises the README makes about them."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
CHECK_JSONSCHEMA = str(Path(sys.executable).parent / "check-jsonschema")


def load(name):
    document = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    document["on"] = document.pop(True, document.get("on"))  # YAML 1.1 reads the key `on` as True
    return document


def steps_using(job, action):
    return [step for step in job.get("steps", []) if str(step.get("uses", "")).startswith(action)]


def validate(paths):
    return subprocess.run(
        [CHECK_JSONSCHEMA, "--builtin-schema", "vendor.github-workflows", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_every_workflow_matches_the_github_workflow_schema():
    assert len(WORKFLOWS) == 3
    result = validate(WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  test:\n    steps:\n      - run: make test\n")  # no runs-on
    assert validate([broken]).returncode != 0


@pytest.mark.parametrize("workflow", [w.name for w in WORKFLOWS])
def test_tests_gate_every_pulumi_step_and_aws_is_reached_through_oidc(workflow):
    document = load(workflow)
    jobs = document["jobs"]
    assert any(step.get("run") == "make test" for step in jobs["test"]["steps"])
    for name, job in jobs.items():
        pulumi_steps = steps_using(job, "pulumi/actions@")
        if not pulumi_steps:
            continue
        assert job["needs"] == "test", name
        assert job["permissions"]["id-token"] == "write", name
        [credentials] = steps_using(job, "aws-actions/configure-aws-credentials@")
        assert "role-to-assume" in credentials["with"]
        assert not {"aws-access-key-id", "aws-secret-access-key"} & set(credentials["with"])
        for step in pulumi_steps:
            assert step["with"]["policyPacks"] == "policy"
            assert step["env"]["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN }}"


def test_pull_requests_preview_both_stacks_and_comment():
    document = load("pull-request.yml")
    assert "pull_request" in document["on"]
    preview = document["jobs"]["preview"]
    assert preview["strategy"]["matrix"]["stack"] == ["dev", "prod"]
    [step] = steps_using(preview, "pulumi/actions@")
    assert (step["with"]["command"], step["with"]["comment-on-pr"]) == ("preview", True)
    assert preview["permissions"]["pull-requests"] == "write"


def test_main_deploys_dev():
    document = load("deploy-dev.yml")
    assert document["on"] == {"push": {"branches": ["main"]}}
    [step] = steps_using(document["jobs"]["deploy"], "pulumi/actions@")
    assert step["with"]["command"] == "up"
    assert step["with"]["stack-name"].endswith("/dev")


def test_prod_is_deployed_only_by_hand_or_a_tag_behind_an_approval():
    document = load("deploy-prod.yml")
    assert set(document["on"]) == {"workflow_dispatch", "push"}
    assert document["on"]["push"] == {"tags": ["v*"]}
    deploy = document["jobs"]["deploy"]
    assert deploy["environment"] == "production"
    commands = [step["with"]["command"] for step in steps_using(deploy, "pulumi/actions@")]
    assert commands == ["preview", "up"]
    assert all(step["with"]["stack-name"].endswith("/prod") for step in steps_using(deploy, "pulumi/actions@"))


def test_the_policy_pack_declares_its_runtime_and_pins_its_sdk():
    pack = yaml.safe_load((ROOT / "policy" / "PulumiPolicy.yaml").read_text())
    assert pack["runtime"]["name"] == "python"
    requirements = (ROOT / "policy" / "requirements.txt").read_text()
    assert "pulumi-policy==" in requirements
    assert "pulumi==" in requirements
