"""DynamoDB's requests handed to moto's DynamoDB handler directly, not through moto's dispatch in front of it.

moto's server finds the service of each request among all it emulates (`DomainDispatcherApplication`, matching the
host and the signature's scope against every service's URL patterns), then routes it through a Flask application of
that service to the same handler, `DynamoHandler.dispatch`, whose answer Flask turns into a response
(`moto.core.utils.convert_to_flask_response`). A request of DynamoDB's JSON protocol (POST / with
X-Amz-Target: DynamoDB_20120810.<Operation>) has only that one destination, so here it goes there at once: the same
handler, given the same request, answers it, as Flask's response, with the same status, headers and body. Requests
of any other service, any other path, or with an Origin header (for moto's CORS) take moto's own way.

moto's handler then looks the operation up among the handler class's functions, listed anew by
`inspect.getmembers` at every request (`moto.core.utils.method_names_from_class`): each service's handler's (DynamoDB's,
and those of the requests that take moto's way: SNS, SQS, DynamoDB Streams...) are listed once here, as nothing adds a
function to a handler class once the embedded AWS serves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import moto.core.responses as moto_responses
from botocore.exceptions import ClientError
from flask import Response
from moto.core.request import normalize_request
from moto.dynamodb.responses import DynamoHandler
from moto.moto_api import recorder
from moto.moto_server.werkzeug_app import BackendRequest

from local_stack.aws import speedups
from local_stack.aws.aws_requests import WsgiApp

_TARGET = "DynamoDB_20120810."
_ORIGINAL_METHOD_NAMES = moto_responses.method_names_from_class  # type: ignore[attr-defined]
_METHODS: dict[type, list[str]] = {}


def _method_names(clazz: object) -> list[str]:
    """moto's `method_names_from_class`, each handler class's listed once while the request's AWS says so."""
    if not (isinstance(clazz, type) and speedups.current().direct_dynamodb):
        return _ORIGINAL_METHOD_NAMES(clazz)
    names = _METHODS.get(clazz)
    if names is None:
        names = _METHODS[clazz] = _ORIGINAL_METHOD_NAMES(clazz)
    return names


class DirectDynamoDb:
    """Request layer (last): DynamoDB's requests answered by moto's DynamoDB handler without moto's dispatch, while
    the embedded AWS's speed-ups say so."""

    def __init__(self) -> None:
        moto_responses.method_names_from_class = _method_names  # type: ignore[attr-defined]

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any], forward: WsgiApp
    ) -> Iterable[bytes]:
        if not (
            speedups.current().direct_dynamodb
            and environ.get("REQUEST_METHOD") == "POST"
            and environ.get("PATH_INFO") == "/"
            and str(environ.get("HTTP_X_AMZ_TARGET", "")).startswith(_TARGET)
            and "HTTP_ORIGIN" not in environ
        ):
            return forward(environ, start_response)
        # What convert_to_flask_response does with the request Flask would have made.
        request = normalize_request(BackendRequest(environ))
        recorder._record_request(request)
        try:
            result = DynamoHandler.dispatch(request, request.raw_url, dict(request.headers))
        except ClientError as error:
            result = 400, {}, error.response["Error"]["Message"]
        status, headers, content = result if len(result) == 3 else (200, {}, result)
        response = Response(response=content, status=status, headers=headers)
        return response(environ, start_response)
