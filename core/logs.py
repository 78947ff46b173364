"""The course's one logging configuration: loggers named `rnn_course.<domain>` (store, labs, jobs, auth, ...), one
stderr handler with time, level and logger name, and the level from RNN_COURSE_LOG_LEVEL.

Modules log through `logs.get("store")` (or `logging.getLogger("rnn_course.store")`); entry points call
`configure()` once (calling it again only updates the level). Streamlit's own loggers are left alone."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from core import settings

ROOT = "rnn_course"
LEVEL_ENV = "RNN_COURSE_LOG_LEVEL"
LEVELS = ("debug", "info", "warning", "error")
HANDLER_NAME = "rnn_course.stderr"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def get(domain: str) -> logging.Logger:
    """The logger of one part of the course, e.g. get("store") -> "rnn_course.store"."""
    return logging.getLogger(f"{ROOT}.{domain}")


def level(env: dict[str, str] | None = None) -> int:
    """The configured level (default info); raises ValueError naming the variable for anything else."""
    name = str(settings.get(LEVEL_ENV, env))  # a SettingError (a ValueError) names the variable
    return logging.getLevelNamesMapping()[name.upper()]


def configure(stream: TextIO | None = None) -> logging.Logger:
    """Attach the course's handler to the "rnn_course" logger once and set its level; idempotent.

    Records still propagate to the root logger (which Streamlit leaves without handlers), so pytest's caplog and a
    host's own root handler see them too."""
    logger = logging.getLogger(ROOT)
    logger.setLevel(level())
    if not any(h.get_name() == HANDLER_NAME for h in logger.handlers):
        handler = logging.StreamHandler(stream or sys.stderr)
        handler.set_name(HANDLER_NAME)
        handler.setFormatter(logging.Formatter(FORMAT))
        logger.addHandler(handler)
    return logger
