"""The shared Lambda building block: role with an exact inline policy, log group, and the function."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.code_archive import CodeArchive
from components.iam import Statement, allow, assume_role_policy, policy_document
from handlers.settings import FunctionLimits

# The newest Python runtime pulumi-aws offers; our code is kept compatible with 3.11 and later.
RUNTIME = aws.lambda_.Runtime.PYTHON3D14
ARCHITECTURE = "arm64"


@dataclass
class LambdaFunctionArgs:
    """What a function is: its handler, code, permissions, settings and environment."""

    handler: str
    code: CodeArchive
    statements: Sequence[Statement] = ()
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    memory_size: int = 256
    timeout_seconds: int = 10
    log_retention_days: int = 14
    description: str = ""
    # What the code needs in place before it runs (a secret's stored value, say): a reference to a resource's ARN
    # makes the function wait for that resource only, not for what is later written into it.
    depends_on: Sequence[pulumi.Resource] = ()


class LambdaFunction(pulumi.ComponentResource):
    """A Lambda function whose role may do exactly what its caller says, plus write to its own log group."""

    role: aws.iam.Role
    log_group: aws.cloudwatch.LogGroup
    policy: aws.iam.RolePolicy
    function: aws.lambda_.Function

    def __init__(self, name: str, args: LambdaFunctionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("serverless:lambda:LambdaFunction", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.role = aws.iam.Role(
            f"{name}-role", assume_role_policy=assume_role_policy("lambda.amazonaws.com"), opts=child
        )
        # The function logs to this group (created first, with retention) instead of one Lambda would make.
        self.log_group = aws.cloudwatch.LogGroup(f"{name}-logs", retention_in_days=args.log_retention_days, opts=child)
        log_writes = allow(
            ["logs:CreateLogStream", "logs:PutLogEvents"], [pulumi.Output.concat(self.log_group.arn, ":*")]
        )
        self.policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=self.role.id,
            policy=policy_document([log_writes, *args.statements]),
            opts=child,
        )
        self.function = aws.lambda_.Function(
            f"{name}-function",
            role=self.role.arn,
            runtime=RUNTIME,
            architectures=[ARCHITECTURE],
            handler=args.handler,
            code=pulumi.FileArchive(str(args.code.path)),
            source_code_hash=args.code.sha256,
            memory_size=args.memory_size,
            timeout=args.timeout_seconds,
            description=args.description,
            # Lambda does not tell a function its own time-out; the handlers size their AWS calls to it.
            environment={
                "variables": {**args.environment, **FunctionLimits(timeout_seconds=args.timeout_seconds).environment()}
            },
            logging_config={"log_format": "JSON", "log_group": self.log_group.name},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.log_group, self.policy, *args.depends_on]),
        )
        self.register_outputs(
            {"function_name": self.function.name, "function_arn": self.function.arn, "role_arn": self.role.arn}
        )
