"""Logs (server/log.c): the error log, its format items and sinks, piped logs, start-up
messages."""
