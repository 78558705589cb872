"""The interface every method implements; its defaults are those of full fine-tuning."""

from __future__ import annotations

from pathlib import Path

from transferlab.data.preparation import PreparedData
from transferlab.models.module import TransferModule


class Method:
    """A way of adapting a pretrained model: its checks, the model it loads and changes, its module and export.

    The training pipeline calls, in order: `check_data` (after data preparation, before the tokenizer
    or any model is loaded), `check` (with the tokenizer, before model weights are loaded),
    `auto_model_class` and `prepare_model`, then `module_class(**module_options(), ...)`, and after
    testing `export`. A method with `trains = False` (zero-shot) is only validated and tested, so
    `trainer.fit` is skipped.
    """

    name = "finetune"
    module_class = TransferModule
    trains = True

    def check_data(self, task_name: str, prepared: PreparedData) -> None:
        """Reject a task or data this method cannot handle."""

    def check(self, task, label_names: list[str], tokenizer) -> None:
        """Reject settings that cannot work with this task, label space or tokenizer."""

    def auto_model_class(self, task):
        """Return the transformers auto class to load; the task's head by default."""
        return task.auto_model_class()

    def prepare_model(self, model, task):
        """Return the model to train; methods may wrap it or freeze parts of it."""
        return model

    def module_options(self) -> dict:
        """Return the keyword arguments that `module_class` takes beyond those of `TransferModule`."""
        return {}

    def export(self, model, tokenizer, run_dir: Path) -> Path:
        """Save the trained model as a plain Hugging Face model directory `<run_dir>/model`."""
        from transferlab.reporting.export import export_model

        return export_model(model, tokenizer, run_dir / "model")
