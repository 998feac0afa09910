"""The delivery workflows are valid GitHub Actions and keep the promises docs/deploying.md makes about them."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tools.test_aws import TimeLimits

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
    assert len(WORKFLOWS) == 5
    result = validate(WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  test:\n    steps:\n      - run: make test\n")  # no runs-on
    assert validate([broken]).returncode != 0


def needed_jobs(jobs, name):
    """Every job that must succeed before `name` runs, directly or through another."""
    needs = jobs[name].get("needs", [])
    direct = [needs] if isinstance(needs, str) else list(needs)
    return set(direct).union(*(needed_jobs(jobs, job) for job in direct))


@pytest.mark.parametrize("workflow", [w.name for w in WORKFLOWS])
def test_tests_gate_every_pulumi_step_and_aws_is_reached_through_oidc(workflow):
    document = load(workflow)
    jobs = document["jobs"]
    assert any(step.get("run") == "make test" for step in jobs["test"]["steps"])
    for name, job in jobs.items():
        pulumi_steps = steps_using(job, "pulumi/actions@")
        if not pulumi_steps:
            continue
        assert "test" in needed_jobs(jobs, name), name
        assert job["permissions"]["id-token"] == "write", name
        [credentials] = steps_using(job, "aws-actions/configure-aws-credentials@")
        assert "role-to-assume" in credentials["with"]
        assert not {"aws-access-key-id", "aws-secret-access-key"} & set(credentials["with"])
        for step in pulumi_steps:
            if "command" not in step.get("with", {}):
                continue  # installs the CLI only
            assert step["with"]["policyPacks"] == "policy"
            assert step["env"]["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN }}"


def policy_pack_virtualenv(pack):
    """Where the CLI looks for a local policy pack's virtualenv: the path its PulumiPolicy.yaml names."""
    declaration = yaml.safe_load((ROOT / pack / "PulumiPolicy.yaml").read_text())
    return f"{pack}/{declaration['runtime']['options']['virtualenv']}"


WORKFLOWS_WITH_POLICY_PACKS = [w.name for w in WORKFLOWS if "policyPacks:" in w.read_text()]


def test_the_automation_api_run_builds_the_policy_pack_virtualenv_first():
    """`make test-aws` applies the pack through the Automation API, so its make target builds the venv."""
    result = subprocess.run(["make", "-n", "-B", "test-aws"], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert f"-m venv {policy_pack_virtualenv('policy')}" in result.stdout


@pytest.mark.parametrize("workflow", WORKFLOWS_WITH_POLICY_PACKS)
def test_every_policy_pack_virtualenv_is_built_before_the_step_that_uses_it(workflow):
    checked = 0
    for job in load(workflow)["jobs"].values():
        steps = job.get("steps", [])
        for index, step in enumerate(steps):
            for pack in str(step.get("with", {}).get("policyPacks", "")).split():
                builds = f"make {policy_pack_virtualenv(pack)}"
                assert any(builds in str(earlier.get("run", "")).split("\n") for earlier in steps[:index]), (
                    f"{workflow}: a step uses the policy pack {pack} before any step runs `{builds}`"
                )
                checked += 1
    assert checked > 0


def test_the_make_target_builds_the_virtualenv_the_policy_pack_names_from_its_requirements():
    path = policy_pack_virtualenv("policy")
    result = subprocess.run(["make", "-n", "-B", path], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert f"-m venv {path}" in result.stdout
    assert f"{path}/bin/python -m pip install" in result.stdout
    assert "-r policy/requirements.txt" in result.stdout
    ignored = subprocess.run(["git", "check-ignore", "-q", f"{path}/bin/python"], cwd=ROOT, timeout=30)
    assert ignored.returncode == 0, f"{path} is not ignored by git"


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


def test_prod_is_deployed_only_from_main_or_a_release_tag():
    document = load("deploy-prod.yml")
    assert set(document["on"]) == {"workflow_dispatch", "push"}
    assert document["on"]["push"] == {"tags": ["v*"]}
    jobs = document["jobs"]
    gate = jobs["test"]["if"]
    assert gate == "github.ref == 'refs/heads/main' || startsWith(github.ref, 'refs/tags/v')"
    assert all("test" in needed_jobs(jobs, name) for name in jobs if name != "test")


def test_prod_reviewers_see_the_preview_diff_in_the_summary_before_they_are_asked_to_approve():
    jobs = load("deploy-prod.yml")["jobs"]
    preview = jobs["preview"]
    [previewing] = steps_using(preview, "pulumi/actions@")
    assert preview["environment"] == "preview-prod"  # the read-only role, no reviewers
    assert previewing["with"]["command"] == "preview"
    assert previewing["with"]["stack-name"].endswith("/prod")
    assert (previewing["with"]["diff"], previewing["with"]["comment-on-summary"]) == (True, True)
    assert "preview" in needed_jobs(jobs, "deploy")


def test_prod_reviewers_approve_a_deploy_of_the_commit_that_was_previewed():
    jobs = load("deploy-prod.yml")["jobs"]
    deploy = jobs["deploy"]
    [previewing] = steps_using(jobs["preview"], "pulumi/actions@")
    [applying] = steps_using(deploy, "pulumi/actions@")
    assert deploy["environment"] == "production"
    assert applying["with"]["command"] == "up"
    assert applying["with"]["stack-name"] == previewing["with"]["stack-name"]
    assert applying["with"]["comment-on-summary"] is True  # what was applied, next to what was reviewed
    assert not steps_using(deploy, "actions/download-artifact@")  # nothing kept from the preview expires
    for name, job in jobs.items():
        [checkout] = steps_using(job, "actions/checkout@")
        assert checkout.get("with", {}).get("ref") == "${{ github.sha }}", name  # not a branch that moves


def env_blocks(document):
    """Every `env` of a workflow: its own, each job's and each step's."""
    yield document.get("env", {})
    for job in document["jobs"].values():
        yield job.get("env", {})
        for step in job.get("steps", []):
            yield step.get("env", {})


@pytest.mark.parametrize("workflow", [w.name for w in WORKFLOWS])
def test_no_workflow_uses_update_plans(workflow):
    """Experimental, with open bugs on exactly this path: deploy-prod.yml's header says which."""
    document = load(workflow)
    for env in env_blocks(document):
        assert "PULUMI_EXPERIMENTAL" not in env  # it alone makes every `up` check itself against a plan
    for job in document["jobs"].values():
        for step in steps_using(job, "pulumi/actions@"):
            assert "plan" not in step.get("with", {})
        for step in job.get("steps", []):
            assert not re.search(r"PULUMI_EXPERIMENTAL|--(save-)?plan\b", str(step.get("run", "")))


def pinned_pulumi_sdk(requirements):
    """The exact `pulumi` version a requirements file pins."""
    [version] = re.findall(r"^pulumi==(\S+)$", (ROOT / requirements).read_text(), re.MULTILINE)
    return version


@pytest.mark.parametrize("workflow", [w.name for w in WORKFLOWS if w.name != "mutation.yml"])  # no Pulumi there
def test_every_pulumi_step_installs_the_cli_of_the_pinned_sdk(workflow):
    """`make lock` re-pins the SDK in requirements-dev.txt; this fails until the pack and the workflows follow."""
    version = pinned_pulumi_sdk("requirements-dev.txt")
    assert pinned_pulumi_sdk("policy/requirements.txt") == version
    steps = [step for job in load(workflow)["jobs"].values() for step in steps_using(job, "pulumi/actions@")]
    assert steps
    for step in steps:
        assert step.get("with", {}).get("pulumi-version") == version, step


def test_the_policy_pack_declares_its_runtime_and_pins_its_sdk():
    pack = yaml.safe_load((ROOT / "policy" / "PulumiPolicy.yaml").read_text())
    assert pack["runtime"]["name"] == "python"
    requirements = (ROOT / "policy" / "requirements.txt").read_text()
    assert "pulumi-policy==" in requirements
    assert "pulumi==" in requirements


def step_running(steps, command):
    """The index of the one step whose script has a line starting with `command`."""
    words = command.split()
    indexes = [
        index
        for index, step in enumerate(steps)
        if any(line.split()[: len(words)] == words for line in str(step.get("run", "")).splitlines())
    ]
    assert len(indexes) == 1, f"{len(indexes)} steps run `{command}`"
    return indexes[0]


def test_the_scenarios_run_against_an_ephemeral_aws_stack_on_demand_and_nightly():
    document = load("scenarios-aws.yml")
    assert set(document["on"]) == {"workflow_dispatch", "schedule"}
    job = document["jobs"]["scenarios"]
    assert "test" in needed_jobs(document["jobs"], "scenarios")
    run = job["steps"][step_running(job["steps"], "make test-aws STACK=dev")]
    assert run["env"]["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN }}"
    [summary] = [step for step in job["steps"] if "GITHUB_STEP_SUMMARY" in str(step.get("run", ""))]
    assert summary["if"] == "always()"
    assert document["concurrency"]["cancel-in-progress"] is False  # a cancelled run would leave its stack


def test_the_scenarios_clean_up_what_a_timed_out_or_cancelled_run_left_behind():
    job = load("scenarios-aws.yml")["jobs"]["scenarios"]
    steps = job["steps"]
    run = step_running(steps, "make test-aws STACK=dev")
    cleanup = step_running(steps, "make test-aws-cleanup STACK=dev")
    assert run < cleanup
    assert steps[cleanup].get("if") == "always()"
    assert steps[cleanup]["env"] == steps[run]["env"]
    [credentials] = steps_using(job, "aws-actions/configure-aws-credentials@")
    assert steps.index(credentials) < run
    # A step that times out fails and the job goes on to its always() steps; a job that times out is
    # cancelled, and what still runs is ended 5 minutes later. So the run must time out before the job.
    timeout = steps[run].get("timeout-minutes")
    assert isinstance(timeout, int), "the run step has no timeout-minutes of its own"
    assert 0 < timeout < job["timeout-minutes"]
    # The run's own limits, for the receiver's stack and the ephemeral one, end it before the step's, so it reaches
    # its own destroys; the cleanup fits after it, and can destroy this checkout's stack, then its receiver.
    limits = TimeLimits()
    assert limits.longest_run() / 60 < timeout
    assert (limits.destroy + limits.receiver_destroy) / 60 < steps[cleanup]["timeout-minutes"]
    assert timeout + steps[cleanup]["timeout-minutes"] < job["timeout-minutes"]


def test_mutation_testing_runs_nightly_after_the_tests_and_is_not_part_of_make_test():
    document = load("mutation.yml")
    assert set(document["on"]) == {"workflow_dispatch", "schedule"}
    assert document["permissions"] == {"contents": "read"}
    jobs = document["jobs"]
    assert "test" in needed_jobs(jobs, "mutate")
    steps = jobs["mutate"]["steps"]
    run = step_running(steps, "make mutate")
    [summary] = [step for step in steps if "GITHUB_STEP_SUMMARY" in str(step.get("run", ""))]
    assert steps.index(summary) > run
    assert summary["if"] == "always()"
    make_test = subprocess.run(["make", "-n", "-B", "test"], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert make_test.returncode == 0, make_test.stderr
    assert "mutmut" not in make_test.stdout
