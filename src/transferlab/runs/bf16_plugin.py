"""Lightning's bf16 autocast plugin, without its rejection of gradient clipping for fused optimizers."""

from __future__ import annotations

from pytorch_lightning.plugins.precision import MixedPrecision, Precision
from pytorch_lightning.utilities import GradClipAlgorithmType
from torch.optim import Optimizer


class BF16MixedPrecision(MixedPrecision):
    """bf16 autocast (`precision=bf16-mixed`) that accepts a fused optimizer with gradient clipping.

    Lightning's `MixedPrecision` rejects clipping whenever the optimizer unscales gradients inside
    its own step, as fused AdamW does. That only matters with a float16 loss scaler. bf16 uses
    none, so the gradients are already at their true scale when they are clipped.
    """

    def __init__(self, device: str) -> None:
        super().__init__("bf16-mixed", device)

    def clip_gradients(
        self,
        optimizer: Optimizer,
        clip_val: int | float = 0.0,
        gradient_clip_algorithm: GradClipAlgorithmType = GradClipAlgorithmType.NORM,
    ) -> None:
        Precision.clip_gradients(self, optimizer, clip_val, gradient_clip_algorithm)
