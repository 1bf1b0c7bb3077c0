import os
import sys
import warnings
import wsgiref.validate

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "djproj.settings")
warnings.simplefilter("error", wsgiref.validate.WSGIWarning)

from django.core.wsgi import get_wsgi_application  # noqa: E402
from strict_input import sized_reads  # noqa: E402

application = wsgiref.validate.validator(sized_reads(get_wsgi_application()))
