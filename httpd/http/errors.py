"""Error responses: ap_send_error_response with Apache's
canned pages (http_protocol.c get_canned_error_string), byte for byte as 2.4.71 sends
them, and ErrorDocument (core.c ap_response_code_string); ap_die, which chooses
between them, is httpd.http.request's (http_request.c).

``error_page`` is a pure function of the request record.  The signature footer, the banner and the Allow field come from
:mod:`httpd.http.header_filter`, where Apache keeps them too.  The status table is Apache's own
(status_lines): a status Apache does not know (418, 425, 509...) is answered with the
page of 500, exactly as ``ap_index_of_response`` makes Apache do.
"""
from __future__ import annotations

from typing import Optional

from httpd.request.expr_context import exec_str
from httpd.request.process import generation
from httpd.log import errorlog
from httpd.http.header_filter import make_allow, signature
from httpd.request.record import Headers, Request
from httpd.http.status import get_status_line, index_of_response
from httpd.util.escape import escape_html
from httpd.module import CORE_MODULE as CORE


DOCTYPE = ('<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN" '
           '"http://www.w3.org/TR/html4/strict.dtd">\n')


def is_header_only(status: int) -> bool:
    """AP_STATUS_IS_HEADER_ONLY: 204 and 304 never carry a body."""
    return status in (204, 304)


# -- the canned texts -------------------------------------------------------------------

def _notes(r, prefix: str, key: str, suffix: str) -> str:
    """add_optional_notes."""
    notes = r.notes.get(key)
    return f"{prefix}{notes}{suffix}" if notes is not None else prefix + suffix


_MOVED = "<p>The document has moved <a href=\"{}\">here</a>.</p>\n"
_AUTH = ("<p>This server could not verify that you\nare authorized to access the document\n"
         "requested.  Either you supplied the wrong\ncredentials (e.g., bad password), or "
         "your\nbrowser doesn't understand how to supply\nthe credentials required.</p>\n")
_FIXED = {
    305: "<p>This resource is only accessible through the proxy\n<br />\nYou will need to "
         "configure your client to use that proxy.</p>\n",
    401: _AUTH, 407: _AUTH,
    403: "<p>You don't have permission to access this resource.</p>\n",
    404: "<p>The requested URL was not found on this server.</p>\n",
    408: "<p>Server timeout waiting for the HTTP request from the client.</p>\n",
    410: "<p>The requested resource is no longer available on this server and there is no "
         "forwarding address.\nPlease remove all references to this resource.</p>\n",
    412: "<p>The precondition on the request for this URL evaluated to false.</p>\n",
    415: "<p>The supplied request data is not in a format\nacceptable for processing by this "
         "resource.</p>\n",
    416: "<p>None of the range-specifier values in the Range\nrequest-header field overlap "
         "the current extent\nof the selected resource.</p>\n",
    421: "<p>The client needs a new connection for this\nrequest as the requested host name "
         "does not match\nthe Server Name Indication (SNI) in use for this\nconnection.</p>\n",
    422: "<p>The server understands the media type of the\nrequest entity, but was unable to "
         "process the\ncontained instructions.</p>\n",
    423: "<p>The requested resource is currently locked.\nThe lock must be released or proper "
         "identification\ngiven before the method can be applied.</p>\n",
    424: "<p>The method could not be performed on the resource\nbecause the requested action "
         "depended on another\naction and that other action failed.</p>\n",
    426: "<p>The requested resource can only be retrieved\nusing SSL.  The server is willing "
         "to upgrade the current\nconnection to SSL, but your client doesn't support it.\n"
         "Either upgrade your client, or try requesting the page\nusing https://\n",
    428: "<p>The request is required to be conditional.</p>\n",
    429: "<p>The user has sent too many requests\nin a given amount of time.</p>\n",
    431: "<p>The server refused this request because\nthe request header fields are too "
         "large.</p>\n",
    503: "<p>The server is temporarily unable to service your\nrequest due to maintenance "
         "downtime or capacity\nproblems. Please try again later.</p>\n",
    504: "<p>The gateway did not receive a timely response\nfrom the upstream server or "
         "application.</p>\n",
    506: "<p>A variant for the requested resource\n<pre>\n\n</pre>\nis itself a negotiable "
         "resource. This indicates a configuration error.</p>\n",
    507: "<p>The method could not be performed on the resource\nbecause the server is unable "
         "to store the\nrepresentation needed to successfully complete the\nrequest.  There "
         "is insufficient free space left in\nyour storage allocation.</p>\n",
    508: "<p>The server terminated an operation because\nit encountered an infinite "
         "loop.</p>\n",
    510: "<p>A mandatory extension policy in the request is not\naccepted by the server for "
         "this resource.</p>\n",
    511: "<p>The client needs to authenticate to gain\nnetwork access.</p>\n",
}


def canned_text(r, status: int, location: str) -> str:
    """get_canned_error_string (2.4.71: no request URI is echoed any more)."""
    text = _FIXED.get(status)
    if text is not None:
        return text
    if status in (301, 302, 307, 308):
        return _MOVED.format(escape_html(location))
    if status == 303:
        return ("<p>The answer to your request is located "
                f"<a href=\"{escape_html(location)}\">here</a>.</p>\n")
    if status == 300:
        return _notes(r, "", "variant-list", "")
    if status == 400:
        return _notes(r, "<p>Your browser sent a request that this server could not "
                      "understand.<br />\n", "error-notes", "</p>\n")
    if status == 405:
        return (f"<p>The requested method {escape_html(r.method)} is not allowed for this "
                "URL.</p>\n")
    if status == 406:
        return _notes(r, "<p>An appropriate representation of the requested resource could "
                      "not be found on this server.</p>\n", "variant-list", "")
    if status == 411:
        return _notes(r, f"<p>A request of the requested method {escape_html(r.method)} "
                      "requires a valid Content-length.<br />\n", "error-notes", "</p>\n")
    if status == 413:
        return (f"The requested resource does not allow request data with "
                f"{escape_html(r.method)} requests, or the amount of data provided in\n"
                "the request exceeds the capacity limit.\n")
    if status == 414:
        return _notes(r, "<p>The requested URL's length exceeds the capacity\nlimit for this "
                      "server.<br />\n", "error-notes", "</p>\n")
    if status == 417:
        expect = r.headers_in.get("Expect")
        if expect:
            s1 = ("<p>The expectation given in the Expect request-header\nfield could not be "
                  "met by this server.\nThe client sent<pre>\n    Expect: "
                  f"{escape_html(expect)}\n</pre>\n")
        else:
            s1 = ("<p>No expectation was seen, the Expect request-header \nfield was not "
                  "presented by the client.\n")
        return _notes(r, s1, "error-notes",
                      "</p><p>Only the 100-continue expectation is supported.</p>\n")
    if status == 451:
        return _notes(r, "<p>Access to this URL has been denied for legal reasons.<br />\n",
                      "error-notes", "</p>\n")
    if status == 501:
        return _notes(r, f"<p>{escape_html(r.method)} not supported for current URL.<br />\n",
                      "error-notes", "</p>\n")
    if status == 502:
        return _notes(r, "<p>The proxy server received an invalid\r\nresponse from an "
                      "upstream server.<br />\r\n", "error-notes", "</p>\n")
    # HTTP_INTERNAL_SERVER_ERROR and every status without a text of its own
    notes = r.notes.get("error-notes")
    if notes is not None and r.notes.get("verbose-error-to") == "*":
        return f"{notes}<p />\n"
    admin = r.server_config(CORE).server_admin or ""
    return ("<p>The server encountered an internal error or\nmisconfiguration and was unable "
            "to complete\nyour request.</p>\n<p>Please contact the server administrator at \n "
            f"{escape_html(admin)} to inform them of the time this error occurred,\n and the "
            "actions you performed just before this error.</p>\n<p>More information about "
            "this error may be available\nin the server error log.</p>\n")


def _title(r, status: int) -> str:
    """The status line of the page: a module's status_line if it is well formed."""
    line = r.status_line
    if line and len(line) >= 3 and line[:3].isdigit() and int(line[:3]) == status \
            and (len(line) < 4 or line[3].isspace()) \
            and (len(line) < 5 or line[4].isalnum()):
        if len(line) == 3:
            return line + " Unknown Reason"
        if len(line) == 4:
            return line + "Unknown Reason"
        return line
    return get_status_line(status)


# error_page's pages for a status with a fixed text (404, 403...): a function of the
# status, the record's status_line and the signature alone, so kept by those (bounded)
_PAGES: dict = {}
_PAGES_MAX = 256


def error_page(r, status: int, location: str = "", recursive_error: int = 0) -> bytes:
    """The HTML body ap_send_error_response writes for ``status``."""
    if not recursive_error and status in _FIXED:
        sig = signature(r, "<hr>\n")
        key = (status, r.status_line, sig)
        page = _PAGES.get(key)
        if page is None:
            page = _error_page(r, status, location, 0)
            if len(_PAGES) >= _PAGES_MAX:
                _PAGES.clear()
            _PAGES[key] = page
        return page
    return _error_page(r, status, location, recursive_error)


def _error_page(r, status: int, location: str, recursive_error: int) -> bytes:
    """error_page's work (the canned text, the title, the signature)."""
    title = _title(r, status)
    parts = [DOCTYPE, "<html><head>\n<title>", title, "</title>\n</head><body>\n<h1>",
             title[4:], "</h1>\n", canned_text(r, index_of_response(status), location)]
    if recursive_error:
        parts += ["<p>Additionally, a ", get_status_line(recursive_error),
                  "\nerror was encountered while trying to use an ErrorDocument to handle "
                  "the request.</p>\n"]
    parts += [signature(r, "<hr>\n"), "</body></html>\n"]
    return "".join(parts).encode("latin-1", "replace")


# -- errors (ap_die, ap_send_error_response) -------------------------------------------------

def response_code_string(r: Request, status: int) -> Optional[str]:
    """ap_response_code_string: the ErrorDocument for ``status`` (a leading '"' marks a
    message), or None for the canned page."""
    custom = r.request_config.get("custom_response")          # ap_custom_response
    if custom and status in custom:
        return custom[status]
    d = r.module_config(CORE)
    codes = d.response_code_exprs if d is not None else None
    if not codes:
        return None
    found = codes.get(index_of_response(status))
    if found is None or found == "default":
        return None
    try:
        return exec_str(r, found)
    except Exception as e:   # an evaluation error falls back to the canned page
        errorlog.log_rerror(r, "core", "error", "AH02841: core: ErrorDocument: can't evaluate format "
                   f"expression: {e}")
        return None


def copy_response(src: Request, dst: Request) -> None:
    dst.status, dst.status_line = src.status, src.status_line
    dst.headers_out, dst.err_headers_out = src.headers_out, src.err_headers_out
    dst.content_type, dst.content_encoding = src.content_type, src.content_encoding
    dst.content_languages = src.content_languages
    dst.body = src.body
    dst.output_filters = src.output_filters
    dst.filters = src.filters
    if "suppress-charset" in src.notes:
        dst.notes["suppress-charset"] = src.notes["suppress-charset"]


def send_error_response(r: Request, recursive_error: int = 0) -> None:
    """ap_send_error_response: the error's header fields and its page."""
    # the response starts over: the request's filters go, the error path's come
    r.output_filters = ()
    r.filters = ()
    generation(r.process).hooks.run_void("insert_error_filter", r)
    status = r.status
    out = r.headers_out
    location = out.get("Location")
    if is_header_only(status):
        r.body = None
        return
    if location is None:
        location = r.err_headers_out.get("Location")
    r.body = None
    if r.proto_num >= 1000:
        # only the "always" fields survive: err_headers_out becomes the table
        r.headers_out = r.err_headers_out
        r.err_headers_out = Headers()
        if 300 <= status <= 399 or status == 201:
            if location:
                r.headers_out.set("Location", location)
            else:
                location = ""
        r.content_languages = []
        r.content_encoding = None
        if r.subprocess_env.get("suppress-error-charset") is not None:
            r.notes["suppress-charset"] = "1"
            r.content_type = "text/html"
        else:
            r.content_type = "text/html; charset=iso-8859-1"
        if status in (405, 501):
            r.headers_out.set("Allow", make_allow(r))
        if r.header_only:
            return
    custom = response_code_string(r, index_of_response(status))
    if custom is not None and custom.startswith('"'):
        r.body = custom[1:].encode("latin-1", "replace")
        return
    r.body = error_page(r, status, location or "", recursive_error)
