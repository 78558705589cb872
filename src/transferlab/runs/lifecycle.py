"""Start, resume and end a run: claim its directory, pick the checkpoint, record the final status.

Rules for a run directory (it is `paths.run_dir`, Hydra's run directory by default):
- a directory without `run.json` is claimed by a new run;
- a directory with `run.json` is never reused silently: `resume=true` continues that run from its
  newest checkpoint (or from `ckpt_path`) with its recorded overrides (`resume_config`), anything
  else is a `ConfigError` that says what to do;
- `ckpt_path=PATH` without `resume` starts a new run from the full training state in PATH.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from transferlab.errors import ConfigError, DataError, RunInterrupted
from transferlab.log import get_logger, process_rank
from transferlab.runs.manifest import (
    RunManifest,
    current_command,
    environment_record,
    hash_data_files,
    now,
    read_manifest,
    start_record,
)

log = get_logger(__name__)

# Keys a resumed run takes from the resuming command, never from the run's recorded config. They
# may differ between a run and its resumption without a warning.
_RESUME_KEYS = ("resume", "ckpt_path", "paths")
# Top-level keys whose values a checkpoint (or the recorded split) already fixes for a resumed run.
_RESTORED_KEYS = ("model", "optimizer", "scheduler", "seed", "data")


@dataclass
class RunStart:
    """The claimed run directory, its manifest, and the checkpoint that training continues from."""

    run_dir: Path
    manifest: RunManifest
    ckpt_path: Path | None
    resumed: bool
    # For a resume: the config and overrides that become the run's record once training has
    # restored the checkpoint (`ResumeCommit`), so a resume that fails first changes nothing.
    pending_record: dict[str, Any] | None = None


def start_run(cfg: DictConfig, run_dir: Path, data_files: list[Path], overrides: list[str] | None = None) -> RunStart:
    """Claim `run_dir` for a new run or reopen it for `resume=true`, and write `run.json`.

    `overrides` are the command-line overrides the config was composed from (None outside Hydra),
    recorded so that a resume can compose the same config again.
    """
    config = OmegaConf.to_container(cfg, resolve=True)
    hashes = hash_data_files(data_files)
    ckpt_path = _explicit_checkpoint(cfg)

    if process_rank() != 0:
        # Lightning's DDP launcher starts the other ranks after rank zero claimed the directory, so
        # they follow its run and leave run.json to rank zero.
        from transferlab.runs.checkpointing import latest_checkpoint

        if cfg.get("resume") and ckpt_path is None:
            ckpt_path = latest_checkpoint(run_dir)
        return RunStart(run_dir, RunManifest(run_dir, {}, writable=False), ckpt_path, resumed=bool(cfg.get("resume")))

    if cfg.get("resume"):
        return _resume(run_dir, config, hashes, ckpt_path, overrides)

    record = start_record(current_command(), config, hashes)
    record["overrides"] = overrides
    if ckpt_path is not None:
        record["started_from_checkpoint"] = str(ckpt_path)
    manifest = RunManifest.claim(run_dir, record)
    log.info("Started run in %s%s", run_dir, f" from {ckpt_path}" if ckpt_path else "")
    return RunStart(run_dir, manifest, ckpt_path, resumed=False)


def _explicit_checkpoint(cfg: DictConfig) -> Path | None:
    value = cfg.get("ckpt_path")
    if value is None:
        return None
    path = Path(str(value)).expanduser().resolve()
    if not path.is_file():
        raise ConfigError(f"ckpt_path={value!r}: no checkpoint file at {path}")
    return path


def _resume(
    run_dir: Path, config: dict[str, Any], hashes: dict[str, str], ckpt_path: Path | None, overrides: list[str] | None
) -> RunStart:
    from transferlab.runs.checkpointing import latest_checkpoint

    previous = read_manifest(run_dir)
    if previous is None:
        raise ConfigError(
            f"resume=true but {run_dir} contains no run (no run.json); set paths.run_dir (or hydra.run.dir) "
            "to the directory of the run to continue"
        )
    _check_resumable(run_dir, previous)
    _check_same_data(run_dir, previous.get("data_files", {}), hashes)
    changes = _warn_config_changes(previous.get("config", {}), config)

    checkpoint = ckpt_path or latest_checkpoint(run_dir)
    manifest = RunManifest(run_dir, previous)
    attempt = {
        "started": now(), "checkpoint": str(checkpoint), "command": current_command(), "overrides": overrides,
        "config_changes": changes, **environment_record(),
    }
    manifest.update(status="running", ended=None, error=None, resumes=[*previous.get("resumes", []), attempt])
    log.info("Resuming the run in %s from %s", run_dir, checkpoint)
    pending = {"config": config, "overrides": overrides} if overrides is not None else {"config": config}
    return RunStart(run_dir, manifest, checkpoint, resumed=True, pending_record=pending)


def _check_resumable(run_dir: Path, previous: dict[str, Any]) -> None:
    status = previous.get("status")
    if status == "completed":
        raise ConfigError(
            f"the run in {run_dir} already completed, so there is nothing to resume; "
            "start a new run without resume=true (pass ckpt_path=PATH to start it from one of its checkpoints)"
        )
    latest = (previous.get("resumes") or [previous])[-1]
    if status == "running" and latest.get("host") == socket.gethostname() and _process_alive(latest.get("pid")):
        raise ConfigError(
            f"the run in {run_dir} is still running (process {latest['pid']}); stop it first or start a new run"
        )


def _process_alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _check_same_data(run_dir: Path, before: dict[str, str], after: dict[str, str]) -> None:
    changed = sorted(path for path in set(before) | set(after) if before.get(path) != after.get(path))
    if changed:
        raise DataError(
            f"the input data of the run in {run_dir} changed since it started: {', '.join(changed[:5])}"
            f"{' ...' if len(changed) > 5 else ''}; restore those files or start a new run"
        )


def _warn_config_changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Warn about every config value a resume changes, outside the resume keys, and return them as text."""
    differences = [
        (key, old, new) for key, old, new in _flat_differences(before, after) if key.split(".")[0] not in _RESUME_KEYS
    ]
    changes = [f"{key}: {old!r} -> {new!r}" for key, old, new in differences]
    if changes:
        log.warning("Resuming with a config that differs from the run's: %s", "; ".join(changes))
    restored = sorted({key.split(".")[0] for key, _, _ in differences} & set(_RESTORED_KEYS))
    if restored:
        log.warning(
            "The checkpoint restores the model weights, optimizer and schedule state and the data split, so changes "
            "under %s may not take effect in this run; start a new run (ckpt_path=PATH) to apply them",
            ", ".join(restored),
        )
    return changes


def _flat_differences(before: Any, after: Any, prefix: str = "") -> Iterator[tuple[str, Any, Any]]:
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after), key=str):
            yield from _flat_differences(before.get(key), after.get(key), f"{prefix}{key}.")
    elif before != after:
        yield prefix.rstrip("."), before, after


@contextmanager
def recorded_status(manifest: RunManifest) -> Iterator[None]:
    """Record how the block ended in `run.json`: completed, failed with the error, or interrupted.

    SIGTERM raises `RunInterrupted` inside the block. Lightning turns Ctrl+C into `SystemExit(1)`
    after its own cleanup, so a non-zero `SystemExit` is recorded as interrupted too.
    """
    restore = _raise_on_sigterm()
    try:
        yield
    except (KeyboardInterrupt, RunInterrupted) as error:
        manifest.finish("interrupted", error)
        raise
    except SystemExit as error:
        if error.code in (0, None):
            manifest.finish("completed")
        else:
            manifest.finish("interrupted", error)
        raise
    except BaseException as error:
        manifest.finish("failed", error)
        raise
    else:
        manifest.finish("completed")
    finally:
        restore()


def _raise_on_sigterm():
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum, frame):
        raise RunInterrupted(f"received signal {signal.Signals(signum).name}")

    previous = signal.signal(signal.SIGTERM, handler)
    return lambda: signal.signal(signal.SIGTERM, previous)
