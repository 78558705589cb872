"""Weights & Biases: online only with credentials, files inside the run directory, no network otherwise."""

from __future__ import annotations

import netrc
import os
from pathlib import Path

from transferlab.errors import ConfigError
from transferlab.log import get_logger

log = get_logger(__name__)

MODES = ("auto", "online", "offline", "disabled")


def has_credentials() -> bool:
    """Return True when an API key is set in the environment or stored in ~/.netrc for the W&B host."""
    if os.environ.get("WANDB_API_KEY"):
        return True
    host = os.environ.get("WANDB_BASE_URL", "https://api.wandb.ai").split("://")[-1].split("/")[0]
    try:
        return netrc.netrc().authenticators(host) is not None
    except (FileNotFoundError, netrc.NetrcParseError, OSError):
        return False


def resolve_mode(mode: str) -> str:
    """Return online/offline/disabled for a configured mode; `auto` is offline without credentials."""
    if mode not in MODES:
        raise ConfigError(f"logger.wandb.mode must be one of {MODES}, got {mode!r}")
    if mode != "auto":
        return mode
    return "online" if has_credentials() else "offline"


def wandb_logger(save_dir: str, project: str, mode: str = "auto", name: str | None = None,
                 group: str | None = None, tags: list[str] | None = None, job_type: str = "train"):
    """Build Lightning's WandbLogger, or return None when W&B is disabled."""
    resolved = resolve_mode(mode)
    if resolved == "disabled":
        return None
    if mode == "auto" and resolved == "offline":
        log.info("No W&B credentials found: logging offline to %s (sync later with `wandb sync`)", save_dir)

    os.environ["WANDB_MODE"] = resolved
    os.environ.setdefault("WANDB_SILENT", "true")
    os.environ.setdefault("WANDB_DIR", str(save_dir))
    Path(save_dir).mkdir(parents=True, exist_ok=True)

    from pytorch_lightning.loggers import WandbLogger

    return WandbLogger(
        save_dir=str(save_dir),
        project=project,
        name=name,
        group=group,
        tags=list(tags or []),
        job_type=job_type,
        offline=resolved == "offline",
        log_model=False,
    )


def finish_wandb(failed: bool) -> None:
    """Finish the active W&B run, marking it failed when the job raised, so the next job gets its own run."""
    import sys

    wandb = sys.modules.get("wandb")
    if wandb is None or wandb.run is None:
        return
    wandb.finish(exit_code=1 if failed else 0)
