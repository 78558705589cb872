"""The interface of a method; its defaults are those of full fine-tuning."""

from __future__ import annotations

from transferlab.data.preparation import PreparedData
from transferlab.models.module import TransferModule


class Method:
    """A way of adapting a pretrained model: the model class it loads, its changes to the model, and its LightningModule.

    `module_class` is the LightningModule that trains or evaluates the prepared model. A method with
    `trains = False` (zero-shot) is only validated and tested, so `trainer.fit` is skipped.
    """

    name = "method"
    module_class = TransferModule
    trains = True

    def check(self, task_name: str, prepared: PreparedData) -> None:
        """Reject a task or data this method cannot handle; runs before any model is loaded."""

    def auto_model_class(self, task):
        """Return the transformers auto class to load; the task's head by default."""
        return task.auto_model_class()

    def prepare_model(self, model, task):
        """Return the model to train; other methods wrap or freeze parts of it here."""
        return model
