"""core's default handler: static files, and the methods core answers itself."""
HOOKS: dict = {}
