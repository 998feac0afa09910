import pytest

from tools.change_cost import OTHER, cost_by_layer, layer_of


def test_each_path_counts_in_its_layer_and_untouched_layers_show_zero():
    costs = cost_by_layer(
        [
            "10\t2\tadapters/outbound/webhook_low_stock_notifier.py",
            "3\t1\thandlers/low_stock_notifier.py",
            "5\t0\tPulumi.yaml",
            "1\t1\t__main__.py",
            "-\t-\tdocs/diagram.png",
        ]
    )
    assert (costs["domain"].files, costs["domain"].added, costs["domain"].removed) == (0, 0, 0)
    assert (costs["adapters (outbound)"].files, costs["adapters (outbound)"].added) == (1, 10)
    assert (costs["stack (program and settings)"].files, costs["stack (program and settings)"].added) == (2, 6)
    assert (costs[OTHER].files, costs[OTHER].added) == (1, 0)


def test_the_domain_is_its_own_layer_and_not_a_prefix_match_elsewhere():
    assert layer_of("domain/ports.py") == "domain"
    assert layer_of("tests/domain/test_stock.py") == "tests"


@pytest.mark.parametrize(
    ("path", "layer"),
    [
        ("{handlers => adapters/outbound}/secret_cache.py", "adapters (outbound)"),
        ("components/{http_function.py => rest_api_function.py}", "components"),
        ("tests/infrastructure/snapshots/{dev.json => dev-rest-api.json}", "reviewed snapshots"),
        ("harness/pulumi_program.py", "harness"),
        ("benchmarks/cold_start.py", "benchmarks"),
    ],
)
def test_a_file_is_counted_in_the_layer_it_is_in_after_the_change_moved_or_not(path, layer):
    assert layer_of(path) == layer


def test_what_inbound_and_outbound_adapters_share_is_an_adapter_layer_of_its_own():
    assert layer_of("adapters/dynamodb_items.py") == "adapters (shared)"
    assert layer_of("adapters/outbound/dynamodb_stock_repository.py") == "adapters (outbound)"
