"""What the local stack's own tests share."""

import contextlib
import sys
from collections.abc import Iterator

import pytest

from local_stack.aws.embedded_aws import EmbeddedAws
from local_stack.aws.speedups import Speedups


@contextlib.contextmanager
def switching_often(speedups: Speedups) -> Iterator[EmbeddedAws]:
    """An embedded AWS in this process, whose threads switch often: any unguarded interleaving of its request threads
    becomes likely."""
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    aws = EmbeddedAws("127.0.0.1", 0, speedups=speedups)
    aws.start()
    try:
        yield aws
    finally:
        aws.stop()
        sys.setswitchinterval(switch_interval)


@pytest.fixture(scope="module")
def embedded() -> Iterator[EmbeddedAws]:
    with switching_often(Speedups()) as aws:
        yield aws
