"""Subcommands of ``ticketing``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    summary: str
    configure: Callable[[argparse.ArgumentParser], None]
    """Adds the subcommand's own options."""
    run: Callable[[argparse.Namespace], int]
    """Does the work; answers the process exit code."""
    settings: tuple[str, ...] = ()
    """The settings (``ticketing_entrypoints.settings``) it reads, listed by its ``--help``."""
