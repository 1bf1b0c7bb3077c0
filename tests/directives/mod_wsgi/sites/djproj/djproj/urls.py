import hashlib

from django.http import HttpResponse, HttpResponseRedirect, JsonResponse, StreamingHttpResponse
from django.middleware.csrf import get_token
from django.urls import path


def index(request):
    return HttpResponse("django index, script_name=" + request.META["SCRIPT_NAME"])


def form(request):
    if request.method == "POST":
        request.session["name"] = request.POST["name"]
        return HttpResponseRedirect(request.build_absolute_uri("result"))
    token = get_token(request)
    return HttpResponse(f'<form method="post"><input type="hidden" '
                        f'name="csrfmiddlewaretoken" value="{token}"></form>')


def result(request):
    return HttpResponse("hello " + request.session.get("name", "nobody"))


def upload(request):
    f = request.FILES["file"]
    data = f.read()
    return JsonResponse({"name": f.name, "size": len(data),
                         "sha": hashlib.sha256(data).hexdigest()})


def stream(request):
    return StreamingHttpResponse((f"line {i}\n" for i in range(10)), content_type="text/plain")


urlpatterns = [path("", index), path("form", form), path("result", result),
               path("upload", upload), path("stream", stream)]
