"""Against a deployed stack (STACK_OUTPUTS), the scenarios sign with the credentials of the environment they run
in, whatever the suite's fixtures do elsewhere: in AWS the job's role, never a test key."""

import json
import os
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from harness.server_thread import ServerThread
from tests.pytest_in_process import run_pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def api() -> Iterator[tuple[str, list[str]]]:
    """An API on loopback that records the Authorization header of each request and answers 200."""
    seen: list[str] = []

    class Recorder(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            seen.append(self.headers.get("Authorization", ""))
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.dumps({"stock_id": "x", "stock_level": 7}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_PUT = do_POST = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    serving = ServerThread(server, "api")
    serving.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api", seen
    serving.stop()


def test_scenarios_against_a_deployed_stack_sign_with_the_key_in_the_environment(api, tmp_path):
    endpoint, seen = api
    outputs = tmp_path / "outputs.json"  # a deployed stack's shape: no aws_endpoint_url
    outputs.write_text(json.dumps({"endpoint_url": endpoint, "topic_arn": "arn:aws:sns:eu-west-3:123456789012:t"}))
    environment = {
        **{name: value for name, value in os.environ.items() if not name.startswith("AWS_")},
        "STACK_OUTPUTS": str(outputs),
        "AWS_ACCESS_KEY_ID": "AKIAJOBROLEEXAMPLE01",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_SESSION_TOKEN": "session-token",
    }
    run_pytest(
        ["-q", "-p", "no:cacheprovider", "tests/scenarios", "-k", "signed_api"],
        environment,
        ROOT,
        fresh_package="tests.scenarios",
    )  # whatever it ends with: the recorder is no stock service, only how the requests were signed matters here
    assert seen, "the scenario sent no request"
    assert all("Credential=AKIAJOBROLEEXAMPLE01/" in header for header in seen), seen
