"""A kept connection's request headers are the message `http.client.parse_headers` makes of them, whatever the lines:
plain ones without the email parser, any other block through it."""

import email.message
import email.parser
import http.client
import io

from hypothesis import example, given
from hypothesis import strategies as st

from local_stack.aws import keep_alive

# Lines a client may send, plain or not: folded lines, bare CRs, blanks and colons in names, Latin-1 text, "From ".
NAME = st.text(alphabet="Ab-_:; \t!~\x7f", min_size=0, max_size=8)
VALUE = st.text(alphabet="xy :\t\r\u00e9\u00ff,", max_size=12)
LINE = st.one_of(
    st.builds(lambda name, value: f"{name}:{value}\r\n", NAME, VALUE),
    st.builds(lambda name, value: f"{name}:{value}\n", NAME, VALUE),
    st.builds(lambda value: f" {value}\r\n", VALUE),  # a folded line
    st.builds(lambda value: f"From {value}\r\n", VALUE),
    st.sampled_from(["no colon\r\n", ":no name\r\n"]),
)
END = st.sampled_from(["\r\n", "\n", ""])


def _both(block: str) -> tuple[object, object]:
    """The message of the original parse, and of the kept connection's, as their contents."""

    def contents(message: email.message.Message) -> object:
        return message.items(), message.get_payload(), [type(defect) for defect in message.defects]

    original = http.client.parse_headers(io.BytesIO(block.encode("iso-8859-1")))
    keep_alive._HEADERS_READ_HERE.on = True
    try:
        ours = keep_alive.parse_headers(io.BytesIO(block.encode("iso-8859-1")))
    finally:
        keep_alive._HEADERS_READ_HERE.on = False
    return contents(original), contents(ours)


@given(st.lists(LINE, max_size=6), END)
@example(["Host: h\r\n", "X-Amz-Target: DynamoDB_20120810.UpdateItem\r\n", "Content-Length: 12  \r\n"], "\r\n")
@example(["A: 1\r\n", "a: 2\r\n", "A:3\r\n"], "\r\n")  # one name thrice, any case
@example(["A: x\ry\r\n"], "\r\n")  # a bare CR inside a value
@example(["A: x\r\n", " folded\r\n"], "\r\n")
def test_the_headers_are_the_message_http_client_makes_of_them(lines, end):
    original, ours = _both("".join(lines) + end)
    assert ours == original


def test_plain_lines_skip_the_email_parser_only_for_a_kept_connection(mocker):
    parser = mocker.spy(email.parser.Parser, "parsestr")
    _both("Host: h\r\nContent-Length: 0\r\n\r\n")
    assert parser.call_count == 1  # the original's parse; ours made the message itself
    _both("Host: h\r\n folded\r\n\r\n")
    assert parser.call_count == 3  # a folded line: both through the email parser
