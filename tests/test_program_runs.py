"""The program runs tests share (tests/program_runs.py): one per configuration, each reader with its own copy."""

from tests.program_runs import declared


def test_a_run_one_test_changes_is_not_what_the_next_one_reads():
    changed = declared("dev", {"lowStockThreshold": 3})
    function = changed.named("low-stock-notifier-function")
    function.inputs["environment"]["variables"]["LOW_STOCK_THRESHOLD"] = "99"
    changed.resources.clear()
    again = declared("dev", {"lowStockThreshold": 3})
    variables = again.named("low-stock-notifier-function").inputs["environment"]["variables"]
    assert variables["LOW_STOCK_THRESHOLD"] == "3"


def test_each_configuration_is_a_run_of_its_own():
    assert declared("dev").named("stock-levels").protect is False
    assert declared("prod").named("stock-levels").protect is True
    hook = {"alertWebhookUrl": "https://hooks.slack.com/services/T000/B000/XXXXXXXX"}
    with_secret = declared("dev", {"alertChannels": ["webhook"]}, secrets=hook)
    [version] = with_secret.of_type("aws:secretsmanager/secretVersion:SecretVersion")
    assert version.inputs["secretString"]["value"] == hook["alertWebhookUrl"]  # held as a Pulumi secret
