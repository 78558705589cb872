"""Optimizer parameter groups and learning-rate schedules stepped once per optimizer step."""

from __future__ import annotations

import math
from functools import partial

from torch import nn
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR

from transferlab.errors import ConfigError
from transferlab.log import get_logger

log = get_logger(__name__)


def parameter_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Split trainable parameters into a decayed group and one without decay (biases, LayerNorm weights)."""
    no_decay_ids = set()
    for module in model.modules():
        if isinstance(module, nn.LayerNorm):
            no_decay_ids.update(id(p) for p in module.parameters(recurse=False))
    for name, parameter in model.named_parameters():
        if name.endswith(".bias"):
            no_decay_ids.add(id(parameter))

    decay, no_decay = [], []
    for parameter in model.parameters():
        if parameter.requires_grad:
            (no_decay if id(parameter) in no_decay_ids else decay).append(parameter)
    return [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]


def _warmup_steps(num_training_steps: int, warmup_ratio: float, warmup_steps: int | None) -> int:
    if warmup_steps is not None:
        if warmup_steps < 0:
            raise ConfigError(f"scheduler.warmup_steps must be >= 0, got {warmup_steps}")
        return warmup_steps
    if not 0.0 <= warmup_ratio < 1.0:
        raise ConfigError(f"scheduler.warmup_ratio must be in [0, 1), got {warmup_ratio}")
    return math.ceil(num_training_steps * warmup_ratio)


def linear_warmup_decay(
    optimizer: Optimizer, num_training_steps: int, warmup_ratio: float = 0.0, warmup_steps: int | None = None
) -> LambdaLR:
    """Linear warm-up from 0 to the base learning rate, then linear decay to 0 at the last step."""
    warmup = _warmup_steps(num_training_steps, warmup_ratio, warmup_steps)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / (warmup + 1)
        remaining = max(1, num_training_steps - warmup)
        return max(0.0, (num_training_steps - step) / remaining)

    return LambdaLR(optimizer, factor)


def constant_with_warmup(
    optimizer: Optimizer, num_training_steps: int, warmup_ratio: float = 0.0, warmup_steps: int | None = None
) -> LambdaLR:
    """Linear warm-up, then the base learning rate until the end."""
    warmup = _warmup_steps(num_training_steps, warmup_ratio, warmup_steps)
    return LambdaLR(optimizer, lambda step: (step + 1) / (warmup + 1) if step < warmup else 1.0)


def _rejects_fused_clipping(precision_plugin) -> bool:
    from pytorch_lightning.plugins.precision import MixedPrecision

    from transferlab.runs.bf16_plugin import BF16MixedPrecision

    return isinstance(precision_plugin, MixedPrecision) and not isinstance(precision_plugin, BF16MixedPrecision)


def optimization_config(
    model: nn.Module,
    optimizer_factory,
    scheduler_factory,
    weight_decay: float,
    num_training_steps: int,
    precision_plugin=None,
):
    """Return what `LightningModule.configure_optimizers` returns: the optimizer and a per-step schedule.

    Lightning's `MixedPrecision` plugin rejects gradient clipping with a fused optimizer, because
    the fused step unscales the float16 loss scaler's gradients itself. So under that plugin
    (`precision_plugin`, the trainer's) a `fused=True` optimizer is built unfused, with a warning.
    bf16 needs no loss scaler, and transferlab's `BF16MixedPrecision` keeps the fused optimizer.

    `num_training_steps` counts optimizer steps of the whole run (Lightning's
    `trainer.estimated_stepping_batches` includes gradient accumulation and max_epochs), and
    `interval: step` steps the schedule once per optimizer step, not per batch.
    """
    keywords = getattr(optimizer_factory, "keywords", {})
    if keywords.get("fused") and _rejects_fused_clipping(precision_plugin):
        log.warning(
            "precision %s does not work with optimizer.fused=true under Lightning: using the unfused optimizer",
            precision_plugin.precision,
        )
        optimizer_factory = partial(optimizer_factory, fused=False)
    optimizer = optimizer_factory(parameter_groups(model, weight_decay))
    if scheduler_factory is None:
        return optimizer
    scheduler = scheduler_factory(optimizer, num_training_steps=num_training_steps)
    return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step", "frequency": 1}}
