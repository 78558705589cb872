"""Export a trained model and its tokenizer as a plain Hugging Face model directory."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from transferlab.log import get_logger

log = get_logger(__name__)


def export_model(model, tokenizer, target: str | Path) -> Path:
    """Save model and tokenizer with `save_pretrained` into a temporary folder, then rename it to `target`.

    An existing `target` is replaced only after the new export is complete.
    """
    target = Path(target)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        if target.exists():
            previous = target.with_name(f".{target.name}.previous")
            shutil.rmtree(previous, ignore_errors=True)
            target.rename(previous)
            staging.rename(target)
            shutil.rmtree(previous)
        else:
            staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log.info("Exported the model and tokenizer to %s", target)
    return target
