"""What the local stack's own tests share."""

import sys

import pytest

from local_stack.aws.embedded_aws import EmbeddedAws


@pytest.fixture(scope="module")
def embedded():
    """An embedded AWS in this process, whose threads switch often: any unguarded interleaving of its request threads
    becomes likely."""
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    aws = EmbeddedAws("127.0.0.1", 0)
    aws.start()
    yield aws
    aws.stop()
    sys.setswitchinterval(switch_interval)
