"""Structured configs of the sweepers, registered in Hydra's `hydra/sweeper` group."""

from dataclasses import dataclass, field
from typing import Dict, Optional

from hydra.core.config_store import ConfigStore

import transferlab.config  # noqa: F401  (registers the resolvers that conf/hydra uses)


@dataclass
class GridSweeperConf:
    _target_: str = "hydra_plugins.transferlab_sweepers.grid.GridSweeper"
    # Jobs launched per batch; null launches the whole grid as one batch.
    max_batch_size: Optional[int] = None
    # Sweep definitions added to the command line ones, e.g. {"optimizer.lr": "1e-5,3e-5"}.
    params: Optional[Dict[str, str]] = None


@dataclass
class OptunaSweeperConf:
    _target_: str = "hydra_plugins.transferlab_sweepers.optuna_sweeper.OptunaSweeper"
    # maximize or minimize (max and min are accepted too).
    direction: str = "maximize"
    # Name of the study inside the storage.
    study_name: str = "transferlab"
    # Optuna storage URL; null stores the study in optuna.db (SQLite) inside the sweep directory.
    storage: Optional[str] = None
    # Trials to finish in total, counting those finished by earlier runs of the same study.
    n_trials: int = 20
    # Trials launched together per batch (in parallel with a parallel launcher).
    n_jobs: int = 1
    # tpe or random.
    sampler: str = "tpe"
    # Seed of the sampler; null draws a fresh seed.
    seed: Optional[int] = None
    # Search space in Hydra's sweep syntax: choice(16,32), interval(0,0.1), tag(log, interval(1e-5,1e-4)), range(0,4).
    params: Dict[str, str] = field(default_factory=dict)


ConfigStore.instance().store(group="hydra/sweeper", name="transferlab_grid", node=GridSweeperConf, provider="transferlab")
ConfigStore.instance().store(group="hydra/sweeper", name="transferlab_optuna", node=OptunaSweeperConf, provider="transferlab")
