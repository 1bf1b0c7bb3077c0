"""Request scenarios, continued: virtual hosts, symlinks, encoded slashes, locations,
slash merging and ServerPath (see scenarios.py for the format)."""
from tests.conformance.request.scenarios_base import ROOT_RULES  # noqa: F401

MORE_SCENARIOS = {
    "vhosts": {
        "files": {"v1/who.txt": "v1", "v2/who.txt": "v2", "v3/who.txt": "v3",
                  "v4/who.txt": "v4", "v5/who.txt": "v5"},
        "config": ROOT_RULES + """<Directory $ROOT>
    Require all granted
</Directory>
<VirtualHost *:$PORT>
    ServerName one.example
    DocumentRoot $ROOT/v1
</VirtualHost>
<VirtualHost *:$PORT>
    ServerName two.example
    ServerAlias alias.two.example *.wild.example
    DocumentRoot $ROOT/v2
</VirtualHost>
<VirtualHost 127.0.0.2:$PORT>
    ServerName ip.example
    DocumentRoot $ROOT/v3
</VirtualHost>
<VirtualHost 127.0.0.2:$PORT>
    ServerName ip2.example
    DocumentRoot $ROOT/v4
</VirtualHost>
<VirtualHost *:$PORT>
    ServerName port.example:8080
    DocumentRoot $ROOT/v5
</VirtualHost>
""",
        "listen": ["127.0.0.1", "127.0.0.2"],
        "requests": [
            ("GET", "/who.txt", {"Host": "one.example"}),
            ("GET", "/who.txt", {"Host": "TWO.example."}),
            ("GET", "/who.txt", {"Host": "alias.two.example:123"}),
            ("GET", "/who.txt", {"Host": "x.wild.example"}),
            ("GET", "/who.txt", {"Host": "unknown.example"}),
            ("GET", "/who.txt", {"Host": "port.example"}),
            ("GET", "http://two.example/who.txt", {"Host": "one.example"}),
            ("GET", "/who.txt", {"Host": "ip2.example", "@local": "127.0.0.2"}),
            ("GET", "/who.txt", {"Host": "nobody", "@local": "127.0.0.2"}),
            ("GET", "/who.txt", {"Host": "one.example", "@local": "127.0.0.2"}),
            ("GET", "/who.txt", {"Host": "a..b"}),
            ("GET", "/who.txt", {"Host": "a/b"}),
            ("GET", "/who.txt", {"Host": "my_host"}),
            ("GET", "/who.txt", {"Host": "localhost:abc"}),
            ("GET", "/who.txt", {"Host": "[::1]:18080"}),
        ],
    },
    "symlinks": {
        "files": {"htdocs/in.txt": ("->", "a.txt"), "htdocs/out.txt": ("->", "$ROOT/outside/secret.txt"),
                  "htdocs/outdir": ("->", "$ROOT/outside"),
                  "htdocs/nofollow/in.txt": ("->", "../a.txt"),
                  "htdocs/owner/out.txt": ("->", "$ROOT/outside/secret.txt"),
                  "htdocs/owner/in.txt": ("->", "../a.txt")},
        "config": """DocumentRoot $ROOT/htdocs
<Directory />
    Require all denied
</Directory>
<Directory $ROOT/htdocs>
    Require all granted
</Directory>
<Directory $ROOT/outside>
    Require all granted
</Directory>
<Directory $ROOT/htdocs/nofollow>
    Options None
</Directory>
<Directory $ROOT/htdocs/owner>
    Options SymLinksIfOwnerMatch
</Directory>
""",
        "requests": [("GET", "/in.txt"), ("GET", "/out.txt"), ("GET", "/outdir/secret.txt"),
                     ("GET", "/nofollow/in.txt"), ("GET", "/owner/out.txt"),
                     ("GET", "/owner/in.txt")],
    },
    "symlinks_explicit": {
        "files": {"htdocs/out.txt": ("->", "$ROOT/outside/secret.txt")},
        "config": """DocumentRoot $ROOT/htdocs
<Directory />
    Options FollowSymLinks
    Require all denied
</Directory>
<Directory $ROOT/htdocs>
    Require all granted
</Directory>
<Directory $ROOT/outside>
    Require all granted
</Directory>
""",
        "requests": [("GET", "/out.txt")],
    },
}
