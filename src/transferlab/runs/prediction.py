"""The prediction pipeline behind `transferlab-predict`: read inputs, check the run, predict, write JSONL."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from omegaconf import DictConfig

from transferlab.config.checks import check_required
from transferlab.errors import ConfigError
from transferlab.inference.inputs import TOKEN_TASK, read_inputs
from transferlab.log import get_logger
from transferlab.runs.finished import load_finished_run

log = get_logger(__name__)


def _write_jsonl_atomic(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            for record in records:
                stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def run_prediction(cfg: DictConfig) -> Path:
    """Predict every example of `cfg.input` with the model of `cfg.run_dir`; return the JSONL file written.

    Each output line holds the input's origin (file:line) and, for sequence classification, the
    predicted label, its score and every label's probability; for token classification, one tag per
    word with its probability and the entity spans with their mean scores. Lines follow input order.
    """
    check_required(cfg)
    run = load_finished_run(cfg.run_dir)
    examples = read_inputs(cfg.input, run.task_name, cfg.format, cfg.text_column)
    output = Path(cfg.output).expanduser().resolve()
    if output.exists():
        raise ConfigError(f"output={output} already exists; choose another output file or move the old one away")
    batch_size = cfg.batch_size or run.cfg.data.eval_batch_size
    max_length = cfg.max_length or run.cfg.data.max_length
    if batch_size < 1 or max_length < 2:
        raise ConfigError(f"batch_size must be >= 1 and max_length >= 2, got {batch_size} and {max_length}")
    log.info("Read %d examples from %s for the %s run %s", len(examples), cfg.input, run.task_name, run.run_dir)

    from transferlab.inference import decoding
    from transferlab.inference.batches import resolve_device, sorted_batches
    from transferlab.inference.loading import load_exported
    from transferlab.tasks import build_task
    from transferlab.tasks.base import Task

    device = resolve_device(cfg.device)
    task = build_task(run.task_name)
    tokenizer, model = load_exported(run, task, device)

    is_token_task = run.task_name == TOKEN_TASK
    if is_token_task:
        features = decoding.encode_words([e.text for e in examples], tokenizer, max_length)
    else:
        features = decoding.encode_texts([e.text for e in examples], tokenizer, max_length)

    def collate(batch_features):
        input_ids, attention_mask = Task.pad([f["input_ids"] for f in batch_features], tokenizer.pad_token_id)
        return {"input_ids": input_ids, "attention_mask": attention_mask}

    records: list[dict | None] = [None] * len(examples)
    for indices, batch, outputs in sorted_batches(model, features, collate, batch_size, device, cfg.progress_min_batches):
        logits = outputs.logits.cpu()
        for row, index in enumerate(indices):
            length = len(features[index]["input_ids"])
            if is_token_task:
                records[index] = decoding.token_record(
                    examples[index], logits[row, :length], features[index]["word_ids"], run.id2label
                )
            else:
                records[index] = decoding.sequence_record(examples[index], logits[row], run.id2label)

    truncated = sum(len(f["input_ids"]) >= max_length for f in features)
    if truncated:
        consequence = "their cut-off words are tagged O with score null" if is_token_task else "only their start was read"
        log.warning("%d inputs reach max_length=%d tokens and may be cut; %s", truncated, max_length, consequence)
    _write_jsonl_atomic(output, records)
    log.info("Wrote %d predictions to %s", len(records), output)
    return output
