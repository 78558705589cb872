"""Loggers that write on the rank-zero process only, before and after Lightning starts."""

from __future__ import annotations

import logging
import os


def process_rank() -> int:
    """Return the global rank from the launcher's environment (0 when not distributed)."""
    for variable in ("RANK", "LOCAL_RANK", "SLURM_PROCID"):
        value = os.environ.get(variable)
        if value is not None and value.isdigit():
            return int(value)
    return 0


class _RankZeroFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return process_rank() == 0


def get_logger(name: str) -> logging.Logger:
    """Return a logger whose records are dropped on every rank but zero."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, _RankZeroFilter) for f in logger.filters):
        logger.addFilter(_RankZeroFilter())
    return logger
