"""Make a resume's config the run's record once training has restored the checkpoint."""

from __future__ import annotations

from typing import Any

import pytorch_lightning as pl
from omegaconf import OmegaConf

from transferlab.runs.manifest import RunManifest
from transferlab.runs.resume_config import rewrite_hydra_records


class ResumeCommit(pl.Callback):
    """Writes a resumed run's config and overrides to `run.json` and `.hydra/` when training starts.

    Lightning restores the checkpoint before `on_train_start`, so a resume that fails on a wrong
    config (a checkpoint that does not fit the model, say) leaves the run's record as it was.
    """

    def __init__(self, manifest: RunManifest, record: dict[str, Any]) -> None:
        self.manifest = manifest
        self.record = record

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not trainer.is_global_zero or not self.record:
            return
        self.manifest.update(**self.record)
        if self.record.get("overrides") is not None:
            config = OmegaConf.create(self.record["config"])
            rewrite_hydra_records(config, self.manifest.path.parent, self.record["overrides"])
        self.record = {}
