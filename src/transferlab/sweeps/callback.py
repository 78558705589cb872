"""Hydra callback that keeps a failed job local to its directory and reports the multirun at the end."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hydra.core.utils import JobReturn, JobStatus
from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from transferlab.log import get_logger
from transferlab.sweeps.status import COMPLETED, ERROR_FILE, FAILED, INTERRUPTED, error_line, read_status, write_status

log = get_logger(__name__)


class SweepReport(Callback):
    """Record every failed job in its directory, then write the sweep summary and set the exit code.

    The multirun exits with code 1, naming the jobs, when any job failed or left no status record.
    Jobs marked interrupted by an earlier process (a resumed Optuna search reruns them) do not count.
    """

    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs: Any) -> None:
        if job_return.status != JobStatus.FAILED:
            return
        run_dir = Path(config.hydra.runtime.output_dir)
        error = job_return._return_value
        # The training pipeline writes its own record; this covers errors raised before it started.
        if read_status(run_dir) is None:
            write_status(run_dir, FAILED, error=error)
        log.error("Job %s failed: %s (traceback in %s)", run_dir.name, error_line(error), run_dir / ERROR_FILE)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        from transferlab.sweeps.summary import MARKDOWN_FILE, summarize

        sweep_dir = Path(config.hydra.sweep.dir)
        rows = summarize(sweep_dir)
        failed = [row for row in rows if row.status not in (COMPLETED, INTERRUPTED)]
        completed = sum(row.status == COMPLETED for row in rows)
        log.info("Sweep finished: %d of %d jobs completed; summary in %s", completed, len(rows), sweep_dir / MARKDOWN_FILE)
        if not failed:
            return
        lines = [f"  {row.job}: {row.status}{': ' + row.error if row.error else ''}" for row in failed]
        message = f"{len(failed)} of {len(rows)} jobs failed (details in each job's {ERROR_FILE}):\n" + "\n".join(lines)
        log.error("%s", message)
        print(f"error: {message}", file=sys.stderr)
        sys.exit(1)
