"""`transferlab-train` / `python -m transferlab.train`: the Hydra entry point of a training run.

Only Hydra is imported at module level, so `--help` and `--cfg job` stay fast.
"""

from __future__ import annotations

import signal
import sys

import hydra
from omegaconf import DictConfig

from transferlab.config import CONFIG_DIR
from transferlab.errors import RunInterrupted, TransferlabError
from transferlab.log import get_logger

log = get_logger("transferlab.train")


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="train")
def main(cfg: DictConfig) -> float | None:
    from transferlab.runs.training import run_training

    try:
        return run_training(cfg)
    except TransferlabError as error:
        log.error("%s", error)
        sys.exit(1)
    except RunInterrupted as error:
        log.error("Run interrupted (%s); continue it with resume=true and the same run directory", error)
        sys.exit(128 + signal.SIGTERM)


if __name__ == "__main__":
    main()
