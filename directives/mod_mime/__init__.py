"""mod_mime (mod_mime.c): file extensions to type, encoding, language, handler, filters.

Per-section maps are built from AddType and friends (extensions lower-cased, a leading
dot dropped).  Remove* lines are kept apart and applied when sections are merged, so a
Remove only undoes what outer sections (or the same one) added, as in Apache.
TypesConfig names the mime.types file; it is read in post_config (like Apache, so
``-t`` does not open it) into a table shared by every server.  The type checker is in
mod_mime_runtime.py.
"""
from __future__ import annotations

import os
from typing import Optional

import attrs

from httpd.config.grammar import getword_conf
from httpd.config.lines import ConfigFile, LineTooLong
from httpd.module import (ACCESS_CONF, NOT_IN_LOCATION, OR_FILEINFO, RSRC_CONF, Args, Module,
                          directive)

from directives.mod_mime import runtime as mod_mime_runtime
from httpd.module.hooks import determined
from httpd.util.fspath import fs_path

MODULE_NAME = "mime_module"
AP_TYPES_CONFIG_FILE = "conf/mime.types"

MULTIMATCH_UNSET = 0
MULTIMATCH_ANY = 1
MULTIMATCH_NEGOTIATED = 2
MULTIMATCH_HANDLERS = 4
MULTIMATCH_FILTERS = 8

# The fields of an extension's info, in Apache's order (extension_info).
FIELDS = ("forced_type", "encoding_type", "language_type", "handler", "charset_type",
          "input_filters", "output_filters")


@attrs.frozen
class ExtensionInfo:
    """What one extension maps to; None means "not set".  RemoveType sets ""
    (not None) so that it also hides the type from TypesConfig."""

    forced_type: Optional[str] = None
    encoding_type: Optional[str] = None
    language_type: Optional[str] = None
    handler: Optional[str] = None
    charset_type: Optional[str] = None
    input_filters: Optional[str] = None
    output_filters: Optional[str] = None


def _overlay(base: ExtensionInfo, add: ExtensionInfo) -> ExtensionInfo:
    """overlay_extension_mappings: the fields ``add`` sets win."""
    return ExtensionInfo(*(getattr(base, f) if getattr(add, f) is None else getattr(add, f)
                           for f in FIELDS))


@attrs.define
class MimeDirConfig:
    """``extension_mappings``: extension -> info.  ``remove_mappings``: (extension,
    field) pairs from Remove*, consumed by the merge.  ``use_path_info`` None is
    Apache's "unset" (2)."""

    extension_mappings: Optional[dict[str, ExtensionInfo]] = None
    remove_mappings: list[tuple[str, str]] = attrs.field(factory=list)
    default_language: Optional[str] = None
    multimatch: int = MULTIMATCH_UNSET
    use_path_info: Optional[bool] = None


def create_dir_config(path: Optional[str]) -> MimeDirConfig:
    return MimeDirConfig()


def merge_dir_config(base: MimeDirConfig, add: MimeDirConfig) -> MimeDirConfig:
    """merge_mime_dir_configs: overlay the maps, then apply ``add``'s removals."""
    if base.extension_mappings is not None and add.extension_mappings is not None:
        mappings: Optional[dict] = dict(base.extension_mappings)
        for ext, info in add.extension_mappings.items():
            old = mappings.get(ext)
            mappings[ext] = info if old is None else _overlay(old, info)
    else:
        chosen = base.extension_mappings if add.extension_mappings is None \
            else add.extension_mappings
        mappings = None if chosen is None else dict(chosen)
    if mappings is not None:
        for ext, field in add.remove_mappings:
            info = mappings.get(ext)
            if info is not None and getattr(info, field) is not None:
                mappings[ext] = attrs.evolve(info, **{field: None})
    return MimeDirConfig(
        extension_mappings=mappings,
        remove_mappings=[],
        default_language=add.default_language or base.default_language,
        multimatch=add.multimatch if add.multimatch != MULTIMATCH_UNSET else base.multimatch,
        use_path_info=base.use_path_info if add.use_path_info is None else add.use_path_info)


@attrs.define
class MimeServerConfig:
    """``types_config``: the TypesConfig path as written (None: the default file).
    ``types``: extension -> content type, filled by post_config."""

    types_config: Optional[str] = None
    types: Optional[dict[str, str]] = None


def create_server_config(server) -> MimeServerConfig:
    return MimeServerConfig()


def merge_server_config(base: MimeServerConfig, add: MimeServerConfig) -> MimeServerConfig:
    # Apache has no merge here: only the main server's TypesConfig is ever read.
    return MimeServerConfig(add.types_config, base.types if add.types is None else add.types)


# -- directives -------------------------------------------------------------------------

def _add_extension_info(field: str):
    def handler(cmd, m: MimeDirConfig, value: str, ext: str):
        key = ext.lower()
        if key.startswith("."):
            key = key[1:]
        if m.extension_mappings is None:
            m.extension_mappings = {}
        old = m.extension_mappings.get(key) or ExtensionInfo()
        m.extension_mappings[key] = attrs.evolve(old, **{field: value.lower()})
        return None
    return handler


def _remove_extension_info(field: str):
    def handler(cmd, m: MimeDirConfig, ext: str):
        if ext.startswith("."):
            ext = ext[1:]
        m.remove_mappings.append((ext.lower(), field))
        return None
    return handler


def _remove_extension_type(cmd, m, ext):
    # "" rather than a removal, so that it also overrides TypesConfig
    return _add_extension_info("forced_type")(cmd, m, "", ext)


def _add(name, field, help):
    return directive(name, Args.ITERATE2, OR_FILEINFO, help)(_add_extension_info(field))


def _remove(name, field):
    return directive(name, Args.ITERATE, OR_FILEINFO, "one or more file extensions")(
        _remove_extension_info(field))


def _set_default_language(cmd, m: MimeDirConfig, arg):
    m.default_language = arg
    return None


_INCOMPATIBLE = {
    "any": (MULTIMATCH_ANY, ~MULTIMATCH_ANY,
            "Any is incompatible with NegotiatedOnly, Filters and Handlers"),
    "negotiatedonly": (MULTIMATCH_NEGOTIATED, ~MULTIMATCH_NEGOTIATED,
                       "NegotiatedOnly is incompatible with Any, Filters and Handlers"),
    "filters": (MULTIMATCH_FILTERS, MULTIMATCH_NEGOTIATED | MULTIMATCH_ANY,
                "Filters is incompatible with Any and NegotiatedOnly"),
    "handlers": (MULTIMATCH_HANDLERS, MULTIMATCH_NEGOTIATED | MULTIMATCH_ANY,
                 "Handlers is incompatible with Any and NegotiatedOnly"),
}


def _multiviews_match(cmd, m: MimeDirConfig, include):
    err = cmd.check_context(NOT_IN_LOCATION)
    if err:
        return err
    found = _INCOMPATIBLE.get(include.lower())
    if found is None:
        return f"Unrecognized option '{include}'"
    bit, clashes, msg = found
    if m.multimatch & clashes:
        return msg
    m.multimatch |= bit
    return None


def _set_types_config(cmd, m, arg):
    cmd.server.module_config[MODULE_NAME].types_config = arg
    return None


def _set_use_path_info(cmd, m: MimeDirConfig, flag):
    m.use_path_info = flag
    return None


DIRECTIVES = (
    _add("AddCharset", "charset_type",
         "a charset (e.g., iso-2022-jp), followed by one or more file extensions"),
    _add("AddEncoding", "encoding_type",
         "an encoding (e.g., gzip), followed by one or more file extensions"),
    _add("AddHandler", "handler", "a handler name followed by one or more file extensions"),
    _add("AddInputFilter", "input_filters",
         "input filter name (or ; delimited names) followed by one or more file extensions"),
    _add("AddLanguage", "language_type",
         "a language (e.g., fr), followed by one or more file extensions"),
    _add("AddOutputFilter", "output_filters",
         "output filter name (or ; delimited names) followed by one or more file extensions"),
    _add("AddType", "forced_type", "a mime type followed by one or more file extensions"),
    directive("DefaultLanguage", Args.TAKE1, OR_FILEINFO,
              "language to use for documents with no other language file extension")(
        _set_default_language),
    directive("MultiviewsMatch", Args.ITERATE, OR_FILEINFO,
              "NegotiatedOnly (default), Handlers and/or Filters, or Any")(_multiviews_match),
    _remove("RemoveCharset", "charset_type"),
    _remove("RemoveEncoding", "encoding_type"),
    _remove("RemoveHandler", "handler"),
    _remove("RemoveInputFilter", "input_filters"),
    _remove("RemoveLanguage", "language_type"),
    _remove("RemoveOutputFilter", "output_filters"),
    directive("RemoveType", Args.ITERATE, OR_FILEINFO, "one or more file extensions")(
        _remove_extension_type),
    directive("TypesConfig", Args.TAKE1, RSRC_CONF, "the MIME types config file")(
        _set_types_config),
    directive("ModMimeUsePathInfo", Args.FLAG, ACCESS_CONF,
              "Set to 'yes' to allow mod_mime to use path info for type checking")(
        _set_use_path_info),
)


# -- mime.types -------------------------------------------------------------------------

MAX_STRING_LEN = 8192


def read_types(path: str) -> dict[str, str]:
    """A mime.types file: ``type ext ext ...`` per line, ``#`` comments; extensions are
    lower-cased, a later line wins.  Raises OSError when the file cannot be read."""
    with open(fs_path(path), "rb") as f:
        cfg = ConfigFile(path, f.read().decode("latin-1"))
    types: dict[str, str] = {}
    while True:
        try:
            line = cfg.getline()
        except LineTooLong:
            break
        if line is None or len(line) >= MAX_STRING_LEN:
            break                   # ap_cfg_getline stops the loop on a long line
        if line.startswith("#"):
            continue
        ctype, pos = getword_conf(line)
        while pos < len(line):
            ext, pos = getword_conf(line, pos)
            types[ext.lower()] = ctype
    return types


def post_config(process, server) -> bool:
    """mime_post_config: load the main server's TypesConfig for every server.

    Returns False after logging AH01597 when the file cannot be read (Apache then
    stops with ``AH00016: Configuration Failed``).
    """
    conf: MimeServerConfig = server.module_config[MODULE_NAME]
    path = process.server_root_relative(conf.types_config or AP_TYPES_CONFIG_FILE)
    try:
        types = read_types(path)
    except OSError as e:
        process.log.error("mime", "error", f"({e.errno}){os.strerror(e.errno)}: AH01597: "
                                           f"could not open mime types config file {path}.")
        return False
    for s in [server] + list(getattr(process, "vhosts", []) or []):
        s.module_config[MODULE_NAME].types = types
    return True


MODULE = Module(
    MODULE_NAME, "mod_mime.c", DIRECTIVES,
    create_dir_config=create_dir_config,
    merge_dir_config=merge_dir_config,
    create_server_config=create_server_config,
    merge_server_config=merge_server_config,
    hooks={"post_config": post_config, "type_checker": determined(mod_mime_runtime.find_ct)},
    doc="Associates the requested filename's extensions with the file's behavior "
        "(handlers and filters) and content (mime-type, language, character set and "
        "encoding)",
)
