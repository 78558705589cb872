"""`run.json`: what a run was started with, on what, from which data, and how it ended.

The file is the one record of a run's status (`running`, `completed`, `failed`, `interrupted`), so
sweep tooling and a later resume read it instead of guessing from other files. It is never imported
with torch, so it can be written before anything heavy is loaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from transferlab.errors import ConfigError, DataError
from transferlab.reporting.files import default_file_mode, write_json_atomic

MANIFEST_NAME = "run.json"
STATUSES = ("running", "completed", "failed", "interrupted")
KEY_PACKAGES = (
    "transferlab", "torch", "transformers", "tokenizers", "pytorch-lightning", "hydra-core", "omegaconf",
    "safetensors", "peft", "wandb", "numpy",
)
_SOURCE_DIR = Path(__file__).resolve().parent


def now() -> str:
    """Return the current UTC time in ISO 8601 with seconds."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def sha256_file(path: Path) -> str:
    """Return the hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def hash_data_files(paths: list[Path]) -> dict[str, str]:
    """Return {absolute path: SHA-256} for every input data file."""
    missing = [path for path in paths if not path.is_file()]
    if missing:
        raise DataError(f"data file not found: {missing[0]}")
    return {str(path): sha256_file(path) for path in sorted(paths)}


def git_state(directory: Path = _SOURCE_DIR) -> dict[str, Any]:
    """Return the commit of the source tree and whether it has uncommitted changes (None outside git)."""
    def git(*args: str) -> str | None:
        try:
            completed = subprocess.run(
                ["git", "-C", str(directory), *args], capture_output=True, text=True, timeout=10, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return completed.stdout.strip() if completed.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}


def package_versions(names: tuple[str, ...] = KEY_PACKAGES) -> dict[str, str | None]:
    """Return installed versions from package metadata, without importing the packages."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def read_manifest(run_dir: Path) -> dict[str, Any] | None:
    """Return the parsed `run.json` of a run directory, or None when there is none."""
    path = run_dir / MANIFEST_NAME
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ConfigError(f"{path} is not a readable run manifest ({error}); move it away or use another run directory") from None


class RunManifest:
    """The `run.json` of one run directory, rewritten atomically at every change."""

    def __init__(self, run_dir: Path, record: dict[str, Any], writable: bool = True) -> None:
        self.path = run_dir / MANIFEST_NAME
        self.record = record
        self.writable = writable  # False on DDP ranks other than zero

    @classmethod
    def claim(cls, run_dir: Path, record: dict[str, Any]) -> RunManifest:
        """Create `run.json` in a directory that has none; raise if another run got there first.

        The file is written beside its target and hard-linked into place, which fails when the name
        exists, so two processes started on the same directory cannot both claim it.
        """
        manifest = cls(run_dir, record)
        run_dir.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=run_dir, prefix=f".{MANIFEST_NAME}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
            os.chmod(temporary, default_file_mode())
            os.link(temporary, manifest.path)
        except FileExistsError:
            raise ConfigError(already_used_message(run_dir)) from None
        finally:
            Path(temporary).unlink(missing_ok=True)
        return manifest

    def update(self, **fields: Any) -> None:
        self.record.update(fields)
        if self.writable:
            write_json_atomic(self.path, self.record)

    def finish(self, status: str, error: BaseException | None = None) -> None:
        """Record the final status, the end time and, for failures, the error type and message."""
        if status not in STATUSES:
            raise ValueError(f"unknown run status {status!r}; expected one of {STATUSES}")
        fields: dict[str, Any] = {"status": status, "ended": now()}
        if error is not None:
            fields["error"] = {"type": type(error).__name__, "message": str(error)}
        self.update(**fields)


def already_used_message(run_dir: Path) -> str:
    return (
        f"run directory {run_dir} already contains a run ({MANIFEST_NAME} exists); continue it with "
        f"`resume=true` and the same directory, or start a new run in a directory of its own "
        "(leave paths.run_dir and hydra.run.dir at their defaults, or point them at a new folder)"
    )


def environment_record() -> dict[str, Any]:
    """Return the host, Python, git and package facts of this process."""
    return {
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "git": git_state(),
        "packages": package_versions(),
    }


def start_record(command: list[str], config: dict[str, Any], data_files: dict[str, str]) -> dict[str, Any]:
    """Return the first content of `run.json` for a run that starts now."""
    return {
        "status": "running",
        "started": now(),
        "ended": None,
        "command": command,
        "cwd": os.getcwd(),
        "config": config,
        "data_files": data_files,
        **environment_record(),
        "accelerator": None,
        "resumes": [],
    }


def current_command() -> list[str]:
    return [sys.executable, *sys.argv]
