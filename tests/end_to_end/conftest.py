from collections.abc import Iterator

import pytest

from tests.running_stack import RunningStack, running


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    # Both alert channels: the topic's subscribers and the local chat webhook.
    yield from running(tmp_path_factory.mktemp("local-stack"), {"alertChannels": ["sns", "webhook"]})
