"""Daemon mode (placeholder until the daemon processes land)."""
from __future__ import annotations


def post_config(process, server):
    return True


def child_init(process) -> None:
    pass


def handle(r, settings) -> int:
    return 503
