"""Compose the default training config and run its checks, as the entry point does before any model work.

`python -m benchmarks.validate_config [OVERRIDE ...]` exits with 1 and the message on an invalid config.
The compose API runs without Hydra's runtime, so `paths.run_dir` is set to a placeholder that is
never created.
"""

from __future__ import annotations

import sys

from hydra import compose, initialize_config_dir
from omegaconf import open_dict

from transferlab.config import CONFIG_DIR
from transferlab.config.checks import check_config
from transferlab.errors import ConfigError


def main(overrides: list[str]) -> int:
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(config_name="train", overrides=overrides)
    with open_dict(cfg):
        cfg.paths.run_dir = "/nonexistent/run_dir"
    try:
        check_config(cfg)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print("config is valid")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
