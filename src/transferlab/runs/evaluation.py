"""The evaluation pipeline behind `transferlab-eval`: score a finished run on a split of its data or a file.

Outputs go to their own directory (by default `<run_dir>/eval/<time>/`); the run's training
outputs are only read.
"""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from transferlab.config.checks import check_required
from transferlab.data.examples import SPLITS, Example
from transferlab.errors import ConfigError, DataError
from transferlab.inference.inputs import CONLL_OPTIONS, read_inputs
from transferlab.log import get_logger
from transferlab.reporting.files import write_json_atomic, write_text_atomic
from transferlab.runs.finished import FinishedRun, load_finished_run

log = get_logger(__name__)


def _source_option(run: FinishedRun, key: str, default):
    value = OmegaConf.select(run.cfg, f"data.source.{key}")
    return default if value is None else value


def read_split(run: FinishedRun, split: str) -> list[Example]:
    """Re-create the run's seeded split from its own config and return the examples of `split`."""
    if split not in SPLITS:
        raise ConfigError(f"split must be one of {SPLITS}, got {split!r}")
    from transferlab.runs.training import prepare_data

    prepared = prepare_data(run.cfg)
    if prepared.label_names != run.label_names:
        log.warning(
            "The run's data now gives the labels %s, but the model was trained with %s; the data may have "
            "changed since training, so this split may differ from the one the run used",
            prepared.label_names, run.label_names,
        )
    return prepared.splits[split]


def read_file(run: FinishedRun, cfg: DictConfig) -> list[Example]:
    """Read a labelled evaluation file with the run's column and CoNLL settings unless the config overrides them."""
    text_column = cfg.text_column or _source_option(run, "text_column", "text")
    label_column = cfg.label_column or _source_option(run, "label_column", "label")
    conll_options = {key: run.cfg.data.source[key] for key in CONLL_OPTIONS if key in run.cfg.data.source}
    return read_inputs(cfg.file, run.task_name, cfg.format, text_column, label_column, conll_options)


def check_labels_known(examples: list[Example], run: FinishedRun) -> None:
    """Reject a gold label that the model has no output for, naming the file and line."""
    known = set(run.label_names)
    for example in examples:
        values = example.label if isinstance(example.label, tuple) else (example.label,)
        for value in values:
            if value not in known:
                raise DataError(
                    f"{example.origin}: label {value!r} is not one the model was trained on "
                    f"({', '.join(run.label_names)}); fix or drop the example, or train a model that knows it"
                )


def run_evaluation(cfg: DictConfig) -> dict:
    """Evaluate the exported model of `cfg.run_dir`, write metrics, report and figures, and return the metrics."""
    check_required(cfg)
    run = load_finished_run(cfg.run_dir)
    output_dir = Path(cfg.output_dir).expanduser().resolve()
    if (output_dir / "metrics.json").exists():
        raise ConfigError(f"output_dir={output_dir} already contains an evaluation (metrics.json); choose another output_dir")

    if cfg.file is not None:
        examples = read_file(run, cfg)
        source = str(Path(cfg.file).expanduser().resolve())
    else:
        examples = read_split(run, cfg.split)
        source = f"the {cfg.split} split of {run.run_dir}"
    check_labels_known(examples, run)
    batch_size = cfg.batch_size or run.cfg.data.eval_batch_size
    if batch_size < 1:
        raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
    log.info("Evaluating %s on %d examples from %s", run.run_dir, len(examples), source)

    metrics, predictions, references, task = _score(run, cfg, examples, batch_size)

    write_text_atomic(output_dir / "config_resolved.yaml", OmegaConf.to_yaml(cfg, resolve=True))
    # The task's metadata (such as the seqeval mode) is stored beside the scores, as training does.
    metrics = {**metrics, **task.metrics_metadata()}
    write_json_atomic(output_dir / "metrics.json", metrics)
    report = task.report(predictions, references, run.id2label)
    write_text_atomic(output_dir / "report.txt", report)
    print(f"\nReport on {source} ({output_dir / 'report.txt'}):\n{report}")

    from transferlab.reporting.plots import write_report_plots

    title = cfg.split if cfg.file is None else Path(cfg.file).name
    write_report_plots(task, predictions, references, run.id2label, output_dir, title)
    summary = ", ".join(f"{key}={value:.4f}" for key, value in sorted(metrics.items()) if isinstance(value, float))
    log.info("Evaluation finished: %s; outputs in %s", summary, output_dir)
    return metrics


def _score(run: FinishedRun, cfg: DictConfig, examples: list[Example], batch_size: int):
    """Run the model over `examples`; return (metrics, predicted ids, gold ids, task)."""
    from functools import partial

    from transferlab.inference.batches import resolve_device, resolve_precision, sorted_batches
    from transferlab.inference.loading import load_exported
    from transferlab.tasks import build_task

    device = resolve_device(cfg.device)
    precision = resolve_precision(cfg.precision, run.precision)
    log.info("Inference on %s with precision %s", device, precision)
    task = build_task(run.task_name, **(run.cfg.data.get("task_options") or {}))
    tokenizer, model = load_exported(run, task, device)
    features = task.encode(examples, tokenizer, run.label2id, run.cfg.data.max_length)
    collate = partial(task.collate, pad_token_id=tokenizer.pad_token_id)

    metric_collection = task.build_metrics(len(run.id2label), run.id2label).to(device)
    predictions: list = []
    references: list = []
    loss_sum = 0.0
    for indices, batch, outputs in sorted_batches(
        model, features, collate, batch_size, device, cfg.progress_min_batches, precision=precision
    ):
        task.update_metrics(metric_collection, outputs.logits, batch)
        loss_sum += float(outputs.loss) * len(indices)
        batch_predictions, batch_references = task.gather_predictions(outputs.logits, batch)
        predictions.extend(batch_predictions)
        references.extend(batch_references)

    metrics = {f"eval/{name}": float(value) for name, value in metric_collection.compute().items()}
    metrics["eval/loss"] = loss_sum / len(features)
    return metrics, predictions, references, task
