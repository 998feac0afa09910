"""The list cursors' seal on a KMS HMAC key: tags KMS makes and checks, a tag of another key or message refused, and
the stock API's cursors sealed with it."""

import pytest
from botocore.exceptions import ClientError

from adapters.inbound.stock_api import ListCursors
from adapters.outbound.kms_cursor_seal import TAG_BYTES, KmsCursorSeal
from harness.cursor_seal import FakeCursorSeal
from tests.conftest import account_client


@pytest.fixture
def kms(account):
    return account_client("kms")


def hmac_key(kms):
    return kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["Arn"]


@pytest.fixture
def seal(kms):
    return KmsCursorSeal(kms, hmac_key(kms))


def test_a_tag_kms_made_verifies_for_its_message_only(seal):
    tag = seal.tag(b"3/A000")
    assert len(tag) == TAG_BYTES
    assert seal.verifies(b"3/A000", tag)
    assert not seal.verifies(b"3/A001", tag)
    assert not seal.verifies(b"3/A000", bytes([tag[0] ^ 1]) + tag[1:])


def test_a_tag_of_another_key_does_not_verify(kms, seal):
    other = KmsCursorSeal(kms, hmac_key(kms))
    assert not seal.verifies(b"3/A000", other.tag(b"3/A000"))


@pytest.mark.parametrize("length", [0, 1, TAG_BYTES - 1, TAG_BYTES + 1])
def test_a_tag_of_another_length_is_refused_without_asking_kms(kms, seal, mocker, length):
    verify = mocker.spy(kms, "verify_mac")
    assert not seal.verifies(b"3/A000", b"\0" * length)
    assert verify.call_count == 0


def test_the_version_names_the_key_and_nothing_else(kms, seal):
    key = hmac_key(kms)
    assert KmsCursorSeal(kms, key).version == KmsCursorSeal(kms, key).version
    assert KmsCursorSeal(kms, key).version != seal.version
    assert key.rsplit("/", 1)[1] not in seal.version  # the key's id is not handed to clients


def test_a_key_that_cannot_make_tags_is_an_error_not_a_refused_cursor(kms):
    """A misconfigured key must show as a failing service (the API's 503), not as every client's bad cursor."""
    encrypting = kms.create_key()["KeyMetadata"]["Arn"]
    with pytest.raises(ClientError):
        KmsCursorSeal(kms, encrypting).verifies(b"3/A000", b"\0" * TAG_BYTES)


def test_the_apis_cursors_sealed_by_kms_open_only_with_the_same_key(kms, seal):
    cursors = ListCursors(seal, "stock-levels")
    cursor = cursors.cursor("5/café")
    assert cursors.position(cursor) == "5/café"
    replaced = ListCursors(KmsCursorSeal(kms, hmac_key(kms)), "stock-levels")
    with pytest.raises(Exception, match="start again"):
        replaced.position(cursor)


def test_the_fake_seal_keeps_the_same_promises(seal):
    """Tests and benchmarks use the fake in the KMS seal's place."""
    fake = FakeCursorSeal()
    for each in (seal, fake):
        tag = each.tag(b"3/A000")
        assert len(tag) == TAG_BYTES
        assert each.verifies(b"3/A000", tag)
        assert not each.verifies(b"3/A001", tag)
