"""Weights & Biases: online only with credentials, files inside the run directory, no network otherwise."""

from __future__ import annotations

import netrc
import os
import sys
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from transferlab.errors import ConfigError
from transferlab.log import get_logger
from transferlab.reporting.files import write_text_atomic
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


RUN_ID_FILE = "wandb-run-id"  # in the run directory; a resumed run continues the same W&B run
PROBE_TIMEOUT_S = 3.0  # how long the online-mode reachability check waits for the W&B host, in seconds


def wandb_logger(save_dir: str, project: str, mode: str = "auto", name: str | None = None,
                 group: str | None = None, tags: list[str] | None = None, job_type: str = "train"):
    """Build Lightning's WandbLogger, or return None when W&B is disabled or cannot run.

    The W&B run is started here rather than at the first logged value, so that a failure (no network
    in online mode, an unwritable directory) is caught once: online falls back to offline, and
    offline falls back to no W&B, each with one warning. Training never stops for W&B.
    """
    resolved = resolve_mode(mode)
    if resolved == "disabled":
        return None
    if mode == "auto" and resolved == "offline":
        log.info("No W&B credentials found: logging offline to %s (sync later with `wandb sync`)", save_dir)
    if resolved == "online" and not _host_reachable():
        log.warning("W&B host %s is not reachable: logging offline to %s instead (sync later with `wandb sync`)", _base_url(), save_dir)
        resolved = "offline"

    # In a multirun, the run is named after the job directory and grouped by the sweep directory.
    sweep_name, sweep_group = sweep_names()
    name = name or sweep_name
    group = group or sweep_group
    options = {"save_dir": str(save_dir), "project": project, "name": name, "group": group,
               "tags": list(tags or []), "job_type": job_type}
    try:
        return _start_logger(resolved, options)
    except Exception as error:  # noqa: BLE001 -- W&B raises many kinds; none may stop training
        if resolved == "offline":
            log.warning("W&B could not start (%s: %s): training continues without W&B", type(error).__name__, error)
            return None
        log.warning("W&B could not start online (%s: %s): logging offline to %s instead", type(error).__name__, error, save_dir)
    try:
        return _start_logger("offline", options)
    except Exception as error:  # noqa: BLE001
        log.warning("W&B could not start offline either (%s: %s): training continues without W&B", type(error).__name__, error)
        return None


def _start_logger(mode: str, options: dict):
    save_dir = Path(options["save_dir"])
    _prepare_environment(str(save_dir), mode)

    from pytorch_lightning.loggers import WandbLogger

    logger = WandbLogger(
        **options,
        id=_run_id(save_dir),
        resume="allow",
        offline=mode == "offline",
        log_model=False,
    )
    logger.experiment  # starts the W&B run now, so that failures surface here  # noqa: B018
    return logger


def _run_id(save_dir: Path) -> str:
    """Return the W&B run id stored in the run directory, creating and storing a new one the first time."""
    path = save_dir / RUN_ID_FILE
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    import secrets

    run_id = secrets.token_hex(4)
    write_text_atomic(path, run_id + "\n")
    return run_id


def _base_url() -> str:
    return os.environ.get("WANDB_BASE_URL", "https://api.wandb.ai")


def _host_reachable() -> bool:
    """Return True when a TCP connection to the W&B host opens within `PROBE_TIMEOUT_S`."""
    import socket
    from urllib.parse import urlsplit

    url = urlsplit(_base_url())
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname, port), timeout=PROBE_TIMEOUT_S):
            return True
    except OSError:
        return False


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
