"""The HTTP module (modules/http/): request processing, the header filter, ranges,
conditional requests, error responses, status lines."""
