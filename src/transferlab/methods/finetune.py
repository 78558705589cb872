"""Full fine-tuning: every weight of the encoder and the new head is trained."""

from __future__ import annotations

from transferlab.methods.base import Method


class FullFineTuning(Method):
    """The default method: the model is trained as built, with the task's loss."""

    name = "finetune"
