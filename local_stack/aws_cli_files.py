"""The AWS CLI's own two files, config and shared credentials, that a local stack writes for its developer, so
that every SDK reaches the stack through its standard chain; and the developer's key read back from them."""

from __future__ import annotations

import configparser
from pathlib import Path

PROFILE = "local"


def write_aws_cli_files(
    credentials_path: Path, config_path: Path, access_key: str, secret_key: str, region: str, endpoint_url: str
) -> None:
    """Profile `local` in both files, each readable by its owner only.

    The shared-credentials file names a profile bare, the config file as `profile NAME`; `endpoint_url` in a
    profile is read by botocore 1.31 and later and by the AWS CLI (docs.aws.amazon.com/sdkref/latest/guide/
    feature-ss-endpoints.html), and AWS_ENDPOINT_URL, if set, comes before it."""
    _write_private(
        credentials_path,
        f"[{PROFILE}]\naws_access_key_id = {access_key}\naws_secret_access_key = {secret_key}\n",
    )
    _write_private(config_path, f"[profile {PROFILE}]\nregion = {region}\nendpoint_url = {endpoint_url}\n")


def read_credentials(path: Path) -> tuple[str, str]:
    """The developer's access key and secret from the shared-credentials file a local stack wrote."""
    parser = configparser.ConfigParser()
    parser.read(path)
    profile = parser[PROFILE]
    return profile["aws_access_key_id"], profile["aws_secret_access_key"]


def _write_private(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o600)
