"""core's request-time hooks (translate_name, map_to_storage, ...)."""
HOOKS: dict = {}
