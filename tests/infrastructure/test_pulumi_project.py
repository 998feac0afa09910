"""The project and stack files are what the Pulumi CLI accepts, and every setting is declared and used."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
PROJECT = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
DECLARED = PROJECT["config"]
PYTHON_TYPES = {"string": str, "integer": int, "boolean": bool, "array": list}


def test_the_project_runs_python_from_the_projects_virtualenv():
    assert PROJECT["name"] == "stock-levels"
    assert PROJECT["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": ".venv"}}


def test_every_setting_is_declared_with_a_type_a_default_and_a_description():
    for key, declaration in DECLARED.items():
        assert set(declaration) <= {"type", "items", "default", "description", "secret"}, key
        assert declaration["type"] in PYTHON_TYPES, key
        assert isinstance(declaration["default"], PYTHON_TYPES[declaration["type"]]), key
        assert len(declaration["description"]) > 20, key
        if declaration["type"] == "array":
            assert declaration["items"] == {"type": "string"}, key


def test_no_setting_is_both_secret_and_defaulted():
    # The CLI refuses such a declaration since 3.202 (pulumi/pulumi#21865); the program marks secrets itself.
    assert not [key for key, declaration in DECLARED.items() if declaration.get("secret") and "default" in declaration]


def test_stack_files_set_only_declared_settings_with_the_declared_types():
    for stack in ("dev", "prod"):
        config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
        assert config["aws:region"] == "eu-west-3"
        for key, value in config.items():
            if key.startswith("aws:"):
                continue
            namespace, name = key.split(":")
            assert namespace == "stock-levels", key
            assert isinstance(value, PYTHON_TYPES[DECLARED[name]["type"]]), key


# A secret may not have a default, and a declaration without one would make the key required on every stack,
# so a secret setting is left undeclared, named in another setting's description and in the docs instead.
UNDECLARED_SECRETS = {"alertWebhookUrl"}


def test_every_declared_setting_is_read_by_the_program():
    program = (ROOT / "__main__.py").read_text()
    read = set(re.findall(r'config\.(?:require|get)\w*\("(\w+)"\)', program))
    assert read == set(DECLARED) | UNDECLARED_SECRETS
    assert all(f'config.require_secret("{name}")' in program for name in UNDECLARED_SECRETS)


def test_each_undeclared_secret_is_documented_with_the_command_that_sets_it():
    docs = "".join(page.read_text() for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))])
    for name in UNDECLARED_SECRETS:
        assert f"pulumi config set --secret {name} " in docs
        assert any(f"pulumi config set --secret {name} " in d["description"] for d in DECLARED.values())


def test_the_phone_numbers_setting_shows_the_command_that_sets_one_as_a_secret():
    # `pulumi config set --secret notificationPhoneNumbers '[...]'` would store a string, not a list.
    description = DECLARED["notificationPhoneNumbers"]["description"]
    assert "pulumi config set --secret --path 'notificationPhoneNumbers[0]' +" in description


def test_the_project_description_names_both_kinds_of_api_the_default_and_the_stacks_that_choose_another():
    """Not "REST API" as if it were the only kind: dev and prod serve an HTTP API."""
    description = PROJECT["description"]
    default = DECLARED["apiKind"]["default"]
    chosen = {stack: yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"] for stack in ("dev", "prod")}
    others = sorted(stack for stack, config in chosen.items() if config.get("stock-levels:apiKind", default) != default)
    assert "a REST API or an HTTP API" in description
    assert f"apiKind, default {default}" in description
    assert others == ["dev", "prod"]
    assert f"{' and '.join(others)} choose {chosen['dev']['stock-levels:apiKind']}" in description
