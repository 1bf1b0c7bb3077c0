import sys

from httpd.cli import main

sys.exit(main(["httpd"] + sys.argv[1:]))
