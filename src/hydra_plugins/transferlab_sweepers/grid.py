"""Grid sweeper: Hydra's basic sweeper, except that a failed job does not stop the sweep.

Hydra's BasicSweeper re-raises the first failed job's exception after its batch, so later batches
never run and `on_multirun_end` callbacks never see the sweep finish. Here every batch runs; failed
jobs are reported by the `transferlab.sweeps.callback.SweepReport` callback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, List, Sequence

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.utils import JobReturn, JobStatus
from omegaconf import OmegaConf

from hydra_plugins.transferlab_sweepers import config  # noqa: F401  (registers the configs)
from hydra_plugins.transferlab_sweepers.naming import exclude_fixed_keys
from transferlab.log import get_logger

log = get_logger(__name__)


class GridSweeper(BasicSweeper):
    def sweep(self, arguments: List[str]) -> Any:
        assert self.config is not None and self.launcher is not None and self.hydra_context is not None

        params = [f"{key}={value}" for key, value in (self.params or {}).items()]
        parser = OverridesParser.create(config_loader=self.hydra_context.config_loader)
        overrides = parser.parse_overrides(params + list(arguments))
        fixed_keys = [o.key_or_group for o in overrides if not o.is_sweep_override() and not o.is_hydra_override()]
        naming = exclude_fixed_keys(self.config, fixed_keys)
        self.overrides = [
            [[*job, naming] for job in batch] for batch in self.split_arguments(overrides, self.max_batch_size)
        ]

        sweep_dir = Path(self.config.hydra.sweep.dir)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, sweep_dir / "multirun.yaml")
        total = sum(len(batch) for batch in self.overrides)
        log.info("Grid sweep of %d jobs in %s", total, sweep_dir)

        returns: List[Sequence[JobReturn]] = []
        initial_job_idx = 0
        while not self.is_done():
            batch = self.get_job_batch()
            self.validate_batch_is_legal(batch)
            results = self.launcher.launch(batch, initial_job_idx=initial_job_idx)
            failed = sum(result.status == JobStatus.FAILED for result in results)
            if failed:
                log.warning("%d of %d jobs in this batch failed; continuing with the sweep", failed, len(results))
            initial_job_idx += len(batch)
            returns.append(results)
        return returns
