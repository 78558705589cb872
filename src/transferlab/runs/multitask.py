"""Multi-task training (`data=multitask`): each entry of `data.tasks` is a dataset config with its own head.

The phases match single-task training: prepare every dataset, build one shared encoder with a head
per task, fit, test the best checkpoint, then write per-task reports and one export per task.
"""

from __future__ import annotations

from pathlib import Path

from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from transferlab.data.preparation import PreparedData
from transferlab.errors import ConfigError
from transferlab.log import get_logger
from transferlab.reporting.files import write_json_atomic, write_text_atomic
from transferlab.runs.lifecycle import RunStart
from transferlab.runs.training import fit_and_evaluate, objective_value, prepare_dataset

log = get_logger(__name__)

SUPPORTED_METHODS = ("finetune",)


def prepare_tasks(cfg: DictConfig) -> dict[str, PreparedData]:
    """Read, split and check every task's dataset; needs no model or tokenizer."""
    return {name: prepare_dataset(data, cfg.seed) for name, data in cfg.data.tasks.items()}


def build_multitask(cfg: DictConfig, prepared: dict[str, PreparedData], tokenizer):
    """Return (datamodule, module): per-task data modules under one sampler, task models sharing one encoder."""
    from transferlab.data.datamodule import TextDataModule
    from transferlab.data.multitask import MultiTaskDataModule
    from transferlab.models.backbone import build_backbone, count_parameters
    from transferlab.models.multitask import MultiTaskModule, share_encoder
    from transferlab.tasks import build_task

    tasks, datamodules, models = {}, {}, {}
    for name, data in cfg.data.tasks.items():
        tasks[name] = build_task(data.task, **(data.get("task_options") or {}))
        datamodules[name] = TextDataModule(
            prepared[name], tasks[name], tokenizer,
            batch_size=data.batch_size,
            eval_batch_size=data.eval_batch_size,
            max_length=data.max_length,
            seed=cfg.seed,
            num_workers=data.num_workers,
            cache_dir=cfg.paths.get("cache_dir"),
        )
        models[name] = build_backbone(
            tasks[name].auto_model_class(),
            cfg.model.pretrained,
            num_labels=len(prepared[name].label_names),
            id2label=prepared[name].id2label,
            config_overrides=OmegaConf.to_container(cfg.model.config_overrides),
            vocab_size=len(tokenizer),
        )
    encoder = share_encoder(models)
    log.info("Shared encoder %s across %d task heads: %s", type(encoder).__name__, len(models), ", ".join(models))

    datamodule = MultiTaskDataModule(
        datamodules, cfg.seed, sampling=cfg.data.sampling, temperature=cfg.data.temperature, num_workers=cfg.data.num_workers
    )
    module = MultiTaskModule(
        models,
        tasks,
        {name: prepared[name].id2label for name in tasks},
        optimizer=instantiate(cfg.optimizer),
        scheduler=instantiate(cfg.scheduler) if cfg.get("scheduler") and "_target_" in cfg.scheduler else None,
        weight_decay=cfg.optimizer.get("weight_decay", 0.0),
    )
    trainable, total = count_parameters(module)
    log.info("Method finetune: %s of %s parameters trainable (%.2f%%)", f"{trainable:,}", f"{total:,}", 100 * trainable / total)
    return datamodule, module


def run_multitask(cfg: DictConfig, run: RunStart, accelerator: str, precision: str) -> float | None:
    """Train one encoder on every task of `data.tasks` and return the objective (a mean over tasks)."""
    method = instantiate(cfg.method)
    if method.name not in SUPPORTED_METHODS:
        raise ConfigError(
            f"method={method.name} is not supported with data=multitask; use method=finetune "
            "or train each dataset on its own"
        )
    prepared = prepare_tasks(cfg)

    import pytorch_lightning as pl

    from transferlab.models.backbone import load_tokenizer

    pl.seed_everything(cfg.seed, workers=True, verbose=False)
    tokenizer = load_tokenizer(cfg.model.tokenizer)
    log.info("Loaded tokenizer %s (vocabulary %d)", type(tokenizer).__name__, len(tokenizer))

    datamodule, module = build_multitask(cfg, prepared, tokenizer)
    # Checkpoints record every task's labels, prefixed with the task name.
    label_names = [f"{name}:{label}" for name in prepared for label in prepared[name].label_names]
    metrics = fit_and_evaluate(
        cfg, run, datamodule, module, label_names, accelerator, precision, True,
        write_outputs=lambda metrics, loggers: write_multitask_outputs(cfg, run.run_dir, module, tokenizer, metrics, prepared),
    )
    return objective_value(cfg, metrics)


def write_multitask_outputs(
    cfg: DictConfig, run_dir: Path, module, tokenizer, metrics: dict, prepared: dict[str, PreparedData]
) -> None:
    """Write metrics.json, `test_report_<task>.txt` per task and a Hugging Face model in `model/<task>/`.

    Task-specific test files (such as NER predictions) go to `predictions/<task>/`.
    """
    from transferlab.reporting.export import export_model

    # Each task's metadata (e.g. the seqeval mode) is stored under its task name.
    metadata = {name: module.tasks[name].metrics_metadata() for name in module.task_names}
    metadata = {name: entries for name, entries in metadata.items() if entries}
    write_json_atomic(run_dir / "metrics.json", {**metrics, **metadata})
    for name in module.task_names:
        task, id2label = module.tasks[name], module.id2labels[name]
        if cfg.test and module.test_predictions.get(name):
            predictions, references = module.test_predictions[name], module.test_references[name]
            path = write_text_atomic(run_dir / f"test_report_{name}.txt", task.report(predictions, references, id2label))
            print(f"\nTest report of task {name} ({path}):\n{path.read_text(encoding='utf-8')}")
            # write_text_atomic creates the folder, so tasks without such files leave none behind.
            task_dir = run_dir / "predictions" / name
            written = task.write_test_outputs(task_dir, predictions, references, prepared[name].splits["test"], id2label)
            if written is not None:
                log.info("Wrote test predictions of task %s to %s", name, written)
        if cfg.export:
            (run_dir / "model").mkdir(exist_ok=True)
            export_model(module.models[name], tokenizer, run_dir / "model" / name)
    summary = ", ".join(f"{k}={v:.4f}" for k, v in sorted(metrics.items()))
    log.info("Finished: %s; outputs in %s", summary, run_dir)
