"""`transferlab-train` / `python -m transferlab.train`: the Hydra entry point of a training run.

Only Hydra is imported at module level, so `--help` and `--cfg job` stay fast.
"""

from __future__ import annotations

import signal
import sys

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from transferlab.config import CONFIG_DIR
from transferlab.errors import RunInterrupted, TransferlabError
from transferlab.log import get_logger
from transferlab.runs.distributed import use_ddp_child_arguments

log = get_logger("transferlab.train")


def _in_multirun() -> bool:
    return HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="train")
def train(cfg: DictConfig) -> float | None:
    """Run one job and return its objective.

    In a multirun every exception goes to Hydra, which records the job as failed and lets the sweep
    continue. A single run turns a user error into one logged message and exit code 1.
    """
    from transferlab.runs.training import run_training

    try:
        return run_training(cfg)
    except TransferlabError as error:
        if _in_multirun():
            raise
        log.error("%s", error)
        sys.exit(1)
    except RunInterrupted as error:
        log.error("Run interrupted (%s); continue it with resume=true and the same run directory", error)
        sys.exit(128 + signal.SIGTERM)


def main() -> None:
    use_ddp_child_arguments()
    train()


if __name__ == "__main__":
    main()
