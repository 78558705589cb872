"""The LightningModule: one Hugging Face model with a task head, trained with the task's loss and metrics."""

from __future__ import annotations

from collections.abc import Callable

import pytorch_lightning as pl
import torch
from torch.optim import Optimizer
from torchmetrics import MeanMetric

from transferlab.models.optimization import parameter_groups
from transferlab.tasks.base import Task

STAGES = ("train", "val", "test")


class TransferModule(pl.LightningModule):
    """Fine-tunes `model` (an `AutoModelFor...` instance) on one task.

    `optimizer` and `scheduler` are partials from the config: the optimizer takes parameter groups,
    the scheduler takes the optimizer and the number of optimizer steps of the whole run.
    """

    def __init__(
        self,
        model: torch.nn.Module,
        task: Task,
        id2label: dict[int, str],
        optimizer: Callable[..., Optimizer],
        scheduler: Callable | None = None,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__()
        # from_pretrained returns the model in eval mode, and Lightning keeps each submodule's mode,
        # so dropout would stay off during training without this.
        self.model = model.train()
        self.task = task
        self.id2label = dict(id2label)
        self.optimizer_factory = optimizer
        self.scheduler_factory = scheduler
        self.weight_decay = weight_decay

        metrics = task.build_metrics(len(self.id2label), self.id2label)
        self.val_metrics = metrics.clone(prefix="val/")
        self.test_metrics = metrics.clone(prefix="test/")
        # Example-weighted means, summed across DDP ranks, so they equal a one-process evaluation.
        self.val_loss = MeanMetric()
        self.test_loss = MeanMetric()
        self.test_predictions: list = []
        self.test_references: list = []

    def forward(self, batch: dict[str, torch.Tensor]):
        metadata = self.task.batch_metadata_keys
        return self.model(**{key: value for key, value in batch.items() if key not in metadata})

    def compute_loss(self, batch: dict[str, torch.Tensor], outputs) -> torch.Tensor:
        """Return the training loss; methods such as distillation override this."""
        return outputs.loss

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        outputs = self(batch)
        loss = self.compute_loss(batch, outputs)
        self.log("train/loss", loss, prog_bar=True, batch_size=batch["input_ids"].shape[0])
        return loss

    def _evaluate(self, batch: dict[str, torch.Tensor], stage: str, metrics, loss_metric: MeanMetric) -> torch.Tensor:
        outputs = self(batch)
        batch_size = batch["input_ids"].shape[0]
        self.task.update_metrics(metrics, outputs.logits, batch)
        loss_metric.update(outputs.loss.detach(), weight=batch_size)
        self.log(f"{stage}/loss", loss_metric, batch_size=batch_size)
        self.log_dict(metrics, prog_bar=stage == "val", batch_size=batch_size)
        return outputs.logits

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self._evaluate(batch, "val", self.val_metrics, self.val_loss)

    def on_test_epoch_start(self) -> None:
        self.test_predictions, self.test_references = [], []

    def test_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        logits = self._evaluate(batch, "test", self.test_metrics, self.test_loss)
        predictions, references = self.task.gather_predictions(logits, batch)
        self.test_predictions.extend(predictions)
        self.test_references.extend(references)

    def configure_optimizers(self):
        optimizer = self.optimizer_factory(parameter_groups(self.model, self.weight_decay))
        if self.scheduler_factory is None:
            return optimizer
        # Lightning counts optimizer steps here (gradient accumulation and max_epochs included), and
        # `interval: step` steps the schedule once per optimizer step, not per batch.
        scheduler = self.scheduler_factory(optimizer, num_training_steps=int(self.trainer.estimated_stepping_batches))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step", "frequency": 1}}
