"""`transferlab-predict` / `python -m transferlab.predict`: label new text with a finished run's model.

Only Hydra is imported at module level, so `--help` stays fast.
"""

from __future__ import annotations

import hydra
from omegaconf import DictConfig

from transferlab.config import CONFIG_DIR
from transferlab.entry import run_or_exit
from transferlab.log import get_logger

log = get_logger("transferlab.predict")


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="predict")
def main(cfg: DictConfig) -> None:
    from transferlab.runs.prediction import run_prediction

    run_or_exit(run_prediction, cfg, log)


if __name__ == "__main__":
    main()
