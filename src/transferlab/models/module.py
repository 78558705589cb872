"""The LightningModule: one Hugging Face model with a task head, trained with the task's loss and metrics."""

from __future__ import annotations

from collections.abc import Callable

import pytorch_lightning as pl
import torch
from torch.optim import Optimizer
from torchmetrics import MeanMetric

from transferlab.models.optimization import optimization_config
from transferlab.tasks.base import Task

STAGES = ("train", "val", "test")


class TransferModule(pl.LightningModule):
    """Fine-tunes `model` (an `AutoModelFor...` instance) on one task.

    `optimizer` and `scheduler` are partials from the config: the optimizer takes parameter groups,
    the scheduler takes the optimizer and the number of optimizer steps of the whole run.
    """

    # False in methods whose frozen weights are rebuilt from their source (a pretrained directory, a
    # teacher run) each time the module is built: checkpoints then hold the trainable weights only.
    save_frozen_weights = True

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

    def _evaluate(self, batch: dict[str, torch.Tensor], metrics, loss_metric: MeanMetric) -> torch.Tensor:
        # Metrics are only updated here and logged once per epoch: logging metric objects on every
        # step made Lightning move its result collection each batch, about 6% of evaluation time.
        outputs = self(batch)
        self.task.update_metrics(metrics, outputs.logits, batch)
        loss_metric.update(outputs.loss.detach(), weight=batch["input_ids"].shape[0])
        return outputs.logits

    def _log_epoch(self, stage: str, metrics, loss_metric: MeanMetric) -> None:
        """Compute, log and reset one stage's metrics; compute() already syncs them across DDP ranks."""
        values = dict(metrics.compute())
        values[f"{stage}/loss"] = loss_metric.compute()
        metrics.reset()
        loss_metric.reset()
        # No sync_dist: compute() already made the values equal on every rank, despite Lightning's DDP warning.
        self.log_dict(values, prog_bar=stage == "val")

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self._evaluate(batch, self.val_metrics, self.val_loss)

    def on_validation_epoch_end(self) -> None:
        self._log_epoch("val", self.val_metrics, self.val_loss)

    def on_test_epoch_start(self) -> None:
        self.test_predictions, self.test_references = [], []

    def test_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        logits = self._evaluate(batch, self.test_metrics, self.test_loss)
        predictions, references = self.task.gather_predictions(logits, batch)
        self.test_predictions.extend(predictions)
        self.test_references.extend(references)

    def on_test_epoch_end(self) -> None:
        self._log_epoch("test", self.test_metrics, self.test_loss)

    def frozen_state_keys(self) -> set[str]:
        """Return the `state_dict` keys of parameters that are not trained."""
        return {name for name, p in self.named_parameters(remove_duplicate=False) if not p.requires_grad}

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        if self.save_frozen_weights:
            return
        frozen = self.frozen_state_keys()
        checkpoint["state_dict"] = {k: v for k, v in checkpoint["state_dict"].items() if k not in frozen}

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Load a checkpoint; without frozen weights in it, only the frozen parameters may be missing."""
        if self.save_frozen_weights:
            return super().load_state_dict(state_dict, strict=strict, assign=assign)
        result = super().load_state_dict(state_dict, strict=False, assign=assign)
        missing = sorted(set(result.missing_keys) - self.frozen_state_keys())
        if strict and (missing or result.unexpected_keys):
            raise RuntimeError(
                f"checkpoint does not match {type(self).__name__}: missing trainable weights {missing[:5]}, "
                f"unexpected keys {sorted(result.unexpected_keys)[:5]}"
            )
        return result

    def configure_optimizers(self):
        return optimization_config(
            self.model,
            self.optimizer_factory,
            self.scheduler_factory,
            self.weight_decay,
            num_training_steps=int(self.trainer.estimated_stepping_batches),
            precision_plugin=self.trainer.precision_plugin,
        )
