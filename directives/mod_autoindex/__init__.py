"""mod_autoindex (mod_autoindex.c): the directives, the config record and its merge.

Icons, alt texts, descriptions and ignore patterns are compiled when the line is read:
Apache's wildcard matches (ap_strcmp_match, apr_fnmatch) become regexes once, so a
listing only runs them.  As in Apache, an item remembers the section it was written in
(``apply_path`` = the section path followed by ``*``) and only applies to files under
it; that is why such lines in a ``<Location>`` never match a file name.  Lists merge
with the inner section's items first.  The listing itself is in
:mod:`.mod_autoindex_listing`.
"""
from __future__ import annotations

import re
from typing import Optional

import attrs

from httpd.util.cparse import atoi
from httpd.config.grammar import getword_conf
from httpd.module.hooks import DECLINED, MIDDLE
from httpd.module import OR_ALL, OR_INDEXES, Args, Module, directive

from directives.mod_autoindex.text import fnmatch_rx, is_matchexp, strcmp_match_rx  # noqa: F401
from httpd.util.fnmatch import fnmatch_test

MODULE_NAME = "autoindex_module"

# IndexOptions bits, Apache's values.
NO_OPTIONS = 1 << 0
ICONS_ARE_LINKS = 1 << 1
SCAN_HTML_TITLES = 1 << 2
SUPPRESS_ICON = 1 << 3
SUPPRESS_LAST_MOD = 1 << 4
SUPPRESS_SIZE = 1 << 5
SUPPRESS_DESC = 1 << 6
SUPPRESS_PREAMBLE = 1 << 7
SUPPRESS_COLSORT = 1 << 8
SUPPRESS_RULES = 1 << 9
FOLDERS_FIRST = 1 << 10
VERSION_SORT = 1 << 11
TRACK_MODIFIED = 1 << 12
FANCY_INDEXING = 1 << 13
TABLE_INDEXING = 1 << 14
IGNORE_CLIENT = 1 << 15
IGNORE_CASE = 1 << 16
EMIT_XHTML = 1 << 17
SHOW_FORBIDDEN = 1 << 18
ADDALTCLASS = 1 << 19
OPTION_UNSET = 1 << 20

OPTION_WORDS = {
    "fancyindexing": FANCY_INDEXING, "foldersfirst": FOLDERS_FIRST,
    "htmltable": TABLE_INDEXING, "iconsarelinks": ICONS_ARE_LINKS,
    "ignorecase": IGNORE_CASE, "ignoreclient": IGNORE_CLIENT,
    "scanhtmltitles": SCAN_HTML_TITLES, "suppresscolumnsorting": SUPPRESS_COLSORT,
    "suppressdescription": SUPPRESS_DESC, "suppresshtmlpreamble": SUPPRESS_PREAMBLE,
    "suppressicon": SUPPRESS_ICON, "suppresslastmodified": SUPPRESS_LAST_MOD,
    "suppresssize": SUPPRESS_SIZE, "suppressrules": SUPPRESS_RULES,
    "trackmodified": TRACK_MODIFIED, "versionsort": VERSION_SORT, "xhtml": EMIT_XHTML,
    "showforbidden": SHOW_FORBIDDEN, "addaltclass": ADDALTCLASS,
}

K_NOADJUST, K_ADJUST, K_UNSET = 0, 1, 2
K_NAME, K_LAST_MOD, K_SIZE, K_DESC = "N", "M", "S", "D"
D_ASCENDING, D_DESCENDING = "A", "D"
DEFAULT_ICON_WIDTH, DEFAULT_ICON_HEIGHT = 20, 22
DEFAULT_NAME_WIDTH = DEFAULT_DESC_WIDTH = 23
OLD_DATE_FORMAT = "%d-%b-%Y %H:%M"

BY_PATH, BY_TYPE, BY_ENCODING = "path", "type", "encoding"


@attrs.frozen(eq=False)
class Item:
    """One AddIcon*/AddAlt*/IndexIgnore entry (struct item), matchers precompiled.

    ``apply_to`` is the file pattern, MIME type or encoding; ``to_rx`` its
    case-sensitive matcher (path patterns) and ``to_rx_i`` the case-blind one (types,
    encodings); ``path_rx`` matches the section the line was written in."""

    type: Optional[str]
    apply_to: str
    apply_path: str
    data: Optional[str]
    to_rx: re.Pattern = attrs.field(init=False)
    to_rx_i: re.Pattern = attrs.field(init=False)
    path_rx: re.Pattern = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "to_rx", strcmp_match_rx(self.apply_to))
        object.__setattr__(self, "to_rx_i", strcmp_match_rx(self.apply_to, icase=True))
        object.__setattr__(self, "path_rx", strcmp_match_rx(self.apply_path))


def make_item(type_: Optional[str], to: Optional[str], path: Optional[str],
              data: Optional[str]) -> Item:
    """push_item: a path pattern without wildcards matches as a suffix."""
    to = to or ""
    if type_ == BY_PATH and not is_matchexp(to):
        to = "*" + to
    return Item(type_, to, (path or "") + "*", data)


@attrs.frozen(eq=False)
class Description:
    """An AddDescription entry (ai_desc_t): a substring, or a wildcard pattern; a
    pattern with a ``/`` is matched against the full path."""

    pattern: str
    description: str
    full_path: bool
    wildcards: bool
    rx: Optional[re.Pattern] = None


@attrs.define
class AutoindexConfig:
    """autoindex_config_rec; None (or OPTION_UNSET / K_UNSET) means "not set here"."""

    default_icon: Optional[str] = None
    style_sheet: Optional[str] = None
    head_insert: Optional[str] = None
    header: Optional[str] = None
    readme: Optional[str] = None
    opts: int = OPTION_UNSET
    incremented_opts: int = 0
    decremented_opts: int = 0
    name_width: int = DEFAULT_NAME_WIDTH
    name_adjust: int = K_UNSET
    desc_width: int = DEFAULT_DESC_WIDTH
    desc_adjust: int = K_UNSET
    icon_width: int = 0
    icon_height: int = 0
    default_keyid: Optional[str] = None
    default_direction: Optional[str] = None
    ctype: Optional[str] = None
    charset: Optional[str] = None
    datetime_format: Optional[str] = None
    icon_list: list = attrs.field(factory=list)
    alt_list: list = attrs.field(factory=list)
    desc_list: list = attrs.field(factory=list)
    ign_list: list = attrs.field(factory=list)
    ign_noinherit: bool = False


def create_dir_config(path: Optional[str]) -> AutoindexConfig:
    return AutoindexConfig()


def merge_dir_config(base: AutoindexConfig, add: AutoindexConfig) -> AutoindexConfig:
    """merge_autoindex_configs."""
    new = AutoindexConfig(
        default_icon=add.default_icon or base.default_icon,
        style_sheet=add.style_sheet or base.style_sheet,
        head_insert=add.head_insert or base.head_insert,
        header=add.header or base.header,
        readme=add.readme or base.readme,
        icon_height=add.icon_height or base.icon_height,
        icon_width=add.icon_width or base.icon_width,
        ctype=add.ctype if add.ctype is not None else base.ctype,
        charset=add.charset if add.charset is not None else base.charset,
        datetime_format=add.datetime_format or base.datetime_format,
        alt_list=add.alt_list + base.alt_list,
        ign_list=add.ign_list if add.ign_noinherit else add.ign_list + base.ign_list,
        desc_list=add.desc_list + base.desc_list,
        icon_list=add.icon_list + base.icon_list,
        ign_noinherit=add.ign_noinherit,
    )
    if add.opts == NO_OPTIONS:
        # an explicit None also stops +/- settings from above being inherited further
        new.opts, new.incremented_opts, new.decremented_opts = NO_OPTIONS, 0, 0
    else:
        if add.opts == OPTION_UNSET:
            # only incremental settings here: inherit, then apply them
            new.incremented_opts = ((base.incremented_opts | add.incremented_opts)
                                    & ~add.decremented_opts)
            new.decremented_opts = base.decremented_opts | add.decremented_opts
            new.opts = base.opts & ~NO_OPTIONS
        else:
            # Apache drops this section's own +/- words here (they are only applied
            # when the section sets no plain keyword), and so do we
            new.opts = add.opts
        new.opts |= new.incremented_opts
        new.opts &= ~new.decremented_opts
    if add.name_adjust == K_UNSET:
        new.name_width, new.name_adjust = base.name_width, base.name_adjust
    else:
        new.name_width, new.name_adjust = add.name_width, add.name_adjust
    if add.desc_adjust == K_UNSET:
        new.desc_width, new.desc_adjust = base.desc_width, base.desc_adjust
    else:
        new.desc_width, new.desc_adjust = add.desc_width, add.desc_adjust
    new.default_keyid = add.default_keyid or base.default_keyid
    new.default_direction = add.default_direction or base.default_direction
    return new


# -- AddIcon, AddAlt, AddDescription, IndexIgnore ------------------------------------------

def _normalise_to(cmd, kind: str, to: str) -> str:
    if kind == BY_PATH and to == "**DIRECTORY**":
        return "^^DIRECTORY^^"
    if kind == BY_ENCODING:
        return to.lower()
    return to


def _add_alt(kind: str):
    def add_alt(cmd, d: AutoindexConfig, alt: str, to: str):
        d.alt_list.append(make_item(kind, _normalise_to(cmd, kind, to), cmd.path, alt))
        return None
    return add_alt


def _add_icon(kind: str):
    def add_icon(cmd, d: AutoindexConfig, icon: str, to: str):
        iconbak = icon
        if icon.startswith("("):
            close = icon.find(")")
            if close < 0:
                return "missing closing paren"
            # "(ALT,url)": ap_getword_nc takes the alt text up to the comma (commas
            # after it are skipped), then the ")" ends the icon when it comes later
            comma = icon.find(",")
            if comma < 0:
                alt, iconbak = icon, ""
            else:
                alt = icon[:comma]
                start = comma
                while start < len(icon) and icon[start] == ",":
                    start += 1
                iconbak = icon[start:close] if close >= start else icon[start:]
            _add_alt(kind)(cmd, d, alt[1:], to)
        d.icon_list.append(make_item(kind, _normalise_to(cmd, kind, to), cmd.path, iconbak))
        return None
    return add_icon


add_icon = directive("AddIcon", Args.ITERATE2, OR_INDEXES,
                     "an icon URL followed by one or more filenames")(_add_icon(BY_PATH))
add_icon_by_type = directive("AddIconByType", Args.ITERATE2, OR_INDEXES,
                             "an icon URL followed by one or more MIME types")(
    _add_icon(BY_TYPE))
add_icon_by_encoding = directive("AddIconByEncoding", Args.ITERATE2, OR_INDEXES,
                                 "an icon URL followed by one or more content encodings")(
    _add_icon(BY_ENCODING))
add_alt = directive("AddAlt", Args.ITERATE2, OR_INDEXES,
                    "alternate descriptive text followed by one or more filenames")(
    _add_alt(BY_PATH))
add_alt_by_type = directive("AddAltByType", Args.ITERATE2, OR_INDEXES,
                            "alternate descriptive text followed by one or more MIME types")(
    _add_alt(BY_TYPE))
add_alt_by_encoding = directive(
    "AddAltByEncoding", Args.ITERATE2, OR_INDEXES,
    "alternate descriptive text followed by one or more content encodings")(
    _add_alt(BY_ENCODING))


@directive("AddDescription", Args.ITERATE2, OR_INDEXES,
           "Descriptive text followed by one or more filenames")
def add_desc(cmd, d: AutoindexConfig, desc: str, to: str):
    full_path = "/" in to
    wildcards = full_path or fnmatch_test(to)
    if wildcards:
        pattern = ("*/" if full_path else "*") + to + "*"
        d.desc_list.append(Description(pattern, desc, full_path, True, fnmatch_rx(pattern)))
    else:
        d.desc_list.append(Description(to, desc, False, False))
    return None


@directive("IndexIgnore", Args.ITERATE, OR_INDEXES, "one or more file extensions")
def add_ignore(cmd, d: AutoindexConfig, ext: str):
    d.ign_list.append(make_item(None, ext, cmd.path, None))
    return None


@directive("IndexIgnoreReset", Args.FLAG, OR_INDEXES,
           "Reset the inherited list of IndexIgnore filenames")
def set_ignore_reset(cmd, d: AutoindexConfig, flag: bool):
    d.ign_noinherit = flag
    return None


# -- IndexOptions, IndexOrderDefault --------------------------------------------------------

@directive("IndexOptions", Args.RAW_ARGS, OR_INDEXES, "one or more index options [+|-][]")
def add_opts(cmd, d: AutoindexConfig, optstr: str):
    opts, opts_add, opts_remove = d.opts, d.incremented_opts, d.decremented_opts
    pos = 0
    while pos < len(optstr):
        w, pos = getword_conf(optstr, pos)
        action = ""
        if w[:1] in ("+", "-"):
            action, w = w[0], w[1:]
        low = w.lower()
        option = OPTION_WORDS.get(low, 0)
        if option:
            pass
        elif low == "none":
            if action:
                return "Cannot combine '+' or '-' with 'None' keyword"
            opts, opts_add, opts_remove = NO_OPTIONS, 0, 0
        elif low == "iconwidth":
            d.icon_width = 0 if action == "-" else DEFAULT_ICON_WIDTH
        elif low.startswith("iconwidth="):
            if action == "-":
                return "Cannot combine '-' with IconWidth=n"
            d.icon_width = atoi(w[10:])
        elif low == "iconheight":
            d.icon_height = 0 if action == "-" else DEFAULT_ICON_HEIGHT
        elif low.startswith("iconheight="):
            if action == "-":
                return "Cannot combine '-' with IconHeight=n"
            d.icon_height = atoi(w[11:])
        elif low == "namewidth":
            if action != "-":
                return "NameWidth with no value may only appear as '-NameWidth'"
            d.name_width, d.name_adjust = DEFAULT_NAME_WIDTH, K_NOADJUST
        elif low.startswith("namewidth="):
            if action == "-":
                return "Cannot combine '-' with NameWidth=n"
            if w[10:11] == "*":
                d.name_adjust = K_ADJUST
            else:
                width = atoi(w[10:])
                if width and width < 5:
                    return "NameWidth value must be greater than 5"
                d.name_width, d.name_adjust = width, K_NOADJUST
        elif low == "descriptionwidth":
            if action != "-":
                return "DescriptionWidth with no value may only appear as '-DescriptionWidth'"
            d.desc_width, d.desc_adjust = DEFAULT_DESC_WIDTH, K_NOADJUST
        elif low.startswith("descriptionwidth="):
            if action == "-":
                return "Cannot combine '-' with DescriptionWidth=n"
            if w[17:18] == "*":
                d.desc_adjust = K_ADJUST
            else:
                width = atoi(w[17:])
                if width and width < 12:
                    return "DescriptionWidth value must be greater than 12"
                d.desc_width, d.desc_adjust = width, K_NOADJUST
        elif low.startswith("type="):
            d.ctype = w[5:]
        elif low.startswith("charset="):
            d.charset = w[8:]
        elif low == "useolddateformat":
            d.datetime_format = OLD_DATE_FORMAT
        else:
            return "Invalid directory indexing option"
        if not action:
            opts |= option
            opts_add = opts_remove = 0
        elif action == "+":
            opts_add |= option
            opts_remove &= ~option
        else:
            opts_remove |= option
            opts_add &= ~option
    if opts & NO_OPTIONS and opts & ~(NO_OPTIONS | OPTION_UNSET):
        return "Cannot combine other IndexOptions keywords with 'None'"
    d.incremented_opts, d.decremented_opts, d.opts = opts_add, opts_remove, opts
    return None


@directive("IndexOrderDefault", Args.TAKE2, OR_INDEXES,
           "{Ascending,Descending} {Name,Size,Description,Date}")
def set_default_order(cmd, d: AutoindexConfig, direction: str, key: str):
    low = direction.lower()
    if low == "ascending":
        d.default_direction = D_ASCENDING
    elif low == "descending":
        d.default_direction = D_DESCENDING
    else:
        return "First keyword must be 'Ascending' or 'Descending'"
    keyid = {"name": K_NAME, "date": K_LAST_MOD, "size": K_SIZE,
             "description": K_DESC}.get(key.lower())
    if keyid is None:
        return "Second keyword must be 'Name', 'Date', 'Size', or 'Description'"
    d.default_keyid = keyid
    return None


# -- the string settings ------------------------------------------------------------------

def _string_slot(field: str):
    def set_slot(cmd, d: AutoindexConfig, arg: str):
        setattr(d, field, arg)
        return None
    return set_slot


header_name = directive("HeaderName", Args.TAKE1, OR_INDEXES, "a filename")(
    _string_slot("header"))
readme_name = directive("ReadmeName", Args.TAKE1, OR_INDEXES, "a filename")(
    _string_slot("readme"))


@directive("FancyIndexing", Args.RAW_ARGS, OR_ALL,
           "The FancyIndexing directive is no longer supported. Use IndexOptions "
           "FancyIndexing.")
def set_deprecated(cmd, d, arg):
    return cmd.cmd.help                  # ap_set_deprecated: the help is the message


default_icon = directive("DefaultIcon", Args.TAKE1, OR_INDEXES, "an icon URL")(
    _string_slot("default_icon"))
index_style_sheet = directive("IndexStyleSheet", Args.TAKE1, OR_INDEXES, "URL to style sheet")(
    _string_slot("style_sheet"))
index_head_insert = directive("IndexHeadInsert", Args.TAKE1, OR_INDEXES,
                              "String to insert in HTML HEAD section")(
    _string_slot("head_insert"))


def _handler(r):
    if r.handler != "httpd/unix-directory":      # DIR_MAGIC_TYPE: not a listing
        return DECLINED
    # imported on first use: -t, -L and the docs never build a listing
    from directives.mod_autoindex.listing import handle_autoindex
    return handle_autoindex(r)


MODULE = Module(
    MODULE_NAME, "mod_autoindex.c",
    (add_icon, add_icon_by_type, add_icon_by_encoding, add_alt, add_alt_by_type,
     add_alt_by_encoding, add_opts, set_default_order, add_ignore, set_ignore_reset,
     add_desc, header_name, readme_name, set_deprecated, default_icon, index_style_sheet,
     index_head_insert),
    create_dir_config=create_dir_config,
    merge_dir_config=merge_dir_config,
    hooks={"handler": (_handler, MIDDLE)},
    doc="Generates directory indexes, automatically, similar to the Unix ls command or "
        "the Win32 dir shell command",
)
