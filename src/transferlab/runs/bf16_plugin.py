"""Lightning's bf16 autocast plugin, changed to allow fused optimizers and to cast weights once per evaluation."""

from __future__ import annotations

from collections.abc import Generator
from contextlib import contextmanager

import pytorch_lightning as pl
import torch
from pytorch_lightning.plugins.precision import MixedPrecision, Precision
from pytorch_lightning.utilities import GradClipAlgorithmType
from torch.optim import Optimizer


class BF16MixedPrecision(MixedPrecision):
    """bf16 autocast (`precision=bf16-mixed`) that accepts a fused optimizer with gradient clipping.

    Lightning's `MixedPrecision` rejects clipping whenever the optimizer unscales gradients inside
    its own step, as fused AdamW does. That only matters with a float16 loss scaler. bf16 uses
    none, so the gradients are already at their true scale when they are clipped.

    Lightning also enters autocast anew, with its cast cache off, for every step. In evaluation
    that casts every weight matrix to bf16 again for each batch. `EvaluationAutocast` instead
    holds one autocast context, with the cache on, around a whole evaluation pass, and the steps
    inside it add none of their own.
    """

    def __init__(self, device: str) -> None:
        super().__init__("bf16-mixed", device)
        self._evaluation_autocast: torch.autocast | None = None

    def clip_gradients(
        self,
        optimizer: Optimizer,
        clip_val: int | float = 0.0,
        gradient_clip_algorithm: GradClipAlgorithmType = GradClipAlgorithmType.NORM,
    ) -> None:
        Precision.clip_gradients(self, optimizer, clip_val, gradient_clip_algorithm)

    @contextmanager
    def forward_context(self) -> Generator[None, None, None]:
        if self._evaluation_autocast is not None:
            yield
            return
        with self.autocast_context_manager():
            yield

    def start_evaluation(self) -> None:
        """Enter the autocast context of an evaluation pass; the weights' bf16 copies are cached until `end_evaluation`."""
        if self._evaluation_autocast is None:
            self._evaluation_autocast = torch.autocast(self.device, dtype=torch.bfloat16, cache_enabled=True)
            self._evaluation_autocast.__enter__()

    def end_evaluation(self) -> None:
        """Leave the evaluation pass's autocast context, which frees the cached bf16 weights."""
        if self._evaluation_autocast is not None:
            context, self._evaluation_autocast = self._evaluation_autocast, None
            context.__exit__(None, None, None)


class EvaluationAutocast(pl.Callback):
    """Runs each validation, test and predict pass under one autocast context when the trainer uses `BF16MixedPrecision`.

    The context is left at the end of the pass and also when the pass raises, so autocast never
    stays on for code that runs after the trainer, such as the next job of a sweep.
    """

    @staticmethod
    def _plugin(trainer: pl.Trainer) -> BF16MixedPrecision | None:
        plugin = trainer.precision_plugin
        return plugin if isinstance(plugin, BF16MixedPrecision) else None

    def _start(self, trainer: pl.Trainer) -> None:
        if plugin := self._plugin(trainer):
            plugin.start_evaluation()

    def _end(self, trainer: pl.Trainer) -> None:
        if plugin := self._plugin(trainer):
            plugin.end_evaluation()

    def on_validation_start(self, trainer, pl_module) -> None:
        self._start(trainer)

    def on_validation_end(self, trainer, pl_module) -> None:
        self._end(trainer)

    def on_test_start(self, trainer, pl_module) -> None:
        self._start(trainer)

    def on_test_end(self, trainer, pl_module) -> None:
        self._end(trainer)

    def on_predict_start(self, trainer, pl_module) -> None:
        self._start(trainer)

    def on_predict_end(self, trainer, pl_module) -> None:
        self._end(trainer)

    def on_exception(self, trainer, pl_module, exception: BaseException) -> None:
        self._end(trainer)
