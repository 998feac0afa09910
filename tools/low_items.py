"""`make low`: the items that are low now, read page by page through the stack's API, one line each; or written as a
stock file to edit and send back with `make send`.

    python -m tools.low_items                           # the local stack (.local/outputs.json)
    python -m tools.low_items --stack dev               # a deployed stack (`pulumi stack output`)
    python -m tools.low_items --export low.txt          # a stock file of them

Each request is signed (SigV4, service execute-api) with the default credential chain, as any AWS client signs:
the local stack's developer through the AWS configuration `make run` wrote, or a deployed stack's caller.

The file is in the named form, `STOCK_ID;stock_level=N;reorder_point=M`, M the item's own reorder point or `default`
where the stack's default is in force: the two values a low item calls for (restocked, or its reorder point
changed), each named, so that a line says by itself what it sets. Each line sent sets both as of the moment it is
sent: delete the lines you leave as they are, or a level counted since the export would be overwritten.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from domain.item import Source
from tools.stack_outputs import stack_outputs, stack_session

PAGE_SIZE = 100
RETRY_WAITS = (1.0, 2.0, 4.0, 8.0)  # after a 503, before each new try


class Api(Protocol):
    """The stack's API."""

    def get(self, path: str) -> tuple[int, dict[str, Any]]:
        """The status and JSON document of a GET of `path` (with its query)."""
        ...


class ApiRefused(SystemExit):
    """The API answered a page with an error."""


class SignedApi:
    """Implements Api over HTTPS (HTTP locally), each request SigV4-signed for execute-api in the stack's region."""

    def __init__(self, outputs: Mapping[str, Any], session: boto3.session.Session | None = None) -> None:
        self._endpoint = str(outputs["endpoint_url"]).rstrip("/")
        self._session = session or stack_session(dict(outputs))

    def get(self, path: str) -> tuple[int, dict[str, Any]]:
        request = AWSRequest(method="GET", url=self._endpoint + path)
        credentials = self._session.get_credentials()
        if credentials is None:
            raise SystemExit("no AWS credentials found: the API's requests are signed")
        SigV4Auth(credentials.get_frozen_credentials(), "execute-api", str(self._session.region_name)).add_auth(request)
        sent = urllib.request.Request(str(request.url), method="GET", headers=dict(request.headers))
        try:
            with urllib.request.urlopen(sent, timeout=30) as response:
                return response.status, _document(response.read())
        except urllib.error.HTTPError as error:
            return error.code, _document(error.read())


def _document(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body or b"{}")
    except ValueError:
        return {"message": body[:200].decode(errors="replace")}
    return document if isinstance(document, dict) else {"message": str(document)[:200]}


@dataclass(frozen=True)
class LowItem:
    """A low item as the list gives it: its level and the reorder point in force, with where that comes from."""

    stock_id: str
    level: int
    reorder_point: int
    source: str

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> LowItem:
        return cls(
            stock_id=str(document["stock_id"]),
            level=int(document["stock_level"]),
            reorder_point=int(document["reorder_point"]),
            source=str(document.get("reorder_point_source", Source.DEFAULT)),
        )

    def line(self) -> str:
        """The item as a person reads it."""
        whose = "its own" if self.source == Source.ITEM else "the stack's default"
        return f"{self.stock_id}  level {self.level}  reorder point {self.reorder_point} ({whose})"

    def stock_line(self) -> str:
        """The item as a line of a stock file, in the named form."""
        point = self.reorder_point if self.source == Source.ITEM else "default"
        return f"{self.stock_id};stock_level={self.level};reorder_point={point}"


def all_low_items(
    api: Api, page_size: int = PAGE_SIZE, sleep: Callable[[float], None] = time.sleep
) -> Iterator[LowItem]:
    """Every item the list holds as low, following each page's cursor to the last page; a page answered 503 (the
    API's "retry later", with Retry-After: 1) is asked for again, waiting 1, 2, 4 then 8 seconds."""
    cursor: str | None = None
    seen: set[str] = set()
    while True:
        query = {"low": "true", "limit": str(page_size), **({"cursor": cursor} if cursor else {})}
        status, document = _page(api, f"/stocks?{urlencode(query)}", sleep)
        if status != 200:
            raise ApiRefused(f"GET /stocks?low=true answered {status}: {document.get('message', document)}")
        for item in document.get("items", []):
            yield LowItem.from_document(item)
        cursor = document.get("next_cursor")
        if not cursor:
            return
        if cursor in seen:  # a list that never ends would otherwise hold the tool forever
            raise ApiRefused(f"GET /stocks?low=true gave the cursor {cursor!r} twice: the list does not move on")
        seen.add(cursor)


def _page(api: Api, path: str, sleep: Callable[[float], None]) -> tuple[int, dict[str, Any]]:
    status, document = api.get(path)
    for wait in RETRY_WAITS:
        if status != 503:
            break
        sleep(wait)
        status, document = api.get(path)
    return status, document


def export(items: list[LowItem], destination: Path) -> str:
    """Write the items as a stock file; say what to do next."""
    destination.write_text("".join(f"{item.stock_line()}\n" for item in items), encoding="utf-8")
    return (
        f"Wrote {len(items)} low item(s) to {destination}. Edit the levels and reorder points, delete the lines you "
        f"leave as they are (each line sent sets both as of when it is sent), then: make send FILE={destination}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make low", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", help="a deployed Pulumi stack; the local stack by default")
    parser.add_argument("--outputs", type=Path, default=Path(".local/outputs.json"), help="the local stack's outputs")
    parser.add_argument("--export", type=Path, metavar="FILE", help="write them to FILE as a stock file")
    parser.add_argument("--page-size", type=int, default=PAGE_SIZE, help="items asked for per request (1 to 1000)")
    args = parser.parse_args(argv)
    api = SignedApi(stack_outputs(args.stack, args.outputs))
    items = list(all_low_items(api, args.page_size))
    if args.export:
        print(export(items, args.export))
    elif not items:
        print("No item is low.")
    else:
        print("\n".join(item.line() for item in items))
        print(f"{len(items)} low item(s).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
