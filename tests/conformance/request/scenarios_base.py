"""What every request scenario shares: the tree, the MIME types, the root rules."""
from __future__ import annotations

MIME_TYPES = ("text/html html htm\ntext/plain txt\nimage/png png\nimage/gif gif\n"
              "application/x-gzip gz\napplication/x-tar tar\ntext/css css\n")

BASE_FILES = {
    "htdocs/index.html": "<p>index</p>\n",
    "htdocs/a.txt": "a\n",
    "htdocs/page.html": "<p>page</p>\n",
    "htdocs/sub/index.html": "sub\n",
    "htdocs/sub/file.txt": "file\n",
    "htdocs/noidx/x.txt": "x\n",
    "htdocs/dir with space/f.txt": "f\n",
    "htdocs/err/404.html": "custom 404\n",
    "other/x.txt": "other x\n",
    "other/sub/y.txt": "other y\n",
    "outside/secret.txt": "secret\n",
}

ROOT_RULES = """DocumentRoot $ROOT/htdocs
<Directory />
    Options FollowSymLinks
    AllowOverride None
    Require all denied
</Directory>
<Directory $ROOT/htdocs>
    Require all granted
</Directory>
"""
