"""Where the variants come from: a type map's records (read_type_map) or, for
MultiViews, the files ``name.*`` of the directory, each looked up as a subrequest
(read_types_multi)."""
from __future__ import annotations

import os
import stat as _stat

from httpd.http.request import log_rerror
from httpd.module.hooks import DECLINED, OK
from httpd.request.subrequest import sub_req_lookup_dirent
from httpd.util.tokens import get_token
from httpd.util.fspath import fs_path, listdir
from .config import SPACE, CGI_MAGIC_TYPE, MAP_FILE_MAGIC_TYPE, MAX_STRING_LEN
from .records import (do_languages_line, get_entry, Negotiation, set_mime_fields,
                      set_vlist_validator, Variant)


# -- type maps ----------------------------------------------------------------------------------

def _type_map_records(r, data: bytes):
    """The header blocks of a type map, with Apache's continuation lines, comments and
    Body: tags: yields (headers [(lower name, value)], body (offset, length) or None) or
    an error status."""
    text = data.decode("latin-1")
    lines = text.split("\n")
    i, n = 0, len(lines)
    offsets = []
    pos = 0
    for line in lines:
        offsets.append(pos)
        pos += len(line) + 1
    record: list = []
    body = None
    while i < n:
        line = lines[i]
        i += 1
        if line.startswith("#"):
            continue
        if not line.strip(SPACE):
            yield record, body
            record, body = [], None
            continue
        if line[:5].lower() == "body:":
            tag = line[5:].strip(SPACE)
            start = offsets[i] if i < n else len(text)
            # get_body reads MAX_STRING_LEN - 1 bytes and looks for the tag in them
            end = text.find(tag, start, start + MAX_STRING_LEN - 1) if tag else -1
            if end < 0:
                log_rerror(r, "negotiation", "error", f"AH00685: Syntax error in type map, "
                           f"no end tag '{tag}' found in {r.filename} for Body: content.")
                break
            body = (start, end - start)
            after = text.find("\n", end + len(tag))
            nxt = len(text) if after < 0 else after + 1
            while i < n and offsets[i] < nxt:
                i += 1
            record.append(("body:", tag))
            continue
        full = line
        while i < n:
            nxt = lines[i]
            if nxt.startswith("#"):
                i += 1
                continue
            if nxt[:1] and nxt[0] in " \t" and nxt.strip(SPACE):
                full += " " + nxt.strip(SPACE)
                i += 1
                continue
            break
        colon = full.find(":")
        if colon < 0:
            log_rerror(r, "negotiation", "error", f"AH00681: Syntax error in type map, no "
                       f"':' in {r.filename} for header {full}")
            yield 500, None
            return
        value = full[colon + 1:].lstrip(SPACE)
        if not value:
            log_rerror(r, "negotiation", "error", f"AH00682: Syntax error in type map --- "
                       f"no header body: {r.filename} for {full}")
            yield 500, None
            return
        record.append((full[:colon + 1].lower(), _strip_paren_comments(value)))
    yield record, body


def _strip_paren_comments(hdr: str) -> str:
    """strip_paren_comments: (comments) become spaces.  Apache's strchr from the
    quote itself finds that quote, so a quoted string protects nothing."""
    out, i, n = list(hdr), 0, len(hdr)
    while i < n:
        if out[i] == '"':
            i += 1
        elif out[i] == "(":
            while i < n and out[i] != ")":
                out[i] = " "
                i += 1
            if i < n:
                out[i] = " "
                i += 1
        else:
            i += 1
    return "".join(out)


def read_type_map(neg: Negotiation, rr) -> int:
    r = neg.r
    neg.count_multiviews_variants = 0
    path = rr.filename
    try:
        with open(fs_path(path), "rb") as f:
            data = f.read()
    except OSError as e:
        log_rerror(r, "negotiation", "error", f"({e.errno}){os.strerror(e.errno)}: AH00683: "
                   f"cannot access type map file: {path}")
        return 404 if isinstance(e, (FileNotFoundError, NotADirectoryError)) else 403
    neg.map_path = path
    for record, body in _type_map_records(r, data):
        if record == 500:
            return 500
        var = Variant()
        has_content = False
        for name, value in record:
            if name == "uri:":
                var.file_name = get_token(value, 0, False)[0]
            elif name == "content-type:":
                info, _ = get_entry(value)
                set_mime_fields(var, info)
                has_content = True
            elif name == "content-length:":
                tok = get_token(value, 0, False)[0]
                if not tok.isdigit():
                    log_rerror(r, "negotiation", "error", f"AH00684: Parse error in type "
                               f"map, Content-Length: '{tok}' in {r.filename} is invalid.")
                    break
                var.bytes = int(tok)
                has_content = True
            elif name == "content-language:":
                var.content_languages = do_languages_line(value)
                has_content = True
            elif name == "content-encoding:":
                var.content_encoding = get_token(value, 0, False)[0]
                has_content = True
            elif name == "description:":
                var.description = value.rstrip("\n")
            elif name == "body:" and body is not None:
                var.body, var.bytes = body
                var.file_name = os.path.basename(path)
        if var.file_name and has_content:
            neg.avail_vars.append(var)
    set_vlist_validator(r, rr)
    return OK


# -- MultiViews ----------------------------------------------------------------------------

def read_types_multi(neg: Negotiation) -> int:
    r = neg.r
    if not r.filename or not r.filename.startswith("/"):
        return DECLINED
    filp = r.filename.rpartition("/")[2]
    prefix_len = len(filp)
    try:
        names = listdir(neg.dir_name)
    except OSError as e:
        log_rerror(r, "negotiation", "error", f"({e.errno}){os.strerror(e.errno)}: AH00686: "
                   f"cannot read directory for multi: {neg.dir_name}")
        return 403
    anymatch = False
    for name in names:
        if not name.startswith(filp) or name[prefix_len:prefix_len + 1] != ".":
            continue
        try:
            if _stat.S_ISDIR(os.lstat(fs_path(neg.dir_name + name)).st_mode):
                continue
        except OSError:
            continue
        anymatch = True
        sub = sub_req_lookup_dirent(name, r, True)
        if sub.finfo is None or not _stat.S_ISREG(sub.finfo.st_mode):
            continue
        if sub.handler and not sub.content_type:
            sub.content_type = CGI_MAGIC_TYPE
        exceptions = sub.notes.get("ap-mime-exceptions-list")
        if exceptions is None:
            continue
        nexcept = len(exceptions)
        k = 0
        for seg in filp.split("."):
            if not nexcept:
                break
            if seg == exceptions[k]:
                nexcept -= 1
                k += 1
        if nexcept:
            continue
        if sub.status != 200 or not sub.content_type:
            continue
        if sub.content_type == MAP_FILE_MAGIC_TYPE or sub.handler == "type-map":
            neg.avail_vars = []
            return read_type_map(neg, sub)
        var = Variant(sub_req=sub, file_name=name)
        if sub.content_encoding:
            var.content_encoding = sub.content_encoding
        if sub.content_languages:
            var.content_languages = list(sub.content_languages)
        info, _ = get_entry(sub.content_type)
        set_mime_fields(var, info)
        neg.avail_vars.append(var)
        neg.count_multiviews_variants += 1
    if anymatch and not neg.avail_vars:
        log_rerror(r, "negotiation", "error", f"AH00687: Negotiation: discovered file(s) "
                   f"matching request: {r.filename} (None could be negotiated).")
        return 404
    set_vlist_validator(r, r, neg.dir_name)
    neg.avail_vars.sort(key=lambda v: (-v.source_quality, v.file_name.encode("latin-1",
                                                                             "replace")))
    return OK
