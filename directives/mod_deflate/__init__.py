"""mod_deflate (modules/filters/mod_deflate.c): the DEFLATE output filter.

The filter registers itself by name (AP_FTYPE_CONTENT_SET, as register_hooks does) with the core's
filter chain (httpd.http.filter); SetOutputFilter, AddOutputFilter and mod_filter's
AddOutputFilterByType/FilterProvider add it by that name.

It decides as deflate_out_filter does, in its order: a body known to be no longer than
68 bytes is not compressed (and gets no Vary); nor a subrequest, a 204, a request with
``no-gzip`` in its environment, or a response that already has a Content-Range; nor a
type other than text/html when ``gzip-only-text/html`` is 1; nor a response whose
Content-Encoding is already something else than identity/7bit/8bit/binary.  Then
``Vary: Accept-Encoding`` is merged, and unless ``force-gzip`` is set the
Accept-Encoding field must name gzip (Apache's own scan: the first ``gzip`` token, and
``q=0`` refuses; ``*`` and ``identity`` do not ask for it).  Compressing sets
Content-Encoding, removes Content-Length and Content-MD5, and changes the ETag as
DeflateAlterETag says (``"...-gzip"`` by default).  The output is gzip framing as
mod_deflate writes it (the 10-byte header with OS code 3, raw deflate with
DeflateWindowSize/DeflateMemLevel/DeflateCompressionLevel, CRC-32 and length), passed
on every DeflateBufferSize bytes: a response that compresses into one buffer goes out
with a Content-Length (and ranges apply to the compressed bytes, as Apache's byterange
filter applies them); a longer one streams, chunked.  DeflateFilterNote's notes are
set at the end, for the access log.

The INFLATE output filter (inflate_out_filter) undoes a gzip Content-Encoding for
clients: check_gzip takes gzip (or x-gzip) off the encoding, Content-Length and
Content-MD5 go, the ETag gets ``-gunzip``; the header is checked (not deflated: passed
as it is, AH01404; bad magic AH01405; reserved flags AH02620), the optional fields are
skipped, the CRC and length verified (AH01399, AH01400, AH01401), and
DeflateInflateRatioLimit/DeflateInflateRatioBurst stop a stream that inflates too
much (AH02650).  A broken stream ends the response (before its first byte: a 500).

The DEFLATE input filter (deflate_in_filter) inflates a request body sent with a gzip
Content-Encoding for the handler that reads it (SetInputFilter DEFLATE, AddInputFilter):
only on the initial request and without a Content-Range; check_gzip takes gzip off the
request's Content-Encoding, and Content-Length and Content-MD5 go once the body's first
bytes are read.  Its errors are Apache's log lines, and the handler's read fails with
ap_map_http_request_error's status: 413 when the inflated body passes
DeflateInflateLimitRequestBody (LimitRequestBody when that is 0, AH02647/AH02648), 400
otherwise (a short header AH02619, bad magic AH01387, reserved flags AH01388, a zlib
error AH01391/AH01392, the ratio limit AH02649, the CRC AH01394 or length AH01395, the
stream cut short AH02481, data after its end AH02482/AH02485).
"""
from __future__ import annotations

from httpd.http.filter import (AP_FTYPE_CONTENT_SET, AP_FTYPE_RESOURCE, register_input_filter,
                               register_output_filter)
from httpd.module import Module

from directives.mod_deflate.config import (FILTER_NAME, MODULE_NAME, _INFLATE_DIRECTIVES,
                                           create_dir_config, create_server_config,
                                           merge_dir_config, merge_server_config, set_buffer_size,
                                           set_compressionlevel, set_etag, set_memlevel,
                                           set_note, set_window_size)
from directives.mod_deflate.deflate import deflate_out_filter
from directives.mod_deflate.inflate import deflate_in_filter, inflate_out_filter

register_output_filter(FILTER_NAME, deflate_out_filter, AP_FTYPE_CONTENT_SET, module=MODULE_NAME)
register_input_filter(FILTER_NAME, deflate_in_filter, AP_FTYPE_CONTENT_SET, module=MODULE_NAME)
register_output_filter("INFLATE", inflate_out_filter, AP_FTYPE_RESOURCE - 1,
                       module=MODULE_NAME)


MODULE = Module(
    MODULE_NAME, "mod_deflate.c",
    (set_note, set_window_size, set_buffer_size, set_memlevel, set_compressionlevel)
    + _INFLATE_DIRECTIVES + (set_etag,),
    create_dir_config=create_dir_config,
    merge_dir_config=merge_dir_config,
    create_server_config=create_server_config,
    merge_server_config=merge_server_config,
    doc="Compress content before it is delivered to the client",
)
