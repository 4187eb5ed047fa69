"""One log format for every process and every logger in it: ours, granian's and Litestar's."""

from __future__ import annotations

import logging.config
from typing import Any

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` schema: every record on stderr in ``LOG_FORMAT``.

    Granian applies it in each of its worker processes (``log_dictconfig``), replacing its own
    ``[INFO] message`` format; the app does not install Litestar's (``logging_config=None``),
    so nothing adds a second one.
    """
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "ticketing",
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"ticketing": {"format": LOG_FORMAT}},
        "handlers": {"console": handler},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Granian's own loggers do not propagate: they need the handler themselves.
            name: {"handlers": ["console"], "level": level, "propagate": False}
            for name in ("_granian", "granian.access")
        },
    }


def configure_logging() -> None:
    """For processes that granian does not start (the worker, the operations)."""
    logging.config.dictConfig(logging_config())
