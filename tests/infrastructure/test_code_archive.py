import zipfile
import zlib

from components.code_archive import build_code_archive

KNOWN_SHA256 = "z+HS0LGqHeqo3l9X46KNjxjwvbUZ7p2f72AsfLhn1UU="  # of make_tree's packages, stored, on Python 3.11


def make_tree(root):
    (root / "domain").mkdir()
    (root / "domain" / "__init__.py").write_text('"""domain"""\n')
    (root / "domain" / "rules.py").write_text("X = 1\n")
    (root / "domain" / "__pycache__").mkdir()
    (root / "domain" / "__pycache__" / "rules.cpython-311.pyc").write_bytes(b"\x00cache")
    (root / "handlers").mkdir()
    (root / "handlers" / "api.py").write_text("def handler(e, c): ...\n")
    (root / "tests").mkdir()
    (root / "tests" / "test_x.py").write_text("def test(): ...\n")


def test_an_unchanged_tree_gives_the_same_bytes_and_hash(tmp_path):
    make_tree(tmp_path)
    first = build_code_archive(tmp_path, ["domain", "handlers"], tmp_path / "out" / "a.zip")
    (tmp_path / "domain" / "rules.py").touch()  # a newer mtime must not matter
    second = build_code_archive(tmp_path, ["domain", "handlers"], tmp_path / "out" / "b.zip")
    assert first.sha256 == second.sha256
    assert first.path.read_bytes() == second.path.read_bytes()


def test_a_changed_file_changes_the_hash(tmp_path):
    make_tree(tmp_path)
    before = build_code_archive(tmp_path, ["domain", "handlers"], tmp_path / "a.zip")
    (tmp_path / "domain" / "rules.py").write_text("X = 2\n")
    after = build_code_archive(tmp_path, ["domain", "handlers"], tmp_path / "b.zip")
    assert before.sha256 != after.sha256


def test_only_the_named_packages_source_is_packaged(tmp_path):
    make_tree(tmp_path)
    archive = build_code_archive(tmp_path, ["domain", "handlers"], tmp_path / "a.zip")
    with zipfile.ZipFile(archive.path) as packaged:
        assert packaged.namelist() == ["domain/__init__.py", "domain/rules.py", "handlers/api.py"]


def test_the_bytes_do_not_depend_on_the_local_zlib(tmp_path, monkeypatch):
    make_tree(tmp_path)
    reference = build_code_archive(tmp_path, ["domain", "handlers"], tmp_path / "a.zip")

    def another_zlib(*args, **kwargs):
        raise AssertionError("the archive must not be compressed with this machine's zlib")

    monkeypatch.setattr(zlib, "compressobj", another_zlib)
    rebuilt = build_code_archive(tmp_path, ["domain", "handlers"], tmp_path / "b.zip")
    assert rebuilt.path.read_bytes() == reference.path.read_bytes()
    with zipfile.ZipFile(rebuilt.path) as packaged:
        assert {entry.compress_type for entry in packaged.infolist()} == {zipfile.ZIP_STORED}
        assert {entry.create_system for entry in packaged.infolist()} == {3}


def test_the_same_tree_gives_the_same_hash_on_every_machine(tmp_path):
    """A known digest: any change to how the archive is written shows here before it shows as a code update."""
    make_tree(tmp_path)
    archive = build_code_archive(tmp_path, ["domain", "handlers"], tmp_path / "a.zip")
    assert archive.sha256 == KNOWN_SHA256
