"""Shared error handling of the evaluate and predict entry points."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from omegaconf import DictConfig

from transferlab.errors import TransferlabError


def run_or_exit(job: Callable[[DictConfig], object], cfg: DictConfig, log: logging.Logger) -> None:
    """Run `job(cfg)`; a `TransferlabError` is logged, printed as one line and ends the process with exit code 1."""
    try:
        job(cfg)
    except TransferlabError as error:
        log.error("%s", error)
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
