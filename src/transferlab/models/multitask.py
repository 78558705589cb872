"""Multi-task models: one shared encoder, one Hugging Face task model (head) per task, one LightningModule."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping

import pytorch_lightning as pl
import torch
from torch import nn
from torch.optim import Optimizer
from torchmetrics import MeanMetric

from transferlab.log import get_logger
from transferlab.models.optimization import optimization_config
from transferlab.tasks.base import Task

log = get_logger(__name__)


def share_encoder(models: Mapping[str, nn.Module]) -> nn.Module:
    """Make every task model use the same encoder module and return that encoder.

    Each task model stays a complete `AutoModelFor...` instance (its own head, the shared encoder),
    so it can be saved with `save_pretrained` and loaded on its own. The encoder with the most
    parameters is kept: a sequence classification encoder has a pooler that a token
    classification encoder lacks, and the pooler must survive for the heads that read it.
    """
    encoders = {name: model.base_model for name, model in models.items()}
    kinds = {type(encoder).__name__ for encoder in encoders.values()}
    if len(kinds) > 1:
        raise ValueError(f"task models have different encoder classes {sorted(kinds)}; they cannot share one")

    shared_name = max(encoders, key=lambda name: sum(p.numel() for p in encoders[name].parameters()))
    shared = encoders[shared_name]
    for model in models.values():
        setattr(model, model.base_model_prefix, shared)
    return shared


class MultiTaskModule(pl.LightningModule):
    """Lightning module training one head per task on a shared encoder; a training batch is `(task name, batch)`.

    Metrics are logged per task as `<stage>/<task>/<metric>` and, for every metric all tasks have,
    as their unweighted mean `<stage>/<metric>` (so `val/acc` can pick the best checkpoint).
    Evaluation loaders come one per task in the order of `tasks`.
    """

    def __init__(
        self,
        models: Mapping[str, nn.Module],
        tasks: Mapping[str, Task],
        id2labels: Mapping[str, dict[int, str]],
        optimizer: Callable[..., Optimizer],
        scheduler: Callable | None = None,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__()
        # from_pretrained returns models in eval mode, and Lightning keeps each submodule's mode.
        self.models = nn.ModuleDict({name: model.train() for name, model in models.items()})
        self.tasks = dict(tasks)
        self.task_names = list(self.tasks)
        self.id2labels = {name: dict(id2labels[name]) for name in self.task_names}
        self.optimizer_factory = optimizer
        self.scheduler_factory = scheduler
        self.weight_decay = weight_decay

        self.metrics = nn.ModuleDict()
        self.losses = nn.ModuleDict()
        for stage in ("val", "test"):
            for name, task in self.tasks.items():
                metrics = task.build_metrics(len(self.id2labels[name]), self.id2labels[name])
                self.metrics[f"{stage}_{name}"] = metrics.clone(prefix=f"{stage}/{name}/")
                self.losses[f"{stage}_{name}"] = MeanMetric()
        self.test_predictions: dict[str, list] = {}
        self.test_references: dict[str, list] = {}

    def forward(self, name: str, batch: dict[str, torch.Tensor]):
        metadata = self.tasks[name].batch_metadata_keys
        return self.models[name](**{key: value for key, value in batch.items() if key not in metadata})

    def training_step(self, batch: tuple[str, dict[str, torch.Tensor]], batch_idx: int) -> torch.Tensor:
        name, inputs = batch
        outputs = self(name, inputs)
        batch_size = inputs["input_ids"].shape[0]
        self.log("train/loss", outputs.loss, prog_bar=True, batch_size=batch_size)
        self.log(f"train/{name}/loss", outputs.loss, batch_size=batch_size)
        return outputs.loss

    def _evaluate(self, batch: dict[str, torch.Tensor], stage: str, dataloader_idx: int) -> tuple[str, torch.Tensor]:
        name = self.task_names[dataloader_idx]
        outputs = self(name, batch)
        self.tasks[name].update_metrics(self.metrics[f"{stage}_{name}"], outputs.logits, batch)
        self.losses[f"{stage}_{name}"].update(outputs.loss, weight=batch["input_ids"].shape[0])
        return name, outputs.logits

    def _log_epoch(self, stage: str) -> None:
        """Compute, log and reset each task's metrics, then log the mean of those every task shares."""
        values: dict[str, torch.Tensor] = {}
        by_metric: dict[str, list[torch.Tensor]] = defaultdict(list)
        for name in self.task_names:
            computed = dict(self.metrics[f"{stage}_{name}"].compute())
            computed[f"{stage}/{name}/loss"] = self.losses[f"{stage}_{name}"].compute()
            self.metrics[f"{stage}_{name}"].reset()
            self.losses[f"{stage}_{name}"].reset()
            for key, value in computed.items():
                values[key] = value
                by_metric[key.rsplit("/", 1)[1]].append(value)

        for metric, task_values in by_metric.items():
            if len(task_values) == len(self.task_names):
                values[f"{stage}/{metric}"] = torch.stack([v.float() for v in task_values]).mean()
        # torchmetrics' compute() already synchronises across processes.
        self.log_dict(values, prog_bar=False)

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int, dataloader_idx: int = 0) -> None:
        self._evaluate(batch, "val", dataloader_idx)

    def on_validation_epoch_end(self) -> None:
        self._log_epoch("val")

    def on_test_epoch_start(self) -> None:
        self.test_predictions = {name: [] for name in self.task_names}
        self.test_references = {name: [] for name in self.task_names}

    def test_step(self, batch: dict[str, torch.Tensor], batch_idx: int, dataloader_idx: int = 0) -> None:
        name, logits = self._evaluate(batch, "test", dataloader_idx)
        predictions, references = self.tasks[name].gather_predictions(logits, batch)
        self.test_predictions[name].extend(predictions)
        self.test_references[name].extend(references)

    def on_test_epoch_end(self) -> None:
        self._log_epoch("test")

    def configure_optimizers(self):
        return optimization_config(
            self.models,
            self.optimizer_factory,
            self.scheduler_factory,
            self.weight_decay,
            num_training_steps=int(self.trainer.estimated_stepping_batches),
            precision_plugin=self.trainer.precision_plugin,
        )
