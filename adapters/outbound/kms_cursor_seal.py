"""The seal of the stock API's list cursors: an HMAC that KMS makes and checks with a key that never leaves it."""

from __future__ import annotations

import hashlib
from typing import Any

from botocore.exceptions import ClientError

# An HMAC_256 key's algorithm, and the length of its tags
# (docs.aws.amazon.com/kms/latest/developerguide/hmac.html: HMAC_256 keys take HMAC_SHA_256).
MAC_ALGORITHM = "HMAC_SHA_256"
TAG_BYTES = 32


class KmsCursorSeal:
    """Seals with GenerateMac and checks with VerifyMac on one KMS HMAC key (the stock API's CursorSeal). `client` is
    a KMS client; `key_id` the key's ARN, so that another key, one that replaced it, is another version."""

    def __init__(self, client: Any, key_id: str) -> None:
        self._client = client
        self._key_id = key_id

    @property
    def version(self) -> str:
        # KMS does not rotate HMAC keys: a new key replaces the old, and its id tells the cursors apart. A digest
        # keeps the key's id out of what clients hold.
        return hashlib.sha256(self._key_id.encode()).hexdigest()[:16]

    def tag(self, message: bytes) -> bytes:
        response = self._client.generate_mac(KeyId=self._key_id, Message=message, MacAlgorithm=MAC_ALGORITHM)
        return bytes(response["Mac"])

    def verifies(self, message: bytes, tag: bytes) -> bool:
        if len(tag) != TAG_BYTES:  # no tag of this key: KMS would refuse the request rather than answer "no"
            return False
        try:
            response = self._client.verify_mac(KeyId=self._key_id, Message=message, MacAlgorithm=MAC_ALGORITHM, Mac=tag)
        except ClientError as error:
            # VerifyMac answers a tag that does not verify with this error, never with MacValid false
            # (docs.aws.amazon.com/kms/latest/APIReference/API_VerifyMac.html).
            if error.response.get("Error", {}).get("Code") == "KMSInvalidMacException":
                return False
            raise
        return bool(response.get("MacValid"))
