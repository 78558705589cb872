"""Weights & Biases: online only with credentials, files inside the run directory, no network otherwise."""

from __future__ import annotations

import netrc
import os
from pathlib import Path

from transferlab.errors import ConfigError
from transferlab.log import get_logger
from transferlab.reporting.files import write_text_atomic

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
    save_dir.mkdir(parents=True, exist_ok=True)
    os.environ["WANDB_MODE"] = mode
    os.environ.setdefault("WANDB_SILENT", "true")
    os.environ["WANDB_DIR"] = str(save_dir)

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


def finish_wandb(failed: bool) -> None:
    """Finish the active W&B run, marking it failed when the job raised, so the next job gets its own run."""
    import sys

    wandb = sys.modules.get("wandb")
    if wandb is None or wandb.run is None:
        return
    wandb.finish(exit_code=1 if failed else 0)
