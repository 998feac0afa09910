"""Pulumi mocks that build each declared resource in the embedded AWS and remember what the runtime needs.

`pulumi up` asks AWS to create resources; here `new_resource` asks moto instead, and returns the real names,
ARNs and URLs as the resource's outputs, so the program's wiring (environment variables, policies, event
sources) is exactly what it would be in AWS.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi

from local_stack.aws.embedded_aws import ACCOUNT_ID, local_client
from local_stack.aws.service_grants import sns_may_send


@dataclass
class DeclaredFunction:
    """A Lambda function as the program declared it."""

    name: str
    arn: str
    role_arn: str
    handler: str
    code_path: Path
    environment: dict[str, str]
    timeout_seconds: int
    memory_mb: int


@dataclass
class DeclaredRoute:
    """One API method: its path template, verb and the function its proxy integration invokes."""

    path: str
    method: str
    authorization: str
    function_arn: str = ""


@dataclass
class DeclaredEventSource:
    """An event source mapping: what it reads, which function it invokes, and how."""

    source_arn: str
    function_arn: str
    inputs: dict[str, Any]


@dataclass
class LocalDeclarations:
    """What the local runtime serves, filled in while the program runs."""

    functions: dict[str, DeclaredFunction] = field(default_factory=dict)
    routes: list[DeclaredRoute] = field(default_factory=list)
    stages: dict[str, str] = field(default_factory=dict)
    event_sources: list[DeclaredEventSource] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    topic_keys: dict[str, str] = field(default_factory=dict)
    queues: dict[str, str] = field(default_factory=dict)
    queue_visibility_timeouts: dict[str, int] = field(default_factory=dict)
    role_policies: dict[str, list[str]] = field(default_factory=dict)
    api_execution_arn: str = ""
    api_kind: str = "rest"  # "http": an HTTP API (apigatewayv2), served with payload 2.0 events
    http_integrations: dict[str, str] = field(default_factory=dict)  # integration id: the function it invokes
    bucket_notifications: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    async_settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    permissions: list[dict[str, Any]] = field(default_factory=list)
    not_emulated: dict[str, list[str]] = field(default_factory=dict)
    queue_policies: dict[str, Any] = field(default_factory=dict)  # queue ARN: its policy document
    undeliverable: list[str] = field(default_factory=list)  # subscriptions SNS could not deliver to, and why

    def policies_of(self, role_arn: str) -> list[str]:
        """The inline policy documents the program declared for a role."""
        return self.role_policies.get(role_arn.rsplit("/", 1)[-1], [])


Outputs = dict[str, Any]


class LocalCloud(pulumi.runtime.Mocks):
    """Materialises resources in moto at `endpoint_url`; the API's invoke URL points at `api_base_url`."""

    def __init__(self, endpoint_url: str, region: str, api_base_url: str) -> None:
        self.region = region
        self.api_base_url = api_base_url.rstrip("/")
        self.declared = LocalDeclarations()
        self._clients: dict[str, Any] = {}
        self._endpoint_url = endpoint_url
        self._resource_paths: dict[tuple[str, str], str] = {}
        self._builders: dict[str, Callable[[str, dict[str, Any]], tuple[str, Outputs]]] = {
            "aws:dynamodb/table:Table": self._table,
            "aws:sqs/queue:Queue": self._queue,
            "aws:sns/topic:Topic": self._topic,
            "aws:sns/topicSubscription:TopicSubscription": self._subscription,
            "aws:sqs/queuePolicy:QueuePolicy": self._queue_policy,
            "aws:kms/key:Key": self._key,
            "aws:secretsmanager/secret:Secret": self._secret,
            "aws:secretsmanager/secretVersion:SecretVersion": self._secret_version,
            "aws:s3/bucket:Bucket": self._bucket,
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": self._public_access_block,
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls": self._ownership_controls,
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": self._encryption,
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": self._lifecycle,
            "aws:s3/bucketNotification:BucketNotification": self._bucket_notification,
            "aws:iam/role:Role": self._role,
            "aws:iam/rolePolicy:RolePolicy": self._role_policy,
            "aws:cloudwatch/logGroup:LogGroup": self._log_group,
            "aws:cloudwatch/metricAlarm:MetricAlarm": self._alarm,
            "aws:lambda/function:Function": self._function,
            "aws:lambda/permission:Permission": self._permission,
            "aws:lambda/eventSourceMapping:EventSourceMapping": self._event_source,
            "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": self._event_invoke_config,
            "aws:apigateway/restApi:RestApi": self._rest_api,
            "aws:apigateway/resource:Resource": self._api_resource,
            "aws:apigateway/method:Method": self._api_method,
            "aws:apigateway/integration:Integration": self._api_integration,
            "aws:apigateway/deployment:Deployment": self._api_deployment,
            "aws:apigateway/stage:Stage": self._api_stage,
            "aws:apigatewayv2/api:Api": self._http_api,
            "aws:apigatewayv2/integration:Integration": self._http_integration,
            "aws:apigatewayv2/route:Route": self._http_route,
            "aws:apigatewayv2/stage:Stage": self._http_stage,
        }

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = local_client(service, self._endpoint_url, self.region)
        return self._clients[service]

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, Outputs]:
        if not args.custom:
            return "", {}  # a component: nothing to build
        inputs = _plain(dict(args.inputs))
        builder = self._builders.get(args.typ)
        if builder is None:
            self.declared.not_emulated.setdefault(args.typ, []).append(args.name)
            return f"{args.name}-local", inputs
        resource_id, outputs = builder(args.name, inputs)
        return resource_id, {**inputs, **outputs}

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            identity = self.client("sts").get_caller_identity()
            return {"accountId": identity["Account"], "arn": identity["Arn"], "userId": identity["UserId"]}, []
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}, []
        if args.token == "aws:index/getRegion:getRegion":
            return {"region": self.region, "name": self.region, "id": self.region}, []
        raise NotImplementedError(f"the local stack does not answer {args.token}")

    # --- storage and messaging

    def _table(self, name: str, inputs: dict[str, Any]) -> tuple[str, Outputs]:
        keys = [{"AttributeName": inputs["hashKey"], "KeyType": "HASH"}]
        if inputs.get("rangeKey"):
            keys.append({"AttributeName": inputs["rangeKey"], "KeyType": "RANGE"})
        request: dict[str, Any] = {
            "TableName": name,
            "KeySchema": keys,
            "AttributeDefinitions": [
                {"AttributeName": a["name"], "AttributeType": a["type"]} for a in inputs["attributes"]
            ],
            "BillingMode": inputs.get("billingMode", "PAY_PER_REQUEST"),
        }
        if inputs.get("streamEnabled"):
            request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": inputs["streamViewType"]}
        if inputs.get("globalSecondaryIndexes"):
            request["GlobalSecondaryIndexes"] = [_index(index) for index in inputs["globalSecondaryIndexes"]]
        table = self.client("dynamodb").create_table(**request)["TableDescription"]
        ttl = inputs.get("ttl") or {}
        if ttl.get("enabled"):  # moto records it; items are not expired locally
            self.client("dynamodb").update_time_to_live(
                TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["attributeName"]}
            )
        return name, {"name": name, "arn": table["TableArn"], "streamArn": table.get("LatestStreamArn", "")}

    def _queue(self, name: str, inputs: dict[str, Any]) -> tuple[str, Outputs]:
        attributes = {
            attribute: str(inputs[key])
            for key, attribute in (
                ("visibilityTimeoutSeconds", "VisibilityTimeout"),
                ("messageRetentionSeconds", "MessageRetentionPeriod"),
                ("redrivePolicy", "RedrivePolicy"),
                ("sqsManagedSseEnabled", "SqsManagedSseEnabled"),
                ("kmsMasterKeyId", "KmsMasterKeyId"),
            )
            if inputs.get(key) is not None
        }
        sqs = self.client("sqs")
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.declared.queues[arn] = url
        self.declared.queue_visibility_timeouts[arn] = int(inputs.get("visibilityTimeoutSeconds", 30))
        return url, {"name": name, "url": url, "arn": arn}

    def _topic(self, name: str, inputs: dict[str, Any]) -> tuple[str, Outputs]:
        attributes = {"KmsMasterKeyId": inputs["kmsMasterKeyId"]} if inputs.get("kmsMasterKeyId") else {}
        arn = self.client("sns").create_topic(Name=name, Attributes=attributes)["TopicArn"]
        self.declared.topics.append(arn)
        if inputs.get("kmsMasterKeyId"):
            self.declared.topic_keys[arn] = inputs["kmsMasterKeyId"]
        return arn, {"name": name, "arn": arn}

    def _queue_policy(self, name: str, inputs: dict[str, Any]) -> tuple[str, Outputs]:
        policy = inputs["policy"] if isinstance(inputs["policy"], str) else json.dumps(inputs["policy"])
        sqs = self.client("sqs")
        sqs.set_queue_attributes(QueueUrl=inputs["queueUrl"], Attributes={"Policy": policy})
        arn = sqs.get_queue_attributes(QueueUrl=inputs["queueUrl"], AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self.declared.queue_policies[arn] = json.loads(policy)
        return name, {}

    def _subscription(self, name: str, inputs: dict[str, Any]) -> tuple[str, Outputs]:
        """moto delivers to every SQS subscription; SNS, only to a queue whose policy lets it send for the topic
        (docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html). One without is not made here,
        so its messages are lost as they would be in AWS, and the start-up says so."""
        topic, protocol, endpoint = inputs["topic"], inputs["protocol"], inputs["endpoint"]
        if protocol == "sqs" and not sns_may_send(self.declared.queue_policies.get(endpoint), endpoint, topic):
            self.declared.undeliverable.append(f"{name}: the policy of {endpoint} does not let SNS send for {topic}")
            return f"{name}-undeliverable", {"arn": f"{topic}:{name}-undeliverable"}
        attributes = {
            attribute: str(inputs[key]).lower() if isinstance(inputs[key], bool) else str(inputs[key])
            for key, attribute in (("rawMessageDelivery", "RawMessageDelivery"), ("redrivePolicy", "RedrivePolicy"))
            if inputs.get(key) is not None
        }
        arn = self.client("sns").subscribe(TopicArn=topic, Protocol=protocol, Endpoint=endpoint, Attributes=attributes)[
            "SubscriptionArn"
        ]
        return arn, {"arn": arn}

    def _key(self, name: str, inputs: dict[str, Any]) -> tuple[str, Outputs]:
        # With its policy: SNS writes to a queue only with the key's grant (local_stack.aws.sns_deliveries).
        policy = {"Policy": inputs["policy"]} if inputs.get("policy") else {}
        key = self.client("kms").create_key(Description=inputs.get("description", name), **policy)["KeyMetadata"]
        return key["KeyId"], {"arn": key["Arn"], "keyId": key["KeyId"]}

    def _secret(self, name: str, inputs: dict[str, Any]) -> tuple[str, Outputs]:
        created = self.client("secretsmanager").create_secret(Name=name, Description=inputs.get("description", ""))
        return created["ARN"], {"arn": created["ARN"], "name": name}

    def _secret_version(self, name: str, inputs: dict[str, Any]) -> tuple[str, Outputs]:
        version = self.client("secretsmanager").put_secret_value(
            SecretId=inputs["secretId"], SecretString=inputs["secretString"]
        )
        return version["VersionId"], {"versionId": version["VersionId"]}

    # --- the drop bucket: built in moto; its notifications are dispatched by the local stack

    def _bucket(self, name: str, inputs: dict[str, Any]) -> tuple[str, Outputs]:
        self.client("s3").create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": self.region})
        return name, {"bucket": name, "arn": f"arn:aws:s3:::{name}"}

    def _public_access_block(self, name: str, inputs: dict[str, Any]) -> tuple[str, Outputs]:
        keys = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        configuration = {key[0].upper() + key[1:]: bool(inputs.get(key)) for key in keys}
        self.client("s3").put_public_access_block(Bucket=inputs["bucket"], PublicAccessBlockConfiguration=configuration)
        return name, {}

    def _ownership_controls(self, name: str, inputs: dict[str, Any]) -> tuple[str, Outputs]:
        rule = {"ObjectOwnership": inputs["rule"]["objectOwnership"]}
        self.client("s3").put_bucket_ownership_controls(Bucket=inputs["bucket"], OwnershipControls={"Rules": [rule]})
        return name, {}

    def _encryption(self, name: str, inputs: dict[str, Any]) -> tuple[str, Outputs]:
        rules = [
            {
                "ApplyServerSideEncryptionByDefault": {
                    "SSEAlgorithm": r["applyServerSideEncryptionByDefault"]["sseAlgorithm"]
                }
            }
            for r in inputs["rules"]
        ]
        self.client("s3").put_bucket_encryption(
            Bucket=inputs["bucket"], ServerSideEncryptionConfiguration={"Rules": rules}
        )
        return name, {}

    def _lifecycle(self, name: str, inputs: dict[str, Any]) -> tuple[str, Outputs]:
        rules = []
        for rule in inputs["rules"]:
            translated: dict[str, Any] = {
                "ID": rule["id"],
                "Status": rule["status"],
                "Filter": {"Prefix": (rule.get("filter") or {}).get("prefix", "")},
            }
            if rule.get("expiration"):
                translated["Expiration"] = {"Days": int(rule["expiration"]["days"])}
            if rule.get("abortIncompleteMultipartUpload"):
                days = int(rule["abortIncompleteMultipartUpload"]["daysAfterInitiation"])
                translated["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": days}
            rules.append(translated)
        self.client("s3").put_bucket_lifecycle_configuration(
            Bucket=inputs["bucket"], LifecycleConfiguration={"Rules": rules}
        )
        return name, {}

    def _bucket_notification(self, name: str, inputs: dict[str, Any]) -> tuple[str, Outputs]:
        # Not saved in moto, which would invoke the function in Docker: local_stack.aws.s3_notifications checks
        # and delivers them.
        self.declared.bucket_notifications[inputs["bucket"]] = list(inputs.get("lambdaFunctions") or [])
        return name, {}

    # --- identity and observability

    def _role(self, name: str, inputs: dict[str, Any]) -> tuple[str, Outputs]:
        role = self.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=inputs["assumeRolePolicy"])
        return name, {"name": name, "arn": role["Role"]["Arn"]}

    def _role_policy(self, name: str, inputs: dict[str, Any]) -> tuple[str, Outputs]:
        self.client("iam").put_role_policy(RoleName=inputs["role"], PolicyName=name, PolicyDocument=inputs["policy"])
        self.declared.role_policies.setdefault(inputs["role"], []).append(inputs["policy"])
        return f"{inputs['role']}:{name}", {"name": name}

    def _log_group(self, name: str, inputs: dict[str, Any]) -> tuple[str, Outputs]:
        logs = self.client("logs")
        logs.create_log_group(logGroupName=name)
        if inputs.get("retentionInDays"):
            logs.put_retention_policy(logGroupName=name, retentionInDays=int(inputs["retentionInDays"]))
        arn = f"arn:aws:logs:{self.region}:{ACCOUNT_ID}:log-group:{name}"
        return name, {"name": name, "arn": arn}

    def _alarm(self, name: str, inputs: dict[str, Any]) -> tuple[str, Outputs]:
        self.client("cloudwatch").put_metric_alarm(
            AlarmName=name,
            AlarmDescription=inputs.get("alarmDescription", ""),
            Namespace=inputs["namespace"],
            MetricName=inputs["metricName"],
            Dimensions=[{"Name": k, "Value": str(v)} for k, v in (inputs.get("dimensions") or {}).items()],
            Statistic=inputs["statistic"],
            Period=int(inputs["period"]),
            EvaluationPeriods=int(inputs["evaluationPeriods"]),
            Threshold=float(inputs["threshold"]),
            ComparisonOperator=inputs["comparisonOperator"],
            TreatMissingData=inputs.get("treatMissingData", "missing"),
            AlarmActions=list(inputs.get("alarmActions") or []),
        )
        return name, {"name": name, "arn": f"arn:aws:cloudwatch:{self.region}:{ACCOUNT_ID}:alarm:{name}"}

    # --- functions

    def _function(self, name: str, inputs: dict[str, Any]) -> tuple[str, Outputs]:
        code_path = Path(inputs["code"])
        variables = dict((inputs.get("environment") or {}).get("variables") or {})
        created = self.client("lambda").create_function(
            FunctionName=name,
            Runtime=inputs["runtime"],
            Role=inputs["role"],
            Handler=inputs["handler"],
            Code={"ZipFile": code_path.read_bytes()},
            Timeout=int(inputs.get("timeout", 3)),
            MemorySize=int(inputs.get("memorySize", 128)),
            Architectures=list(inputs.get("architectures") or ["x86_64"]),
            Environment={"Variables": variables},
        )
        arn = created["FunctionArn"]
        self.declared.functions[name] = DeclaredFunction(
            name=name,
            arn=arn,
            role_arn=inputs["role"],
            handler=inputs["handler"],
            code_path=code_path,
            environment={key: str(value) for key, value in variables.items()},
            timeout_seconds=int(inputs.get("timeout", 3)),
            memory_mb=int(inputs.get("memorySize", 128)),
        )
        invoke_arn = f"arn:aws:apigateway:{self.region}:lambda:path/2015-03-31/functions/{arn}/invocations"
        return name, {"name": name, "arn": arn, "invokeArn": invoke_arn}

    def _permission(self, name: str, inputs: dict[str, Any]) -> tuple[str, Outputs]:
        self.declared.permissions.append(inputs)
        self.client("lambda").add_permission(
            FunctionName=inputs["function"],
            StatementId=name,
            Action=inputs["action"],
            Principal=inputs["principal"],
            SourceArn=inputs.get("sourceArn", ""),
        )
        return name, {"statementId": name}

    def _event_source(self, name: str, inputs: dict[str, Any]) -> tuple[str, Outputs]:
        # Not created in moto, whose Lambda would try to run the function in Docker: the local pollers
        # read these declarations and do what Lambda's pollers do.
        self.declared.event_sources.append(
            DeclaredEventSource(inputs["eventSourceArn"], inputs["functionName"], inputs)
        )
        mapping_id = str(uuid.uuid4())
        return mapping_id, {"uuid": mapping_id, "functionArn": inputs["functionName"], "state": "Enabled"}

    def _event_invoke_config(self, name: str, inputs: dict[str, Any]) -> tuple[str, Outputs]:
        self.declared.async_settings[inputs["functionName"]] = inputs
        return name, {}

    # --- the REST API

    def _rest_api(self, name: str, inputs: dict[str, Any]) -> tuple[str, Outputs]:
        api = self.client("apigateway").create_rest_api(name=name)
        root = next(
            r["id"] for r in self.client("apigateway").get_resources(restApiId=api["id"])["items"] if r["path"] == "/"
        )
        self._resource_paths[(api["id"], root)] = "/"
        execution_arn = f"arn:aws:execute-api:{self.region}:{ACCOUNT_ID}:{api['id']}"
        self.declared.api_execution_arn = execution_arn
        return api["id"], {"rootResourceId": root, "executionArn": execution_arn, "name": name}

    def _api_resource(self, name: str, inputs: dict[str, Any]) -> tuple[str, Outputs]:
        resource = self.client("apigateway").create_resource(
            restApiId=inputs["restApi"], parentId=inputs["parentId"], pathPart=inputs["pathPart"]
        )
        self._resource_paths[(inputs["restApi"], resource["id"])] = resource["path"]
        return resource["id"], {"path": resource["path"]}

    def _api_method(self, name: str, inputs: dict[str, Any]) -> tuple[str, Outputs]:
        self.client("apigateway").put_method(
            restApiId=inputs["restApi"],
            resourceId=inputs["resourceId"],
            httpMethod=inputs["httpMethod"],
            authorizationType=inputs["authorization"],
        )
        path = self._resource_paths[(inputs["restApi"], inputs["resourceId"])]
        self.declared.routes.append(DeclaredRoute(path, inputs["httpMethod"], inputs["authorization"]))
        return name, {}

    def _api_integration(self, name: str, inputs: dict[str, Any]) -> tuple[str, Outputs]:
        self.client("apigateway").put_integration(
            restApiId=inputs["restApi"],
            resourceId=inputs["resourceId"],
            httpMethod=inputs["httpMethod"],
            type=inputs["type"],
            integrationHttpMethod=inputs.get("integrationHttpMethod", "POST"),
            uri=inputs["uri"],
        )
        path = self._resource_paths[(inputs["restApi"], inputs["resourceId"])]
        function_arn = inputs["uri"].split("/functions/")[1].removesuffix("/invocations")
        for route in self.declared.routes:
            if (route.path, route.method) == (path, inputs["httpMethod"]):
                route.function_arn = function_arn
        return name, {}

    def _api_deployment(self, name: str, inputs: dict[str, Any]) -> tuple[str, Outputs]:
        deployment = self.client("apigateway").create_deployment(restApiId=inputs["restApi"])
        return deployment["id"], {}

    def _api_stage(self, name: str, inputs: dict[str, Any]) -> tuple[str, Outputs]:
        stage = inputs["stageName"]
        self.client("apigateway").create_stage(
            restApiId=inputs["restApi"], stageName=stage, deploymentId=inputs["deployment"]
        )
        invoke_url = f"{self.api_base_url}/{stage}"
        self.declared.stages[stage] = invoke_url
        return f"{inputs['restApi']}-{stage}", {"invokeUrl": invoke_url}

    # --- the HTTP API (apigatewayv2): built in moto; served by local_stack.api_gateway.http_api

    def _http_api(self, name: str, inputs: dict[str, Any]) -> tuple[str, Outputs]:
        api = self.client("apigatewayv2").create_api(Name=name, ProtocolType=inputs["protocolType"])
        execution_arn = f"arn:aws:execute-api:{self.region}:{ACCOUNT_ID}:{api['ApiId']}"
        self.declared.api_execution_arn = execution_arn
        self.declared.api_kind = "http"
        return api["ApiId"], {"apiEndpoint": self.api_base_url, "executionArn": execution_arn, "name": name}

    def _http_integration(self, name: str, inputs: dict[str, Any]) -> tuple[str, Outputs]:
        integration = self.client("apigatewayv2").create_integration(
            ApiId=inputs["apiId"],
            IntegrationType=inputs["integrationType"],
            IntegrationMethod=inputs.get("integrationMethod", "POST"),
            IntegrationUri=inputs["integrationUri"],
            PayloadFormatVersion=inputs["payloadFormatVersion"],
        )
        if inputs["payloadFormatVersion"] != "2.0":
            raise NotImplementedError("the local stack serves an HTTP API's Lambda integrations with payload 2.0 only")
        self.declared.http_integrations[integration["IntegrationId"]] = inputs["integrationUri"]
        return integration["IntegrationId"], {}

    def _http_route(self, name: str, inputs: dict[str, Any]) -> tuple[str, Outputs]:
        route = self.client("apigatewayv2").create_route(
            ApiId=inputs["apiId"],
            RouteKey=inputs["routeKey"],
            AuthorizationType=inputs.get("authorizationType", "NONE"),
            Target=inputs["target"],
        )
        method, _, path = inputs["routeKey"].partition(" ")
        function_arn = self.declared.http_integrations[inputs["target"].removeprefix("integrations/")]
        authorization = inputs.get("authorizationType", "NONE")
        self.declared.routes.append(DeclaredRoute(path, method, authorization, function_arn))
        return route["RouteId"], {}

    def _http_stage(self, name: str, inputs: dict[str, Any]) -> tuple[str, Outputs]:
        self.client("apigatewayv2").create_stage(ApiId=inputs["apiId"], StageName=inputs["name"], AutoDeploy=True)
        self.declared.stages[inputs["name"]] = self.api_base_url
        return f"{inputs['apiId']}-{inputs['name']}", {"invokeUrl": self.api_base_url + "/"}


def _index(declared: dict[str, Any]) -> dict[str, Any]:
    """A table's global secondary index as CreateTable takes it, from its keys as a key schema or as the older
    hash and range keys."""
    keys = [
        {"AttributeName": key["attributeName"], "KeyType": key["keyType"]} for key in declared.get("keySchemas") or []
    ] or [
        {"AttributeName": declared[name], "KeyType": kind}
        for name, kind in (("hashKey", "HASH"), ("rangeKey", "RANGE"))
        if declared.get(name)
    ]
    projection: dict[str, Any] = {"ProjectionType": declared["projectionType"]}
    if declared.get("nonKeyAttributes"):
        projection["NonKeyAttributes"] = declared["nonKeyAttributes"]
    return {"IndexName": declared["name"], "KeySchema": keys, "Projection": projection}


def _plain(value: Any) -> Any:
    """Inputs with secrets unwrapped and archives replaced by their paths, as a provider would see them."""
    if isinstance(value, dict):
        if "4dabf18193072939515e22adb298388d" in value:  # Pulumi's secret signature
            return _plain(value.get("value"))
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, pulumi.FileArchive | pulumi.FileAsset):
        return str(value.path)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def describe_not_emulated(declared: LocalDeclarations) -> list[str]:
    """One line per declared resource type that the local stack does not build, with the names."""
    return [f"{type_token}: {', '.join(names)}" for type_token, names in sorted(declared.not_emulated.items())]
