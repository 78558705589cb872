"""Stop training on the first NaN or infinite loss, before it reaches the weights or a checkpoint."""

from __future__ import annotations

from pathlib import Path

import pytorch_lightning as pl
import torch

from transferlab.errors import NumericalError


class FiniteLossGuard(pl.Callback):
    """Raise `NumericalError` naming the step when the training loss is not finite.

    The check runs before the backward pass, so the optimizer never applies the bad gradients, and
    the exception ends `fit` before the next checkpoint is saved: the last good checkpoint stays.
    """

    def on_before_backward(self, trainer: pl.Trainer, pl_module: pl.LightningModule, loss: torch.Tensor) -> None:
        if torch.isfinite(loss).all():
            return
        checkpoint = _last_saved_checkpoint(trainer)
        raise NumericalError(
            f"training loss is {loss.item()} at global step {trainer.global_step} "
            f"(epoch {trainer.current_epoch}, batch {trainer.fit_loop.epoch_loop.batch_idx}); "
            f"last good checkpoint: {checkpoint or 'none saved yet'}; "
            "lower optimizer.lr, set trainer.gradient_clip_val, or check the input data"
        )


def _last_saved_checkpoint(trainer: pl.Trainer) -> str | None:
    saved = [
        path
        for callback in trainer.checkpoint_callbacks
        for path in (callback.last_model_path, callback.best_model_path)
        if path
    ]
    existing = [Path(path) for path in saved if Path(path).is_file()]
    return str(max(existing, key=lambda path: path.stat().st_mtime_ns)) if existing else None
