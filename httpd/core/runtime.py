"""core's request-time hooks (core.c): translate_name (DocumentRoot + URI),
map_to_storage (the directory and file walks), the do-nothing type checker that makes
"no type" a success, and the fixup that applies ForceType and SetHandler.

The walks themselves are httpd/request/directory_walk.py; their caches belong to the config generation
(httpd.http.request.generation).
"""
from __future__ import annotations

from httpd.module.hooks import OK, REALLY_FIRST, REALLY_LAST, determined
from httpd.http.filter import add_input_filters, add_output_filters
from httpd.http.request import evaluate_str, generation, log_rerror
from httpd.module import CORE_MODULE as CORE
from httpd.request.context import request_document_root
from httpd.request.directory_walk import directory_walk
from httpd.request.section_walks import file_walk

HTTP_BAD_REQUEST = 400
HTTP_FORBIDDEN = 403
HTTP_INTERNAL_SERVER_ERROR = 500


def document_root(r) -> str:
    """ap_document_root: the request's own (ap_set_document_root), else the server's."""
    return request_document_root(r) or r.server.module_config[CORE].ap_document_root or ""


def merge_filepath(root: str, path: str) -> str:
    """apr_filepath_merge(root, path, TRUENAME | SECUREROOT) for a normalised URI path:
    one '/' between them, empty segments dropped, a final '/' kept."""
    root = root.rstrip("/") or ""
    if not path:
        return root or "/"
    if "//" in path:
        trailing = path.endswith("/")
        path = "/".join(p for p in path.split("/") if p) + ("/" if trailing else "")
    return f"{root}/{path}"


def core_translate(r) -> int:
    """ap_core_translate: the file under DocumentRoot (minus a matching ServerPath)."""
    uri = r.uri
    if not uri or (uri[0] != "/" and uri != "*"):
        log_rerror(r, "core", "error", f"AH00126: Invalid URI in request '{uri}' "
                   f"'{r.the_request}'")
        return HTTP_BAD_REQUEST
    sconf = r.server.module_config[CORE]
    path = uri
    spath = sconf.path
    if spath and uri.startswith(spath) and (spath.endswith("/")
                                            or uri[len(spath):len(spath) + 1] in ("/", "")):
        path = uri[len(spath):]
    root = sconf.ap_document_root or ""         # document_root(r)
    # a "." or ".." segment shows as "/." in "/" + path: test that first
    if (path.startswith(".") or "/." in path) and ("/../" in f"/{path}/"
                                                   or "/./" in f"/{path}/"):
        # apr_filepath_merge(SECUREROOT) refuses what would leave the root; a normalised
        # URI never gets here, a module's rewritten one might
        log_rerror(r, "core", "error", f"AH00127: Cannot map {r.the_request} to file")
        return HTTP_FORBIDDEN
    path = path.lstrip("/")
    if path and "//" not in path:           # merge_filepath's common case
        r.filename = r.canonical_filename = f"{root.rstrip('/')}/{path}"
    else:
        r.filename = r.canonical_filename = merge_filepath(root, path)
    r.notes["storage-root"] = root
    return OK


def core_map_to_storage(r) -> int:
    """core_map_to_storage: ap_directory_walk, then ap_file_walk."""
    walker = generation(r.process).walker
    status = directory_walk(r, walker, log_rerror)
    if status:
        return status
    dconf = r.per_dir_config.get(CORE)
    if dconf is None or not dconf.sec_file:     # no <Files> to match
        return OK
    return file_walk(r, walker)


def do_nothing(r) -> int:
    """core's last type checker: a request without a type is still fine."""
    return OK


def core_override_type(r) -> int:
    """core_override_type: ForceType and SetHandler (an expression) win over mod_mime."""
    conf = r.per_dir_config.get(CORE) or r.server.lookup_defaults.get(CORE)
    if conf is None:
        return OK
    if conf.mime_type and conf.mime_type != "none":
        r.content_type = conf.mime_type
    if conf.expr_handler is not None:
        try:
            val = evaluate_str(r, conf.expr_handler)
        except Exception as e:   # Apache answers 500 when the expression fails
            log_rerror(r, "core", "error", f"AH03154: Can't evaluate handler expression: {e}")
            return HTTP_INTERNAL_SERVER_ERROR
        if not val.startswith("none"):
            r.handler = val
    return OK


def core_insert_filter(r) -> None:
    """core_insert_filter: SetOutputFilter's and SetInputFilter's filters, by name, in
    order."""
    conf = r.per_dir_config.get(CORE) or r.server.lookup_defaults.get(CORE)
    if conf is not None:
        if conf.output_filters:
            add_output_filters(conf.output_filters, r)
        if conf.input_filters:
            add_input_filters(conf.input_filters, r)


def _no_handler_expr(r) -> bool:
    """core_override_type is determined by the URI unless SetHandler is an expression."""
    conf = r.per_dir_config.get(CORE) or r.server.lookup_defaults.get(CORE)
    return conf is None or conf.expr_handler is None


# the request phases' functions are determined by the URI (hooks.determined: the
# pipeline memo may replay them); the map_to_storage walk only when it took Apache's
# fast path, which the memo checks itself (Walker.fast_for)
HOOKS: dict = {
    "insert_filter": core_insert_filter,
    "translate_name": (determined(core_translate), REALLY_LAST),
    "map_to_storage": (determined(core_map_to_storage), REALLY_LAST),
    "type_checker": (determined(do_nothing), REALLY_LAST),
    "fixups": (determined(core_override_type, _no_handler_expr), REALLY_FIRST),
}
