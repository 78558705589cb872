"""The prediction pipeline behind `transferlab-predict`: read inputs, check the run, predict, write JSONL."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from omegaconf import DictConfig

from transferlab.config.checks import check_required
from transferlab.data.examples import Example
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


def _sequence_records(examples: list[Example], batches, id2label: dict[int, str]) -> list[dict]:
    from transferlab.inference.decoding import sequence_record

    records: list[dict | None] = [None] * len(examples)
    for indices, _, outputs in batches:
        logits = outputs.logits.float().cpu()
        for row, index in enumerate(indices):
            records[index] = sequence_record(examples[index], logits[row], id2label)
    return records


def _token_records(examples: list[Example], batches, id2label: dict[int, str]) -> list[dict]:
    """Collect each word's probabilities at its first sub-token (over all windows of a long sentence)."""
    import torch

    from transferlab.inference.decoding import token_record

    word_probabilities: list[dict[int, torch.Tensor]] = [{} for _ in examples]
    for _, batch, outputs in batches:
        probabilities = torch.softmax(outputs.logits.float(), dim=-1).cpu()
        word_index = batch["word_index"].cpu()
        for row, example_index in enumerate(batch["example_index"].tolist()):
            starts = word_index[row] >= 0
            for word, word_probs in zip(word_index[row][starts].tolist(), probabilities[row][starts]):
                word_probabilities[example_index][word] = word_probs
    return [token_record(example, probs, id2label) for example, probs in zip(examples, word_probabilities)]


def run_prediction(cfg: DictConfig) -> Path:
    """Predict every example of `cfg.input` with the model of `cfg.run_dir`; return the JSONL file written.

    Lines follow input order, and each names its input's origin (file:line). For sequence
    classification a line contains the predicted label, its score and every label's probability. For
    token classification it contains one tag per word with its probability, and the entity spans
    with their mean scores.
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

    from functools import partial

    from transferlab.inference.batches import resolve_device, resolve_precision, sorted_batches
    from transferlab.inference.loading import load_exported
    from transferlab.tasks import build_task

    device = resolve_device(cfg.device)
    precision = resolve_precision(cfg.precision, run.precision)
    log.info("Inference on %s with precision %s", device, precision)
    task = build_task(run.task_name, **(run.cfg.data.get("task_options") or {}))
    tokenizer, model = load_exported(run, task, device)
    features = task.encode(examples, tokenizer, run.label2id, max_length)
    collate = partial(task.collate, pad_token_id=tokenizer.pad_token_id)
    batches = sorted_batches(
        model, features, collate, batch_size, device, cfg.progress_min_batches, with_labels=False, precision=precision
    )
    if run.task_name == TOKEN_TASK:
        records = _token_records(examples, batches, run.id2label)
    else:
        records = _sequence_records(examples, batches, run.id2label)
        cut = sum(len(feature["input_ids"]) >= max_length for feature in features)
        if cut:
            log.warning("%d texts reach max_length=%d tokens, so only their start was read; raise max_length to read more",
                        cut, max_length)

    _write_jsonl_atomic(output, records)
    log.info("Wrote %d predictions to %s", len(records), output)
    return output
