"""A deterministic zip of the Lambda code: same tree, same bytes, so an unchanged tree never shows a code diff.

Entries are stored, not deflated: deflate's output depends on the zlib build (zlib-ng, Cloudflare's and
Intel's forks compress the same input to different bytes), and Lambda compares the archive's SHA-256. Stored,
the bytes depend on the files alone. The package is a few tens of kilobytes either way.
"""

from __future__ import annotations

import base64
import hashlib
import os
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time zip can store
_SKIPPED_DIRECTORIES = frozenset({"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"})
_PACKAGED_SUFFIXES = frozenset({".py", ".json"})


@dataclass(frozen=True)
class CodeArchive:
    """A built zip: where it is and the base64 SHA-256 Lambda compares to decide whether the code changed."""

    path: Path
    sha256: str


def build_code_archive(source_root: Path, packages: Sequence[str], destination: Path) -> CodeArchive:
    """Zip the given top-level packages of `source_root` with fixed times and modes, in sorted order."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    # Written aside, then renamed: a reader (another program run, a reload) never sees half an archive.
    partial = destination.with_name(f"{destination.name}.{os.getpid()}.partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as archive:
        for path in sorted(_files(source_root, packages)):
            entry = zipfile.ZipInfo(path.relative_to(source_root).as_posix(), date_time=_FIXED_TIME)
            entry.create_system = 3  # Unix, whatever machine builds it (zipfile says 0 on Windows)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_STORED
            archive.writestr(entry, path.read_bytes())
    digest = hashlib.sha256(partial.read_bytes()).digest()
    os.replace(partial, destination)
    return CodeArchive(destination, base64.b64encode(digest).decode())


def _files(source_root: Path, packages: Sequence[str]) -> Iterator[Path]:
    for package in packages:
        for path in (source_root / package).rglob("*"):
            inside = path.relative_to(source_root).parts
            if path.is_file() and path.suffix in _PACKAGED_SUFFIXES and _SKIPPED_DIRECTORIES.isdisjoint(inside):
                yield path
