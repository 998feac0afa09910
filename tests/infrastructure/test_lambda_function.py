import pulumi

from components.iam import allow
from components.lambda_function import LambdaFunction
from handlers.settings import FunctionLimits
from tests.infrastructure.conftest import function_args, statements_of


@pulumi.runtime.test
def test_the_role_may_do_exactly_what_the_caller_says_plus_write_its_own_logs():
    table = allow(["dynamodb:GetItem"], ["arn:aws:dynamodb:eu-west-3:123456789012:table/t"])
    function = LambdaFunction("orders", function_args(statements=[table]))

    def check(values):
        policy, log_group_arn = values
        assert statements_of(policy) == [
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [f"{log_group_arn}:*"],
            },
            {
                "Effect": "Allow",
                "Action": ["dynamodb:GetItem"],
                "Resource": ["arn:aws:dynamodb:eu-west-3:123456789012:table/t"],
            },
        ]

    return pulumi.Output.all(function.policy.policy, function.log_group.arn).apply(check)


@pulumi.runtime.test
def test_only_lambda_may_assume_the_role():
    function = LambdaFunction("orders", function_args())

    def check(trust):
        [statement] = statements_of(trust)
        assert statement["Principal"] == {"Service": "lambda.amazonaws.com"}
        assert statement["Action"] == ["sts:AssumeRole"]

    return function.role.assume_role_policy.apply(check)


@pulumi.runtime.test
def test_the_function_runs_on_arm64_with_the_newest_python_and_json_logs_to_its_group():
    function = LambdaFunction("orders", function_args(memory_size=512, environment={"TABLE_NAME": "t"}))
    f = function.function

    def check(values):
        runtime, architectures, logging, log_group, memory, timeout, environment, handler, code_hash = values
        assert runtime == "python3.14"
        assert architectures == ["arm64"]
        assert logging == {"log_format": "JSON", "log_group": log_group}
        assert (memory, timeout) == (512, 20)
        assert environment == {"variables": {"TABLE_NAME": "t", "FUNCTION_TIMEOUT_SECONDS": str(timeout)}}
        assert FunctionLimits.from_environment(environment["variables"]).timeout_seconds == 20  # as handlers read it
        assert handler == "handlers.example.handler"
        assert code_hash == "c2hhMjU2"

    return pulumi.Output.all(
        f.runtime,
        f.architectures,
        f.logging_config,
        function.log_group.name,
        f.memory_size,
        f.timeout,
        f.environment,
        f.handler,
        f.source_code_hash,
    ).apply(check)


@pulumi.runtime.test
def test_logs_are_kept_for_the_configured_retention():
    """Kept only by the group the function writes to: a function whose logging config names no group writes to
    /aws/lambda/<function name>, which Lambda creates with no retention
    (docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-loggroups.html)."""
    function = LambdaFunction("orders", function_args(log_retention_days=30))

    def check(values):
        days, group, logging = values
        assert days == 30
        assert logging.get("log_group") == group, logging

    return pulumi.Output.all(
        function.log_group.retention_in_days, function.log_group.name, function.function.logging_config
    ).apply(check)
