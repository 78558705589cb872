"""Load the tokenizer and model that a finished run exported to `<run_dir>/model`."""

from __future__ import annotations

from transferlab.log import get_logger
from transferlab.runs.finished import FinishedRun

log = get_logger(__name__)


def load_exported(run: FinishedRun, task, device):
    """Return (tokenizer, model on `device` in eval mode) from the run's exported model directory."""
    from transferlab.models.backbone import load_tokenizer

    tokenizer = load_tokenizer(str(run.model_dir))
    model = task.auto_model_class().from_pretrained(run.model_dir, local_files_only=True)
    model.to(device).eval()
    log.info("Loaded %s with %d labels from %s on %s", type(model).__name__, model.config.num_labels, run.model_dir, device)
    return tokenizer, model
