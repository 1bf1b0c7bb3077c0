"""Connections and their I/O (server/connection.c, core_filters.c): the socket side of a
connection, reading request bodies, writing responses."""
