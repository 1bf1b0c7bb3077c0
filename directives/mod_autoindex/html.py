"""The HTML of a listing, byte for byte as mod_autoindex 2.4.71 writes it: the preamble,
HeaderName and ReadmeName, the three layouts (a list, a <pre> block with FancyIndexing,
a table with HTMLTable) and the tail with the server signature.

Everything is appended to a list of latin-1 strings (``out``) that the listing joins.
"""
from __future__ import annotations

import stat as stat_mod
import time
from typing import Optional

from directives.mod_autoindex import (
    ADDALTCLASS, D_ASCENDING, D_DESCENDING, EMIT_XHTML, FANCY_INDEXING, ICONS_ARE_LINKS,
    K_ADJUST, K_DESC, K_LAST_MOD, K_NAME, K_SIZE, K_UNSET, SUPPRESS_COLSORT, SUPPRESS_DESC,
    SUPPRESS_ICON, SUPPRESS_LAST_MOD, SUPPRESS_PREAMBLE, SUPPRESS_RULES, SUPPRESS_SIZE,
    TABLE_INDEXING)
from directives.mod_autoindex.text import strfsize, terminate_description
from directives.mod_autoindex.lookup import find_default_item, fs_name, lookup_named
from httpd.util.escape import escape_html
from httpd.util.uri import os_escape_path

DOCTYPE_HTML_4_01 = ('<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN" '
                     '"http://www.w3.org/TR/html4/strict.dtd">\n')
DOCTYPE_XHTML_1_0T = ('<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"\n'
                      '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n')
DEFAULT_DATETIME_FORMAT = "%Y-%m-%d %H:%M"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# -- the head -------------------------------------------------------------------------------

def emit_preamble(out: list, d, xhtml: bool, title: str) -> None:
    if xhtml:
        out.append(f'{DOCTYPE_XHTML_1_0T}<html xmlns="http://www.w3.org/1999/xhtml">\n'
                   f" <head>\n  <title>Index of {title}</title>\n")
    else:
        out.append(f"{DOCTYPE_HTML_4_01}<html>\n <head>\n  <title>Index of {title}</title>\n")
    if d.style_sheet is not None:
        out.append(f'  <link rel="stylesheet" href="{d.style_sheet}" type="text/css"'
                   + (" />\n" if xhtml else ">\n"))
    if d.head_insert is not None:
        out.append(d.head_insert)
    out.append(" </head>\n <body>\n")


def emit_plain(out: list, data: str) -> None:
    """do_emit_plain: a text file inside <pre>, with <, > and & escaped."""
    out.append("<pre>\n")
    out.append(data.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
    out.append("</pre>\n")


def _is_html(rr) -> bool:
    ctype = (rr.content_type or "").split(";", 1)[0].strip().lower()
    return ctype in ("text/html", "application/xhtml+xml")


def _read(rr) -> Optional[str]:
    try:
        with open(fs_name(rr.filename), "rb") as f:
            return f.read().decode("latin-1")
    except OSError:
        return None


def _usable(rr) -> bool:
    return (rr is not None and rr.status == 200 and rr.filename is not None
            and rr.finfo is not None and stat_mod.S_ISREG(rr.finfo.st_mode))


def emit_head(out: list, r, d, header_fname: Optional[str], opts: int, title: str) -> None:
    """The preamble through the H1 line: a text/html HeaderName file replaces the H1
    line (and the preamble under SuppressHTMLPreamble); other text comes in <pre>."""
    suppress_amble = bool(opts & SUPPRESS_PREAMBLE)
    xhtml = bool(opts & EMIT_XHTML)
    emit_amble = emit_h1 = True
    if header_fname is not None:
        rr = lookup_named(r, header_fname)
        if _usable(rr) and rr.content_type is not None:
            if _is_html(rr):
                emit_amble = emit_h1 = False
                if not suppress_amble:
                    emit_preamble(out, d, xhtml, title)
                data = _read(rr)
                if data is None:
                    emit_amble, emit_h1 = suppress_amble, True
                else:
                    out.append(data)
            elif rr.content_type[:5].lower() == "text/":
                data = _read(rr)
                if data is not None:
                    emit_preamble(out, d, xhtml, title)
                    emit_amble = False
                    emit_plain(out, data)
                    emit_h1 = False
    if emit_amble:
        emit_preamble(out, d, xhtml, title)
    if emit_h1:
        if d.style_sheet is not None:
            out.append(f'  <h1 id="indextitle">Index of {title}</h1>\n')
        else:
            out.append(f"<h1>Index of {title}</h1>\n")


def signature(r) -> str:
    """ap_psignature from the response layer (it names this server)."""
    try:
        from httpd.http.header_filter import signature as psignature
    except Exception:  # the response layer is optional here
        return ""
    return psignature(r, "")


def emit_tail(out: list, r, d, readme_fname: Optional[str], opts: int) -> None:
    """ReadmeName (which replaces the signature) and the closing tags."""
    suppress_post = suppress_sig = False
    if readme_fname is not None:
        rr = lookup_named(r, readme_fname)
        if _usable(rr) and rr.content_type is not None:
            if _is_html(rr):
                data = _read(rr)
                if data is not None:
                    out.append(data)
                    suppress_sig = True
                    suppress_post = bool(opts & SUPPRESS_PREAMBLE)
            elif rr.content_type[:5].lower() == "text/":
                data = _read(rr)
                if data is not None:
                    emit_plain(out, data)
                    suppress_sig = True
    if not suppress_sig:
        out.append(signature(r))
    if not suppress_post:
        out.append("</body></html>\n")


def track_modified(r) -> None:
    """IndexOptions TrackModified: Last-Modified and ETag of the directory itself."""
    from httpd.http.conditional import set_etag
    from httpd.http.header_filter import set_last_modified, update_mtime
    update_mtime(r, r.finfo.st_mtime)
    set_last_modified(r)
    set_etag(r)


# -- the body ---------------------------------------------------------------------------------

def emit_link(out: list, anchor: str, column: str, curkey: str, curdirection: str,
              colargs: str, nosort: bool) -> None:
    """A column heading; the current sort column links to the reverse order."""
    if nosort:
        out.append(anchor)
        return
    order = D_DESCENDING if curkey == column and curdirection == D_ASCENDING \
        else D_ASCENDING
    out.append(f'<a href="?C={column};O={order}{colargs}">{anchor}</a>')


def _img(d, src: str, alt: str, xhtml: bool) -> str:
    s = f'<img src="{escape_html(src)}" alt="{alt}"'
    if d.icon_width:
        s += f' width="{d.icon_width}"'
    if d.icon_height:
        s += f' height="{d.icon_height}"'
    return s + (" />" if xhtml else ">")


def _datetime(lm: float, fmt: Optional[str]) -> str:
    t = time.localtime(lm)
    if fmt is None:
        return "%04d-%02d-%02d %02d:%02d" % (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min)
    return "%02d-%s-%04d %02d:%02d" % (t.tm_mday, _MONTHS[t.tm_mon - 1], t.tm_year, t.tm_hour,
                                       t.tm_min)


def _desc_maxsize(d, opts: int, width: int) -> int:
    """terminate_description's width: without a DescriptionWidth, the room of the
    suppressed columns is given to the description."""
    if d.desc_adjust == K_UNSET:
        if opts & SUPPRESS_ICON:
            width += 6
        if opts & SUPPRESS_LAST_MOD:
            width += 19
        if opts & SUPPRESS_SIZE:
            width += 7
    return width


def _cut_name(t2: str, name_width: int) -> str:
    """A name longer than the column keeps width - 3 characters and ends in "..>"."""
    if len(t2) > name_width:
        return t2[:max(name_width - 3, 0)] + "..>"
    return t2


def output_directories(out: list, ar: list, d, r, opts: int, keyid: str, direction: str,
                       colargs: str) -> None:
    static_columns = bool(opts & SUPPRESS_COLSORT)
    xhtml = bool(opts & EMIT_XHTML)
    styled = d.style_sheet is not None
    name_width, desc_width = d.name_width, d.desc_width
    fmt = d.datetime_format
    if opts & (FANCY_INDEXING | TABLE_INDEXING) == FANCY_INDEXING:
        if d.name_adjust == K_ADJUST:
            name_width = max([name_width] + [len(e.name) for e in ar])
        if d.desc_adjust == K_ADJUST:
            desc_width = max([desc_width] + [len(e.desc) for e in ar if e.desc is not None])
    pad = " " * max(name_width, 0)
    breakrow = ""
    blank = None
    if not opts & SUPPRESS_ICON:
        blank = find_default_item("^^BLANKICON^^", d.icon_list)

    if opts & TABLE_INDEXING:
        cols = 1
        out.append('  <table id="indexlist">\n   <tr class="indexhead">' if styled
                   else "  <table>\n   <tr>")
        if not opts & SUPPRESS_ICON:
            out.append('<th class="indexcolicon">' if styled else '<th valign="top">')
            out.append(_img(d, blank, "[ICO]", xhtml) + "</th>" if blank else "&nbsp;</th>")
            cols += 1
        out.append('<th class="indexcolname">' if styled else "<th>")
        emit_link(out, "Name", K_NAME, keyid, direction, colargs, static_columns)
        for flag, cls, label, key in ((SUPPRESS_LAST_MOD, "indexcollastmod", "Last modified",
                                       K_LAST_MOD),
                                      (SUPPRESS_SIZE, "indexcolsize", "Size", K_SIZE),
                                      (SUPPRESS_DESC, "indexcoldesc", "Description", K_DESC)):
            if not opts & flag:
                out.append(f'</th><th class="{cls}">' if styled else "</th><th>")
                emit_link(out, label, key, keyid, direction, colargs, static_columns)
                cols += 1
        if not opts & SUPPRESS_RULES:
            breakrow = ("   <tr%s><th colspan=\"%d\"><hr%s></th></tr>\n"
                        % (' class="indexbreakrow"' if styled else "", cols,
                           " /" if xhtml else ""))
        out.append("</th></tr>\n" + breakrow)
    elif opts & FANCY_INDEXING:
        out.append("<pre>")
        if not opts & SUPPRESS_ICON:
            out.append(_img(d, blank, "Icon ", xhtml) + " " if blank else "      ")
        emit_link(out, "Name", K_NAME, keyid, direction, colargs, static_columns)
        out.append(pad[4:] + " ")
        if not opts & SUPPRESS_LAST_MOD:
            emit_link(out, "Last modified", K_LAST_MOD, keyid, direction, colargs,
                      static_columns)
            out.append("      ")
        if not opts & SUPPRESS_SIZE:
            emit_link(out, "Size", K_SIZE, keyid, direction, colargs, static_columns)
            out.append("  ")
        if not opts & SUPPRESS_DESC:
            emit_link(out, "Description", K_DESC, keyid, direction, colargs, static_columns)
        out.append(("<hr />" if xhtml else "<hr>") if not opts & SUPPRESS_RULES else "\n")
    else:
        out.append("<ul>")

    maxsize = _desc_maxsize(d, opts, desc_width)
    for x, e in enumerate(ar):
        t = e.name
        anchor = escape_html(os_escape_path(t))
        t2 = "Parent Directory" if x == 0 and t.startswith("/") else t
        if opts & TABLE_INDEXING:
            _table_row(out, e, x, d, opts, anchor, t2, name_width, pad, maxsize, fmt, styled,
                       xhtml)
        elif opts & FANCY_INDEXING:
            if not opts & SUPPRESS_ICON:
                if opts & ICONS_ARE_LINKS:
                    out.append(f'<a href="{anchor}">')
                icon = e.icon or d.default_icon
                out.append(_img(d, icon, f"[{e.alt or '   '}]", xhtml) if icon else "     ")
                out.append("</a> " if opts & ICONS_ARE_LINKS else " ")
            t2 = _cut_name(t2, name_width)
            out.append(f'<a href="{anchor}">{escape_html(t2)}</a>{pad[len(t2):]} ')
            if not opts & SUPPRESS_LAST_MOD:
                out.append(_datetime(e.lm, fmt) + "  " if e.lm != -1 else " " * 19)
            if not opts & SUPPRESS_SIZE:
                out.append(strfsize(e.size) + "  ")
            if not opts & SUPPRESS_DESC and e.desc:
                out.append(terminate_description(e.desc, maxsize))
            out.append("\n")
        else:
            out.append(f'<li><a href="{anchor}"> {escape_html(t2)}</a></li>\n')

    if opts & TABLE_INDEXING:
        out.append(breakrow + "</table>\n")
    elif opts & FANCY_INDEXING:
        if not opts & SUPPRESS_RULES:
            out.append("<hr /></pre>\n" if xhtml else "<hr></pre>\n")
        else:
            out.append("</pre>\n")
    else:
        out.append("</ul>\n")


def _table_row(out: list, e, x: int, d, opts: int, anchor: str, t2: str, name_width: int,
               pad: str, maxsize: int, fmt, styled: bool, xhtml: bool) -> None:
    if styled:
        parity = "odd" if x & 1 else "even"
        if e.alt and opts & ADDALTCLASS:
            out.append(f'   <tr class="{parity}-{e.alt.lower()}">')
        else:
            out.append(f'   <tr class="{parity}">')
    else:
        out.append("<tr>")
    if not opts & SUPPRESS_ICON:
        out.append('<td class="indexcolicon">' if styled else '<td valign="top">')
        if opts & ICONS_ARE_LINKS:
            out.append(f'<a href="{anchor}">')
        icon = e.icon or d.default_icon
        out.append(_img(d, icon, f"[{e.alt or '   '}]", xhtml) if icon else "&nbsp;")
        out.append("</a></td>" if opts & ICONS_ARE_LINKS else "</td>")
    td_name = '<td class="indexcolname">' if styled else "<td>"
    if d.name_adjust == K_ADJUST:
        out.append(f'{td_name}<a href="{anchor}">{escape_html(t2)}</a>')
    else:
        t2 = _cut_name(t2, name_width)
        out.append(f'{td_name}<a href="{anchor}">{escape_html(t2)}</a>{pad[len(t2):]}')
    if not opts & SUPPRESS_LAST_MOD:
        if e.lm != -1:
            out.append(('</td><td class="indexcollastmod">' if styled
                        else '</td><td align="right">') + _datetime(e.lm, fmt) + "  ")
        else:
            out.append('</td><td class="indexcollastmod">&nbsp;' if styled
                       else "</td><td>&nbsp;")
    if not opts & SUPPRESS_SIZE:
        out.append(('</td><td class="indexcolsize">' if styled else '</td><td align="right">')
                   + strfsize(e.size))
    if not opts & SUPPRESS_DESC:
        td = '</td><td class="indexcoldesc">' if styled else "</td><td>"
        if e.desc is not None:
            out.append(td + (e.desc if d.desc_adjust == K_ADJUST
                             else terminate_description(e.desc, maxsize)))
        else:
            out.append(td + "&nbsp;")
    out.append("</td></tr>\n")
