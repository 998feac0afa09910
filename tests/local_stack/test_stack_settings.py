"""The stack's settings as a run here sees them: the engine's order, and encrypted values left out, named."""

import json
from pathlib import Path

from harness.stack_settings import encrypted_settings, stack_config

ROOT = Path(__file__).resolve().parents[2]
REHEARSAL = ROOT / "tests" / "tools" / "stacks" / "Pulumi.rehearsal.yaml"


def test_a_stack_file_given_replaces_the_stacks_own_and_the_overrides_come_last():
    config = stack_config("dev", stack_file=REHEARSAL, overrides={"logRetentionDays": 30})
    assert config["stock-levels:tableDeletionProtection"] == "true"  # from the given file, not Pulumi.dev.yaml
    assert config["stock-levels:logRetentionDays"] == "30"
    assert config["stock-levels:lowStockThreshold"] == "1"  # the project's declared default


def test_encrypted_values_are_left_out_at_any_depth_and_named(tmp_path):
    # As `pulumi config set --secret --path 'notificationPhoneNumbers[0]'` writes it; only the engine, with the
    # stack's secrets provider, can decrypt it, and moto refuses {'secure': ...} as an SMS endpoint.
    stack_file = tmp_path / "Pulumi.x.yaml"
    stack_file.write_text(
        "config:\n"
        "  stock-levels:notificationPhoneNumbers:\n    - secure: v1:AAA\n    - '+33612345678'\n"
        "  stock-levels:alertWebhookUrl:\n    secure: v1:BBB\n"
        "  stock-levels:nested:\n    inner:\n      - token:\n          secure: v1:CCC\n"
    )
    config = stack_config("x", stack_file=stack_file)
    assert "secure" not in json.dumps(config)
    assert json.loads(config["stock-levels:notificationPhoneNumbers"]) == ["+33612345678"]
    assert "stock-levels:alertWebhookUrl" not in config
    assert sorted(encrypted_settings("x", stack_file=stack_file)) == [
        "stock-levels:alertWebhookUrl",
        "stock-levels:nested.inner[0].token",
        "stock-levels:notificationPhoneNumbers[0]",
    ]
