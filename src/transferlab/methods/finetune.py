"""Full fine-tuning: every weight of the encoder and the new head is trained."""

from __future__ import annotations

from transferlab.models.module import TransferModule


class FullFineTuning:
    """The default method: the model is trained as built, with the task's loss."""

    name = "finetune"
    module_class = TransferModule

    def prepare_model(self, model, task):
        """Return the model to train; other methods wrap or freeze parts of it here."""
        return model
