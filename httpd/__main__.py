import sys

from httpd.main.cli import main

sys.exit(main(["httpd"] + sys.argv[1:]))
