"""`transferlab-eval` / `python -m transferlab.evaluate`: score a finished run on a split or a labelled file.

Only Hydra is imported at module level, so `--help` stays fast.
"""

from __future__ import annotations

import hydra
from omegaconf import DictConfig

from transferlab.config import CONFIG_DIR
from transferlab.entry import run_or_exit
from transferlab.log import get_logger

log = get_logger("transferlab.evaluate")


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="evaluate")
def main(cfg: DictConfig) -> None:
    from transferlab.runs.evaluation import run_evaluation

    run_or_exit(run_evaluation, cfg, log)


if __name__ == "__main__":
    main()
