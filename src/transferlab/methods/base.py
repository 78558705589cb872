"""The interface every method implements: checks before loading, model preparation, module, export."""

from __future__ import annotations

from pathlib import Path

from transferlab.models.module import TransferModule


class Method:
    """Full fine-tuning behaviour; subclasses override the steps they change.

    The training pipeline calls, in order: `check` (before any model weights are loaded),
    `prepare_model`, `module_class(**module_options(), ...)`, and after testing `export`.
    """

    name = "finetune"
    module_class = TransferModule

    def check(self, task, label_names: list[str], tokenizer) -> None:
        """Reject settings that cannot work with this task, label space or tokenizer."""

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
