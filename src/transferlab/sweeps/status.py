"""The status record of one job: `status.json` (and `error.txt` for a failure) in its run directory.

`status.json` contains `status` (completed, failed or interrupted), `error` (one line, failures only),
`objective_name`, `objective`, `duration_s` and `finished_at` (ISO 8601, UTC). `error.txt` holds the
full traceback. Sweep summaries and the multirun exit code are computed from these files.
"""

from __future__ import annotations

import json
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from transferlab.reporting.files import write_json_atomic, write_text_atomic

STATUS_FILE = "status.json"
ERROR_FILE = "error.txt"

COMPLETED = "completed"
FAILED = "failed"
INTERRUPTED = "interrupted"


def error_line(error: BaseException) -> str:
    """Return `Type: message` on one line."""
    message = " ".join(str(error).split())
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def write_status(
    run_dir: Path,
    status: str,
    objective_name: str | None = None,
    objective: float | None = None,
    duration_s: float | None = None,
    error: BaseException | None = None,
) -> Path:
    """Write `status.json`, and `error.txt` with the traceback when `error` is given."""
    record: dict[str, Any] = {
        "status": status,
        "objective_name": objective_name,
        "objective": objective,
        "duration_s": None if duration_s is None else round(duration_s, 1),
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    if error is not None:
        record["error"] = error_line(error)
        details = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        write_text_atomic(Path(run_dir) / ERROR_FILE, details)
    return write_json_atomic(Path(run_dir) / STATUS_FILE, record)


def read_status(run_dir: Path) -> dict[str, Any] | None:
    """Return the status record of a run directory, or None when the job never wrote one."""
    path = Path(run_dir) / STATUS_FILE
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))
