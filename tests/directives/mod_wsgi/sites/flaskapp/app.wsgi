"""A Flask application behind WSGIScriptAlias (the tests' own), wrapped in wsgiref's
validator like every application of the mod_wsgi tests."""
import hashlib
import os
import sys
import warnings
import wsgiref.validate

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from strict_input import sized_reads  # noqa: E402

from flask import Flask, Response, make_response, redirect, request, stream_with_context, url_for

warnings.simplefilter("error", wsgiref.validate.WSGIWarning)
app = Flask(__name__, static_folder=None)


@app.route("/")
def index():
    return "flask index, script_root=" + request.script_root


@app.route("/form", methods=["GET", "POST"])
def form():
    if request.method == "POST":
        resp = redirect(url_for("result"))
        resp.set_cookie("name", request.form["name"])
        return resp
    return '<form method="post"><input name="name"></form>'


@app.route("/result")
def result():
    return "hello " + request.cookies.get("name", "nobody")


@app.route("/upload", methods=["POST"])
def upload():
    f = request.files["file"]
    data = f.read()
    return {"name": f.filename, "size": len(data), "sha": hashlib.sha256(data).hexdigest(),
            "field": request.form.get("field")}


@app.route("/stream")
def stream():
    def gen():
        for i in range(10):
            yield f"line {i}\n"
    return Response(stream_with_context(gen()), mimetype="text/plain")


@app.route("/pid")
def pid():
    return {"pid": os.getpid(), "uid": os.getuid()}


application = wsgiref.validate.validator(sized_reads(app))
