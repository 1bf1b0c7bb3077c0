"""HTTP status lines as Apache 2.4 prints them (http_protocol.c status_lines,
ap_index_of_response, ap_get_status_line)."""
from __future__ import annotations

STATUS_LINES = {
    100: "100 Continue", 101: "101 Switching Protocols", 102: "102 Processing",
    103: "103 Early Hints",
    200: "200 OK", 201: "201 Created", 202: "202 Accepted",
    203: "203 Non-Authoritative Information", 204: "204 No Content",
    205: "205 Reset Content", 206: "206 Partial Content", 207: "207 Multi-Status",
    208: "208 Already Reported", 226: "226 IM Used",
    300: "300 Multiple Choices", 301: "301 Moved Permanently", 302: "302 Found",
    303: "303 See Other", 304: "304 Not Modified", 305: "305 Use Proxy",
    307: "307 Temporary Redirect", 308: "308 Permanent Redirect",
    400: "400 Bad Request", 401: "401 Unauthorized", 402: "402 Payment Required",
    403: "403 Forbidden", 404: "404 Not Found", 405: "405 Method Not Allowed",
    406: "406 Not Acceptable", 407: "407 Proxy Authentication Required",
    408: "408 Request Timeout", 409: "409 Conflict", 410: "410 Gone",
    411: "411 Length Required", 412: "412 Precondition Failed",
    413: "413 Request Entity Too Large", 414: "414 Request-URI Too Long",
    415: "415 Unsupported Media Type", 416: "416 Requested Range Not Satisfiable",
    417: "417 Expectation Failed", 418: "418 I'm a teapot", 421: "421 Misdirected Request",
    422: "422 Unprocessable Entity", 423: "423 Locked", 424: "424 Failed Dependency",
    425: "425 Too Early", 426: "426 Upgrade Required", 428: "428 Precondition Required",
    429: "429 Too Many Requests", 431: "431 Request Header Fields Too Large",
    451: "451 Unavailable For Legal Reasons",
    500: "500 Internal Server Error", 501: "501 Not Implemented", 502: "502 Bad Gateway",
    503: "503 Service Unavailable", 504: "504 Gateway Timeout",
    505: "505 HTTP Version Not Supported", 506: "506 Variant Also Negotiates",
    507: "507 Insufficient Storage", 508: "508 Loop Detected", 510: "510 Not Extended",
    511: "511 Network Authentication Required",
}


# The statuses Apache 2.4.71's status_lines table has a line for (its NULL slots, such
# as 418 and 425, and anything outside 100-599 are unknown).
APACHE_STATUSES = frozenset(
    (100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226,
     300, 301, 302, 303, 304, 305, 307, 308)
    + tuple(range(400, 418)) + (421, 422, 423, 424, 426, 428, 429, 431, 451)
    + tuple(range(500, 509)) + (510, 511))


def index_of_response(status: int) -> int:
    """ap_index_of_response, as the status whose line is used: an unknown status is
    500's (LEVEL_500), though r->status keeps the number."""
    return status if status in APACHE_STATUSES else 500


def get_status_line(status: int) -> str:
    """ap_get_status_line: ``404 Not Found``; an unknown status reads as 500's line."""
    return STATUS_LINES[status if status in APACHE_STATUSES else 500]
