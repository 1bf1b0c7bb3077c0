"""mod_deflate's configuration: the server config (DeflateBufferSize, DeflateWindowSize,
DeflateMemLevel, DeflateCompressionLevel, DeflateAlterETag, DeflateFilterNote) and the
per-directory one (DeflateInflateLimitRequestBody, DeflateInflateRatioLimit/Burst)."""
from __future__ import annotations

import zlib
from typing import Optional

import attrs

from httpd.module import OR_ALL, RSRC_CONF, Args, directive
from httpd.util.cparse import atoi, strtol

MODULE_NAME = "deflate_module"
FILTER_NAME = "DEFLATE"

DEFAULT_COMPRESSION = zlib.Z_DEFAULT_COMPRESSION
DEFAULT_WINDOWSIZE = -15
DEFAULT_MEMLEVEL = 9
DEFAULT_BUFFERSIZE = 8096
ETAG_NOCHANGE, ETAG_ADDSUFFIX, ETAG_REMOVE = 0, 1, 2

GZIP_HEADER = bytes((0o37, 0o213, zlib.DEFLATED, 0, 0, 0, 0, 0, 0, 3))   # OS_CODE 3: Unix
VALIDATION_SIZE = 8
SMALL = len(GZIP_HEADER) + VALIDATION_SIZE + 50   # "50 is for Content-Encoding and Vary"
_PLAIN_CODINGS = ("identity", "7bit", "8bit", "binary")


@attrs.define
class DeflateConfig:
    """deflate_filter_config (per server; Apache has no merge: a virtual host starts
    from the defaults)."""

    windowsize: int = DEFAULT_WINDOWSIZE
    memlevel: int = DEFAULT_MEMLEVEL
    buffersize: int = DEFAULT_BUFFERSIZE
    compressionlevel: int = DEFAULT_COMPRESSION
    etag_opt: int = ETAG_ADDSUFFIX
    note_ratio_name: Optional[str] = None
    note_input_name: Optional[str] = None
    note_output_name: Optional[str] = None


def create_server_config(server) -> DeflateConfig:
    return DeflateConfig()


def merge_server_config(base: DeflateConfig, add: DeflateConfig) -> DeflateConfig:
    return add


def _conf(cmd) -> DeflateConfig:
    return cmd.server.module_config[MODULE_NAME]


# -- directives ----------------------------------------------------------------------------

@directive("DeflateFilterNote", Args.TAKE12, RSRC_CONF,
           "Set a note to report on compression ratio")
def set_note(cmd, d, arg1, arg2=None):
    c = _conf(cmd)
    if arg2 is None:
        c.note_ratio_name = arg1
    elif arg1.lower() == "ratio":
        c.note_ratio_name = arg2
    elif arg1.lower() == "input":
        c.note_input_name = arg2
    elif arg1.lower() == "output":
        c.note_output_name = arg2
    else:
        return f"Unknown note type {arg1}"
    return None


@directive("DeflateWindowSize", Args.TAKE1, RSRC_CONF, "Set the Deflate window size (1-15)")
def set_window_size(cmd, d, arg):
    i = atoi(arg)
    if i < 1 or i > 15:
        return "DeflateWindowSize must be between 1 and 15"
    _conf(cmd).windowsize = -i
    return None


@directive("DeflateBufferSize", Args.TAKE1, RSRC_CONF, "Set the Deflate Buffer Size")
def set_buffer_size(cmd, d, arg):
    n = atoi(arg)
    if n <= 0:
        return "DeflateBufferSize should be positive"
    _conf(cmd).buffersize = n
    return None


@directive("DeflateMemLevel", Args.TAKE1, RSRC_CONF, "Set the Deflate Memory Level (1-9)")
def set_memlevel(cmd, d, arg):
    i = atoi(arg)
    if i < 1 or i > 9:
        return "DeflateMemLevel must be between 1 and 9"
    _conf(cmd).memlevel = i
    return None


@directive("DeflateCompressionLevel", Args.TAKE1, RSRC_CONF,
           "Set the Deflate Compression Level (1-9)")
def set_compressionlevel(cmd, d, arg):
    i = atoi(arg)
    if i < 1 or i > 9:
        return "Compression Level must be between 1 and 9"
    _conf(cmd).compressionlevel = i
    return None


@directive("DeflateAlterEtag", Args.TAKE1, RSRC_CONF,
           "Set how mod_deflate should modify ETAG response headers: 'AddSuffix' "
           "(default), 'NoChange' (2.2.x behavior), 'Remove'")
def set_etag(cmd, d, arg):
    opt = {"nochange": ETAG_NOCHANGE, "addsuffix": ETAG_ADDSUFFIX,
           "remove": ETAG_REMOVE}.get(arg.lower())
    if opt is None:
        return "DeflateAlterETAG accepts only 'NoChange', 'AddSuffix', and 'Remove'"
    _conf(cmd).etag_opt = opt
    return None


AP_INFLATE_RATIO_LIMIT, AP_INFLATE_RATIO_BURST = 200, 3


@attrs.define
class DeflateDirConfig:
    """deflate_dirconf_t (no merge in Apache: the innermost section's, defaults
    otherwise)."""

    ratio_limit: int = AP_INFLATE_RATIO_LIMIT
    ratio_burst: int = AP_INFLATE_RATIO_BURST
    inflate_limit: int = 0          # DeflateInflateLimitRequestBody (0: LimitRequestBody)


def create_dir_config(path) -> DeflateDirConfig:
    return DeflateDirConfig()


def merge_dir_config(base: DeflateDirConfig, add: DeflateDirConfig) -> DeflateDirConfig:
    return add


@directive("DeflateInflateRatioLimit", Args.TAKE1, OR_ALL,
           "Set the inflate ratio limit above which inflation is aborted (default: 200)")
def set_inflate_ratio_limit(cmd, dc: DeflateDirConfig, arg):
    i = atoi(arg)
    if i <= 0:
        return "DeflateInflateRatioLimit must be positive"
    dc.ratio_limit = i
    return None


@directive("DeflateInflateRatioBurst", Args.TAKE1, OR_ALL,
           "Set the maximum number of following inflate ratios above limit (default: 3)")
def set_inflate_ratio_burst(cmd, dc: DeflateDirConfig, arg):
    i = atoi(arg)
    if i <= 0:
        return "DeflateInflateRatioBurst must be positive"
    dc.ratio_burst = i
    return None


@directive("DeflateInflateLimitRequestBody", Args.TAKE1, OR_ALL,
           "Set a limit on size of inflated input")
def set_inflate_limit(cmd, dc: DeflateDirConfig, arg):
    value, end, overflow = strtol(arg)          # apr_strtoff
    if overflow:
        return "DeflateInflateLimitRequestBody is not parsable."
    if end < len(arg) or value < 0:
        return "DeflateInflateLimitRequestBody requires a non-negative integer."
    dc.inflate_limit = value
    return None


_INFLATE_DIRECTIVES = (set_inflate_limit, set_inflate_ratio_limit, set_inflate_ratio_burst)
