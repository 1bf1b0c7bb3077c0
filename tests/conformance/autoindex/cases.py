"""The directory tree and configurations the mod_autoindex goldens were taken with.

``record.py`` runs real Apache 2.4.71 (TZ=UTC) on each case and stores every
response in ``autoindex_golden.json``; ``test_autoindex.py`` builds the same tree
and compares this server's listings with those bytes.  Each case gets a fresh Apache,
because Apache cuts long AddDescription texts in place, so a child's earlier listings
change its later ones.
"""
from __future__ import annotations

import os
from pathlib import Path

MTIME = 1700000000           # 2023-11-14 22:13:20 UTC
DIR_MTIME = 1690000000       # 2023-07-22 04:26:40 UTC

FILES = {                    # name -> (size, mtime)
    "a.txt": (3, MTIME), "Upper.TXT": (972, MTIME), "ver-1.10.txt": (973, MTIME),
    "ver-1.9.txt": (10240, MTIME), "x.gz": (2_500_000, MTIME), "amp&<b>.txt": (5, MTIME),
    "sp ace;x:y.c": (9 * 1024 * 1024, MTIME),
    "a_really_long_file_name_that_goes_beyond_width.txt": (1, MTIME),
    ".hidden": (0, MTIME), "foo~": (0, MTIME), "sub/inner.txt": (1, MTIME),
    "noext": (100, MTIME), "image.png": (2048, MTIME), "caf\xe9.txt": (7, MTIME),
}
HTML = "<html><head><title>The\nB page</title></head></html>" + " " * 1400


def make_tree(root: Path) -> Path:
    """The listed directory: files of chosen sizes and times, two sub-directories."""
    (root / "sub" / "deeper").mkdir(parents=True, exist_ok=True)
    (root / "Zdir").mkdir(exist_ok=True)
    for name, (size, mtime) in FILES.items():
        path = os.path.join(bytes(root), name.encode("latin-1"))    # one byte a char
        with open(path, "wb") as f:
            if size:
                f.seek(size - 1)
                f.write(b"x")
        os.utime(path, (mtime, mtime))
    for link, target in (("link.txt", "a.txt"), ("broken", "nowhere")):
        if not os.path.lexists(root / link):
            os.symlink(target, root / link)
    (root / "b.html").write_text(HTML)
    os.utime(root / "b.html", (MTIME + 3600, MTIME + 3600))
    for d in ("sub/deeper", "sub", "Zdir", "."):
        os.utime(root / d, (DIR_MTIME, DIR_MTIME))
    return root


GLOBAL = r'''
AddIconByEncoding (CMP,/icons/compressed.gif) x-compress x-gzip x-bzip2
AddIconByType (TXT,/icons/text.gif) text/*
AddIconByType (IMG,/icons/image2.gif) image/*
AddIcon /icons/compressed.gif .Z .z .tgz .gz .zip
AddIcon /icons/layout.gif .html .shtml .htm .pdf
AddIcon /icons/c.gif .c
AddIcon /icons/back.gif ..
AddIcon /icons/folder.gif ^^DIRECTORY^^
AddIcon /icons/blank.gif ^^BLANKICON^^
AddAlt "Alt <TXT>" *.TXT
AddDescription "GZIP compressed" .gz
AddDescription "A &amp; long description, which goes on <b>and on</b> and on" a.txt
AddDescription "Sub dir" sub
AddDescription "Ver" ver-1.*
IndexIgnore .??* *~ *# RCS CVS *,v *,t
AddEncoding x-gzip .gz
TypesConfig {types}
DocumentRoot {root}
<Directory {root}>
Options Indexes
Require all granted
</Directory>
'''

# case -> the lines of its <Location /case>
CASES = {
    "plain": "",
    "fancy": "IndexOptions FancyIndexing",
    "table": "IndexOptions FancyIndexing HTMLTable",
    "tableonly": "IndexOptions HTMLTable",
    "debian": "IndexOptions FancyIndexing VersionSort HTMLTable NameWidth=* "
              "DescriptionWidth=* Charset=UTF-8",
    "xhtml": "IndexOptions FancyIndexing XHTML",
    "xhtmltable": "IndexOptions FancyIndexing HTMLTable XHTML",
    "suppress": "IndexOptions FancyIndexing SuppressLastModified SuppressSize "
                "SuppressDescription SuppressIcon SuppressRules",
    "suppresst": "IndexOptions FancyIndexing HTMLTable SuppressLastModified SuppressSize "
                 "SuppressDescription SuppressIcon SuppressRules",
    "suppress2": "IndexOptions FancyIndexing SuppressSize SuppressIcon",
    "nosort": "IndexOptions FancyIndexing SuppressColumnSorting IconsAreLinks",
    "nosortt": "IndexOptions FancyIndexing HTMLTable SuppressColumnSorting IconsAreLinks "
               "IconWidth IconHeight",
    "icondims": "IndexOptions FancyIndexing IconWidth=16 IconHeight=18",
    "widths": "IndexOptions FancyIndexing NameWidth=10 DescriptionWidth=15",
    "widthsstar": "IndexOptions FancyIndexing NameWidth=* DescriptionWidth=*",
    "widthst": "IndexOptions FancyIndexing HTMLTable NameWidth=10 DescriptionWidth=15",
    "widthstd": "IndexOptions FancyIndexing HTMLTable DescriptionWidth=*",
    "folders": "IndexOptions FancyIndexing FoldersFirst IgnoreCase",
    "order": "IndexOptions FancyIndexing\nIndexOrderDefault Descending Size",
    "orderdate": "IndexOptions FancyIndexing\nIndexOrderDefault Ascending Date",
    "orderdesc": "IndexOptions FancyIndexing VersionSort\nIndexOrderDefault Descending "
                 "Description",
    "ignoreclient": "IndexOptions FancyIndexing IgnoreClient",
    "style": "IndexOptions FancyIndexing HTMLTable AddAltClass\nIndexStyleSheet /s.css\n"
             "IndexHeadInsert \"<meta name=x>\"",
    "style2": "IndexOptions FancyIndexing HTMLTable\nIndexStyleSheet \"/s&.css\"",
    "stylexhtml": "IndexOptions FancyIndexing XHTML\nIndexStyleSheet /s.css",
    "charset": "IndexOptions Charset=UTF-8 Type=text/plain",
    "charset0": "IndexOptions Charset=",
    "olddate": "IndexOptions FancyIndexing UseOldDateFormat",
    "olddatet": "IndexOptions FancyIndexing HTMLTable UseOldDateFormat",
    "scan": "IndexOptions FancyIndexing ScanHTMLTitles",
    "noopt": "IndexOptions None",
    "sig": "ServerSignature On\nIndexOptions FancyIndexing",
    "sigmail": "ServerSignature EMail",
    "ignore": "IndexOptions FancyIndexing\nIndexIgnore *.txt Zdir",
    "ignorereset": "IndexOptions FancyIndexing\nIndexIgnoreReset On\nIndexIgnore *.c",
    "defaulticon": "IndexOptions FancyIndexing\nDefaultIcon /icons/unknown.gif",
    "incr": "IndexOptions FancyIndexing\nIndexOptions +HTMLTable -FancyIndexing",
    "incr2": "IndexOptions +SuppressSize",
    "header": "HeaderName HEADER.html\nReadmeName README.txt\nIndexOptions FancyIndexing",
    "headerplain": "HeaderName README.txt\nReadmeName HEADER.html",
    "headersuppress": "HeaderName HEADER.html\nReadmeName FOOT.html\n"
                      "IndexOptions SuppressHTMLPreamble",
    "headermissing": "HeaderName NOPE.html\nReadmeName NOPE.txt",
    "track": "IndexOptions TrackModified FancyIndexing",
    "forbidden": "IndexOptions FancyIndexing",
    "showforbidden": "IndexOptions FancyIndexing ShowForbidden",
    "diritems": "IndexOptions FancyIndexing HTMLTable",
}
# lines a case adds at server level (Location-scoped AddIcon and friends never match a
# file, so these go where they take effect); {root} is the listed directory
EXTRA = {
    "forbidden": '<Directory {root}>\n<Files "a.txt">\nRequire all denied\n</Files>\n'
                 '</Directory>',
    "showforbidden": '<Directory {root}>\n<Files "a.txt">\nRequire all denied\n</Files>\n'
                     '</Directory>',
    "diritems": 'AddIcon /icons/sub.gif sub\nAddAlt "SUB" sub\nAddIcon (ZD,/icons/z.gif) Zdir\n'
                'AddDescription "Deep one" sub/deeper\nAddDescription "Under root" '
                '{root}/ver*\nDefaultIcon /icons/unknown.gif\nIndexIgnoreReset On\n'
                'AddDescription "dot" .hidden',
}
# cases whose entries depend on access checks, which only the request layer's
# subrequests run
NEEDS_SUBREQUESTS = ("forbidden", "showforbidden")
# cases listed with every query string; the others only without one
QUERY_CASES = ("plain", "fancy", "table", "debian", "nosort", "ignoreclient", "folders")
QUERIES = ["C=M;O=D", "C=S;O=A", "C=D;O=D", "C=N;O=D", "F=0", "F=1", "F=2", "V=1",
           "P=*.txt", "P=a*;C=M", "C=X", "O=D&C=S", "P=%2F", "F=2;V=0;P=b*", "P=", "C=D&O=A"]
# the header and readme files of the header* cases live in their own directory
HEADER_FILES = {
    "HEADER.html": "<p>The <b>header</b></p>\n",
    "README.txt": "Read <me> & weep\n",
    "FOOT.html": "<p>foot</p></body></html>\n",
}


def header_dir(root: Path) -> Path:
    d = root / "hdr"
    d.mkdir(exist_ok=True)
    for name, text in HEADER_FILES.items():
        (d / name).write_text(text)
        os.utime(d / name, (MTIME, MTIME))
    os.utime(d, (DIR_MTIME, DIR_MTIME))
    return d


def uris(case: str) -> list[str]:
    """The URIs fetched for a case."""
    base = f"/{case}/"
    if case.startswith("header"):
        return [base]
    out = [base, base + "sub/"]
    if case in QUERY_CASES:
        out += [f"{base}?{q}" for q in QUERIES]
    return out


def config(case: str, root: Path, types: str) -> str:
    """GLOBAL for ``root`` plus the case's Alias and <Location>."""
    target = root / "hdr" if case.startswith("header") else root
    extra = EXTRA.get(case, "").replace("{root}", str(root))
    return (GLOBAL.replace("{root}", str(root)).replace("{types}", types) + extra + "\n"
            + f"Alias /{case} {target}\n<Location /{case}>\n{CASES[case]}\n</Location>\n")
