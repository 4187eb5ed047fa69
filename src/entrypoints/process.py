"""This process's name among its peers."""

from __future__ import annotations

import os
import socket


def process_name(role: str) -> str:
    """``role@host:pid``: names this process where several claim work (outbox entries) or
    send records (dead letters), so that an operator can tell which one it was."""
    return f"{role}@{socket.gethostname()}:{os.getpid()}"
