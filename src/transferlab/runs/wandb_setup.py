"""Weights & Biases: online only with credentials, files inside the run directory, no network otherwise."""

from __future__ import annotations

import netrc
import os
import sys
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from transferlab.errors import ConfigError
from transferlab.log import get_logger
from transferlab.sweeps.status import error_line

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


def sweep_names() -> tuple[str | None, str | None]:
    """Return (run name, group) for a multirun job: its directory name and the sweep directory's name.

    Outside a Hydra multirun both are None, so W&B picks a run name and no group is set.
    """
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    if not HydraConfig.initialized():
        return None, None
    hydra_cfg = HydraConfig.get()
    if hydra_cfg.mode != RunMode.MULTIRUN:
        return None, None
    return Path(hydra_cfg.runtime.output_dir).name, Path(hydra_cfg.sweep.dir).name


def _prepare_environment(save_dir: str, resolved: str) -> None:
    os.environ["WANDB_MODE"] = resolved
    os.environ.setdefault("WANDB_SILENT", "true")
    # Each job of a sweep writes into its own run directory, so the directory is set, not defaulted.
    os.environ["WANDB_DIR"] = str(save_dir)
    Path(save_dir).mkdir(parents=True, exist_ok=True)


def wandb_logger(save_dir: str, project: str, mode: str = "auto", name: str | None = None,
                 group: str | None = None, tags: list[str] | None = None, job_type: str = "train"):
    """Build Lightning's WandbLogger, or return None when W&B is disabled.

    In a multirun, `name` defaults to the job's directory name (its number and overrides) and
    `group` to the sweep directory's name.
    """
    resolved = resolve_mode(mode)
    if resolved == "disabled":
        return None
    if mode == "auto" and resolved == "offline":
        log.info("No W&B credentials found: logging offline to %s (sync later with `wandb sync`)", save_dir)

    sweep_name, sweep_group = sweep_names()
    name = name or sweep_name
    group = group or sweep_group
    _prepare_environment(save_dir, resolved)

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


def finish_wandb(error: BaseException | None = None) -> bool:
    """Finish the active W&B run so the next job gets its own; with `error` it is marked failed.

    Returns False when no W&B run was active.
    """
    wandb = sys.modules.get("wandb")
    if wandb is None or wandb.run is None:
        return False
    if error is not None:
        wandb.run.summary["error"] = error_line(error)
    wandb.finish(exit_code=1 if error is not None else 0)
    return True


def record_failed_run(cfg: DictConfig, error: BaseException) -> None:
    """Create a W&B run marked failed for a job that failed before its logger started (e.g. a bad value).

    Does nothing unless `logger.wandb` is configured and not disabled.
    """
    settings = OmegaConf.select(cfg, "logger.wandb")
    if settings is None or settings.get("_target_") != f"{__name__}.wandb_logger":
        return
    try:
        resolved = resolve_mode(settings.get("mode", "auto"))
        save_dir = str(settings.save_dir)
    except Exception as unusable:  # the broken value may sit in these very settings
        log.warning("Could not record the failure in W&B: %s", unusable)
        return
    if resolved == "disabled":
        return
    sweep_name, sweep_group = sweep_names()
    _prepare_environment(save_dir, resolved)

    import wandb

    try:
        config = OmegaConf.to_container(cfg, resolve=True)
    except Exception:
        config = OmegaConf.to_container(cfg, resolve=False)
    wandb.init(
        dir=save_dir,
        project=settings.project,
        name=settings.get("name") or sweep_name,
        group=settings.get("group") or sweep_group,
        tags=list(settings.get("tags") or []),
        job_type=settings.get("job_type", "train"),
        mode=resolved,
        config=config,
    )
    finish_wandb(error)
