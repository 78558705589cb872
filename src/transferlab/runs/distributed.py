"""DDP under Hydra: child processes reuse the parent's run directory, and rank zero gathers results.

Lightning's `ddp` strategy starts ranks 1..N-1 by running the entry point again. Left alone, each
child would compose its own config, create its own timestamped run directory, and in a multirun
start a whole sweep. The parent therefore stores the job's own overrides and its run directory in an
environment variable, and `use_ddp_child_arguments` swaps them in before Hydra parses the command line.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from transferlab.log import get_logger

log = get_logger(__name__)

CHILD_ARGS_VARIABLE = "TRANSFERLAB_DDP_CHILD_ARGS"
# Variables Lightning's launcher sets in the parent process; removed after the job unless set before it.
LAUNCHER_VARIABLES = ("MASTER_ADDR", "MASTER_PORT", "NODE_RANK", "LOCAL_RANK", "WORLD_SIZE")


def _quote(value: str) -> str:
    """Quote an override value so that commas, brackets and `=` in a path stay literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def child_arguments(run_dir: Path) -> list[str]:
    """Return the command-line overrides that make a DDP child run this job in `run_dir`."""
    from hydra.core.hydra_config import HydraConfig

    overrides = list(HydraConfig.get().overrides.task)
    # hydra.mode=RUN because a preset such as hparams_search=optuna_lr switches to MULTIRUN by itself.
    return overrides + [f"hydra.run.dir={_quote(str(run_dir))}", "hydra.output_subdir=null", "hydra.mode=RUN"]


def use_ddp_child_arguments() -> None:
    """In a DDP child started by Lightning, replace the command line with the parent job's overrides."""
    local_rank = os.environ.get("LOCAL_RANK", "0")
    stored = os.environ.get(CHILD_ARGS_VARIABLE)
    if local_rank == "0" or stored is None:
        return
    sys.argv = [sys.argv[0], *json.loads(stored), f"hydra.job.name=ddp_rank{local_rank}"]


class DDPChildLaunch:
    """Context manager around the Lightning calls of one job: exports the child arguments, cleans up after.

    It does nothing outside a Hydra application (tests that call `run_training` directly) or when the
    launcher is external (torchrun, Slurm), where the children never re-run the entry point.
    """

    def __init__(self, run_dir: Path, enabled: bool) -> None:
        self.run_dir = run_dir
        self.enabled = enabled
        self.saved: dict[str, str | None] = {}

    def __enter__(self) -> DDPChildLaunch:
        from hydra.core.hydra_config import HydraConfig

        if not self.enabled or not HydraConfig.initialized():
            self.enabled = False
            return self
        for name in (CHILD_ARGS_VARIABLE, *LAUNCHER_VARIABLES):
            self.saved[name] = os.environ.get(name)
        os.environ[CHILD_ARGS_VARIABLE] = json.dumps(child_arguments(self.run_dir))
        return self

    def __exit__(self, *exc_info) -> None:
        if not self.enabled:
            return
        for name, value in self.saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

        import torch.distributed as dist

        # The next job of a multirun in this process must not find this job's process group.
        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()


def launches_children(strategy, external_launcher: bool) -> bool:
    """Return True when Lightning will start the ranks by re-running the entry point."""
    name = str(strategy).lower()
    return name.startswith("ddp") and "spawn" not in name and "fork" not in name and not external_launcher


def gather_to_rank_zero(trainer, items: list) -> list:
    """Concatenate a per-rank list on every rank (one-process runs return it unchanged)."""
    if trainer.world_size <= 1:
        return items
    import torch.distributed as dist

    gathered: list[list | None] = [None] * trainer.world_size
    dist.all_gather_object(gathered, items)
    return [item for part in gathered for item in (part or [])]
