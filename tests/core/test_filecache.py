"""The per-process small-file cache: served bytes are always what a fresh read gives."""
from __future__ import annotations

import os

from httpd.core.filecache import MAX_FILE, SmallFileCache


def _put(cache, path):
    st = os.stat(path)
    with open(path, "rb") as f:
        cache.put(str(path), st, f.read())


def test_hit_while_the_file_is_unchanged(tmp_path):
    f = tmp_path / "a.txt"
    f.write_bytes(b"hello")
    cache = SmallFileCache()
    _put(cache, f)
    assert cache.get(str(f), os.stat(f)) == b"hello"


def test_same_size_rewrite_with_the_old_mtime_restored_is_a_miss(tmp_path):
    f = tmp_path / "a.txt"
    f.write_bytes(b"hello")
    st = os.stat(f)
    cache = SmallFileCache()
    _put(cache, f)
    f.write_bytes(b"HELLO")
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))     # ctime still moves
    assert os.stat(f).st_mtime_ns == st.st_mtime_ns
    assert cache.get(str(f), os.stat(f)) is None


def test_chmod_and_rename_over_are_misses(tmp_path):
    f = tmp_path / "a.txt"
    f.write_bytes(b"hello")
    cache = SmallFileCache()
    _put(cache, f)
    os.chmod(f, 0o600)
    assert cache.get(str(f), os.stat(f)) is None
    _put(cache, f)
    g = tmp_path / "b.txt"
    g.write_bytes(b"world")
    os.replace(g, f)
    assert cache.get(str(f), os.stat(f)) is None


def test_short_reads_and_big_files_are_not_kept(tmp_path):
    f = tmp_path / "a.txt"
    f.write_bytes(b"hello")
    cache = SmallFileCache()
    cache.put(str(f), os.stat(f), b"hel")              # the file changed under the read
    assert len(cache) == 0
    big = tmp_path / "big"
    big.write_bytes(b"x" * (MAX_FILE + 1))
    _put(cache, big)
    assert len(cache) == 0


def test_bounded_in_bytes(tmp_path):
    cache = SmallFileCache(max_bytes=10)
    for i in range(5):
        f = tmp_path / f"f{i}"
        f.write_bytes(b"1234")
        _put(cache, f)
        assert cache._bytes <= 10
