"""Between wsgiref's validator and a framework: the validator holds applications to WSGI
1.0's input rules (read() only with a size), while Werkzeug and Django read the whole
body with read() when the server says wsgi.input_terminated (as mod_wsgi and this
server do).  This shim turns such a read() into sized reads, so the validator still
checks every call that reaches the server's wsgi.input."""


class SizedReads:
    def __init__(self, inner):
        self.inner = inner

    def read(self, size=-1):
        if size is None or size < 0:
            out = []
            while True:
                data = self.inner.read(65536)
                if not data:
                    return b"".join(out)
                out.append(data)
        return self.inner.read(size)

    def readline(self, size=-1):
        return self.inner.readline() if size is None or size < 0 else self.inner.readline(size)

    def readlines(self, hint=-1):
        return self.inner.readlines() if hint is None or hint < 0 else self.inner.readlines(hint)

    def __iter__(self):
        return iter(self.inner)


def sized_reads(app):
    def wrapped(environ, start_response):
        environ["wsgi.input"] = SizedReads(environ["wsgi.input"])
        return app(environ, start_response)
    return wrapped
