"""`transferlab-predict` / `python -m transferlab.predict`: label new text with a finished run's model.

Only Hydra is imported at module level, so `--help` stays fast.
"""

from __future__ import annotations

import sys

import hydra
from omegaconf import DictConfig

from transferlab.config import CONFIG_DIR
from transferlab.errors import TransferlabError
from transferlab.log import get_logger

log = get_logger("transferlab.predict")


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="predict")
def main(cfg: DictConfig) -> None:
    from transferlab.runs.prediction import run_prediction

    try:
        run_prediction(cfg)
    except TransferlabError as error:
        log.error("%s", error)
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
