"""A seal of the stock API's list cursors without KMS: the same promises as adapters.outbound.kms_cursor_seal, with
a key held in memory."""

from __future__ import annotations

import hashlib
import hmac


class FakeCursorSeal:
    """HMAC-SHA-256 with `secret`; `version` names the key, as the KMS seal's names its key. Counts its calls."""

    def __init__(self, secret: bytes = b"local cursor key", version: str = "v1") -> None:
        self._secret = secret
        self._version = version
        self.calls = 0

    @property
    def version(self) -> str:
        return self._version

    def tag(self, message: bytes) -> bytes:
        self.calls += 1
        return hmac.new(self._secret, message, hashlib.sha256).digest()

    def verifies(self, message: bytes, tag: bytes) -> bool:
        self.calls += 1
        return hmac.compare_digest(hmac.new(self._secret, message, hashlib.sha256).digest(), tag)
