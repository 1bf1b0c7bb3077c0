""".htaccess files on the directory walk (httpd/request/directory_walk.py,
httpd/config/htaccess.py): override classes, errors, merge order, the stat-keyed cache.
The same cases against real Apache are tests/e2e/test_htaccess.py."""
from __future__ import annotations

import os

from httpd.http.request import generation

BASE = """DocumentRoot $ROOT/htdocs
<Directory />
AllowOverride None
Require all granted
</Directory>
<Directory $ROOT/htdocs/fi>
AllowOverride FileInfo
</Directory>
<Directory $ROOT/htdocs/all>
AllowOverride All
</Directory>
<Directory $ROOT/htdocs/nf>
AllowOverride FileInfo Nonfatal=Unknown
</Directory>
<Directory $ROOT/htdocs/nf2>
AllowOverride Nonfatal=Override
</Directory>
<Directory $ROOT/htdocs/list>
AllowOverride None
AllowOverrideList ForceType
</Directory>
"""
FILES = {
    "htdocs/none/a.txt": "a", "htdocs/none/.htaccess": "ForceType text/x-none\n",
    "htdocs/fi/a.txt": "a", "htdocs/fi/.htaccess": "ForceType text/x-fi\n",
    "htdocs/fi/opt/a.txt": "a", "htdocs/fi/opt/.htaccess": "Options -Indexes\n",
    "htdocs/all/a.txt": "a", "htdocs/all/.htaccess": "ForceType text/x-one\n",
    "htdocs/all/two/a.txt": "a", "htdocs/all/two/.htaccess": "ForceType text/x-two\n",
    "htdocs/all/two/three/a.txt": "a", "htdocs/all/two/three/b.txt": "b",
    "htdocs/all/two/three/.htaccess": "<Files b.txt>\nForceType text/x-files\n</Files>\n",
    "htdocs/all/bad/a.txt": "a", "htdocs/all/bad/.htaccess": "# ok\nNoSuchThing on\n",
    "htdocs/nf/a.txt": "a", "htdocs/nf/.htaccess": "NoSuchThing on\nForceType text/x-nf\n",
    "htdocs/nf2/a.txt": "a", "htdocs/nf2/.htaccess": "ForceType text/x-nf\n",
    "htdocs/list/a.txt": "a", "htdocs/list/.htaccess": "ForceType text/x-list\n",
    "htdocs/list/deny/a.txt": "a", "htdocs/list/deny/.htaccess": "DirectoryIndex x\n",
}


def errors(s) -> str:
    return (s.root / "error.log").read_text()


def test_none_reads_nothing(server):
    s = server(BASE, FILES)
    r = s.get("/none/a.txt")
    assert r.status == 200 and r.content_type != "text/x-none"


def test_allowed_class_applies(server):
    s = server(BASE, FILES)
    assert s.get("/fi/a.txt").content_type == "text/x-fi"


def test_refused_class_is_500_with_apache_line(server):
    s = server(BASE, FILES)
    r = s.get("/fi/opt/a.txt")
    assert r.status == 500
    assert "[core:alert]" in errors(s)
    assert f"{s.root}/htdocs/fi/opt/.htaccess: Options not allowed here" in errors(s)


def test_unknown_directive(server):
    s = server(BASE, FILES)
    assert s.get("/all/bad/a.txt").status == 500
    assert (f"{s.root}/htdocs/all/bad/.htaccess: Invalid command 'NoSuchThing', perhaps "
            "misspelled or defined by a module not included in the server configuration"
            in errors(s))


def test_nested_levels_and_files_after(server):
    s = server(BASE, FILES)
    assert s.get("/all/a.txt").content_type == "text/x-one"
    assert s.get("/all/two/a.txt").content_type == "text/x-two"
    assert s.get("/all/two/three/a.txt").content_type == "text/x-two"
    assert s.get("/all/two/three/b.txt").content_type == "text/x-files"


def test_nonfatal(server):
    s = server(BASE, FILES)
    r = s.get("/nf/a.txt")
    assert r.status == 200 and r.content_type == "text/x-nf"
    r = s.get("/nf2/a.txt")
    assert r.status == 200 and r.content_type != "text/x-nf"


def test_override_list(server):
    s = server(BASE, FILES)
    assert s.get("/list/a.txt").content_type == "text/x-list"
    assert s.get("/list/deny/a.txt").status == 500
    assert "DirectoryIndex not allowed here" in errors(s)


def test_unchanged_file_is_not_parsed_again(server):
    s = server(BASE, FILES)
    cache = generation(s.process).walker.htaccess
    s.get("/all/two/three/a.txt")
    parsed = cache.parses
    assert parsed == 3
    for _ in range(5):
        assert s.get("/all/two/three/a.txt").content_type == "text/x-two"
    assert cache.parses == parsed
    # a change (size, mtime) is seen on the next request
    p = s.root / "htdocs/all/two/.htaccess"
    p.write_text("ForceType text/x-changed\n")
    st = p.stat()
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert s.get("/all/two/three/a.txt").content_type == "text/x-changed"
    assert cache.parses == parsed + 1
    # removed: gone from the merge
    p.unlink()
    assert s.get("/all/two/a.txt").content_type == "text/x-one"


def test_cache_is_bounded(server):
    s = server(BASE, FILES)
    cache = generation(s.process).walker.htaccess
    cache.max_entries = 2
    for path in ("/all/a.txt", "/all/two/a.txt", "/all/two/three/a.txt", "/fi/a.txt"):
        s.get(path)
    assert len(cache.entries) <= 2


def test_no_allowoverride_anywhere_still_reads(server):
    """Apache 2.4.71 (probed): with no AllowOverride in the config the unset mask is not
    zero, so .htaccess files are read and any directive in them is refused."""
    s = server("DocumentRoot $ROOT/htdocs\n<Directory />\nRequire all granted\n"
               "</Directory>\n", FILES)
    assert s.get("/none/a.txt").status == 500
    assert "/htdocs/none/.htaccess: ForceType not allowed here" in errors(s)
