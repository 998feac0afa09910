"""The API's AWS_IAM authorization: a method declared AWS_IAM answers only requests signed with SigV4.

API Gateway checks the signature (service `execute-api`, the API's region), then that the caller may invoke
the method, and answers a refusal itself with 403 and a JSON `message`
(docs.aws.amazon.com/apigateway/latest/developerguide/permissions.html,
docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html). The signature is recomputed here with
botocore's own signer over the request as received, so any SigV4 client that AWS accepts is accepted.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local_stack.aws.iam_policies import Identity

_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request,"
    r"\s*SignedHeaders=(?P<headers>[^,]+),\s*Signature=(?P<signature>[0-9a-f]+)"
)
_MAX_SKEW = timedelta(minutes=5)  # a signature older or newer than this has expired
MISSING_TOKEN = "Missing Authentication Token"
INVALID_TOKEN = "The security token included in the request is invalid."
BAD_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for details."
)


@dataclass(frozen=True)
class Caller:
    """Who may sign: their secret, and their identity (None for the account's administrator)."""

    access_key: str
    secret_key: str
    arn: str
    identity: Identity | None = None


class Refused(Exception):
    """A request API Gateway answers itself with 403 and this message."""


class SigV4Authorizer:
    """Checks signed requests to the API against the callers the local stack knows."""

    def __init__(self, region: str, callers: list[Caller]) -> None:
        self._region = region
        self._callers = {caller.access_key: caller for caller in callers}

    def authorize(self, method: str, raw_path: str, headers: dict[str, str], body: bytes, resource: str) -> Caller:
        """The caller of a correctly signed request allowed to invoke `resource`, or Refused."""
        lower = {name.lower(): value for name, value in headers.items()}
        found = _AUTHORIZATION.fullmatch(lower.get("authorization", "").strip())
        if found is None:
            raise Refused(MISSING_TOKEN)
        caller = self._callers.get(found["key"])
        if caller is None:
            raise Refused(INVALID_TOKEN)
        if (found["service"], found["region"]) != ("execute-api", self._region):
            raise Refused(
                f"Credential should be scoped to a valid region and to the service 'execute-api', "
                f"not '{found['region']}' and '{found['service']}'."
            )
        _check_fresh(lower.get("x-amz-date", ""))
        expected = _signature(caller, self._region, method, raw_path, lower, found["headers"].split(";"), body)
        if not hmac.compare_digest(expected, found["signature"]):
            raise Refused(BAD_SIGNATURE)
        if caller.identity is not None and not caller.identity.allows("execute-api:Invoke", resource):
            raise Refused(
                f"User: {caller.identity.arn} is not authorized to perform: execute-api:Invoke on resource: {resource}"
            )
        return caller


def _check_fresh(amz_date: str) -> None:
    try:
        signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise Refused("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.") from None
    now = datetime.now(UTC)
    if abs(now - signed_at) > _MAX_SKEW:
        raise Refused(f"Signature expired: {amz_date} is now earlier than {(now - _MAX_SKEW):%Y%m%dT%H%M%SZ}")


def _signature(
    caller: Caller,
    region: str,
    method: str,
    raw_path: str,
    headers: dict[str, str],
    signed: list[str],
    body: bytes,
) -> str:
    """The signature botocore computes for the request as received, over the headers the client signed."""
    request = AWSRequest(
        method=method,
        url=f"http://{headers.get('host', 'localhost')}{raw_path}",
        headers={name: headers.get(name, "") for name in signed},
        data=body,
    )
    request.context["timestamp"] = headers.get("x-amz-date", "")
    signer = SigV4Auth(Credentials(caller.access_key, caller.secret_key), "execute-api", region)
    canonical = signer.canonical_request(request)
    return str(signer.signature(signer.string_to_sign(request, canonical), request))


def signed_headers(
    method: str,
    url: str,
    body: bytes,
    access_key: str,
    secret_key: str,
    region: str,
    headers: dict[str, str] | None = None,
) -> dict[str, str]:
    """`headers` (JSON content by default) and the ones that sign the request as a SigV4 client signs it."""
    request = AWSRequest(method=method, url=url, data=body, headers=headers or {"Content-Type": "application/json"})
    SigV4Auth(Credentials(access_key, secret_key), "execute-api", region).add_auth(request)
    # The signer signs the host from the URL; an HTTP client sends it as the Host header.
    return {"Host": urlsplit(url).netloc, **{name: str(value) for name, value in request.headers.items()}}
