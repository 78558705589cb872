"""The training pipeline behind `transferlab-train`: check, claim the run, prepare data, build, fit, test, write outputs."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from transferlab.config.checks import check_config
from transferlab.data.preparation import PreparedData, prepare
from transferlab.errors import ConfigError
from transferlab.log import get_logger, process_rank
from transferlab.reporting.files import write_json_atomic, write_text_atomic
from transferlab.runs.accelerators import resolve_accelerator
from transferlab.runs.distributed import DDPChildLaunch, gather_to_rank_zero, launches_children
from transferlab.runs.lifecycle import RunStart, recorded_status, start_run
from transferlab.runs.manifest import MANIFEST_NAME
from transferlab.runs.resume_config import command_line_overrides, resumed_config
from transferlab.sweeps.status import COMPLETED, FAILED, INTERRUPTED, write_status

log = get_logger(__name__)


def prepare_data(cfg: DictConfig, source=None) -> PreparedData:
    """Read and split the configured source and check its labels; needs no model or tokenizer."""
    return prepare_dataset(cfg.data, cfg.seed, source)


def prepare_dataset(data: DictConfig, seed: int, source=None) -> PreparedData:
    """Read, split and check one dataset config (`cfg.data` or one entry of a multi-task `data.tasks`).

    `source` is the instantiated `data.source`, built here when the caller has none.
    """
    if source is None:
        source = instantiate(data.source)
    loaded = source.load()
    caps = {
        "train": data.max_train_samples,
        "validation": data.max_eval_samples,
        "test": data.max_test_samples,
    }
    labels = OmegaConf.to_container(data.labels) if data.labels is not None else None
    prepared = prepare(loaded, data.split, seed, caps, labels, data.empty_text, data.get("max_train_samples_per_label"))
    sizes = ", ".join(f"{split} {len(examples)}" for split, examples in prepared.splits.items())
    log.info("Prepared data <%s>: %s; %d labels", data.source._target_, sizes, len(prepared.label_names))
    return prepared


def build_backbone_from_config(cfg: DictConfig, task, prepared: PreparedData, tokenizer, auto_model_class=None):
    """Return the model with a new head for the data's labels: pretrained, or from an earlier run.

    `auto_model_class` is the transformers class to load, the task's head class by default.
    """
    from transferlab.models.backbone import build_backbone
    from transferlab.models.init_from import init_from_run
    from transferlab.models.layer_subset import keep_layers

    auto_model_class = auto_model_class or task.auto_model_class()
    overrides = OmegaConf.to_container(cfg.model.config_overrides)
    init_from = cfg.model.get("init_from")
    if init_from:
        if cfg.model.pretrained is not None:
            log.info("model.init_from is set, so the encoder weights come from %s, not model.pretrained", init_from)
        model = init_from_run(
            auto_model_class, init_from, prepared.id2label, cfg.model.get("reinit_head", True), overrides
        )
    else:
        model = build_backbone(
            auto_model_class,
            cfg.model.pretrained,
            num_labels=len(prepared.label_names),
            id2label=prepared.id2label,
            config_overrides=overrides,
            vocab_size=len(tokenizer),
        )
    if cfg.model.get("keep_layers") is not None:
        model = keep_layers(model, list(cfg.model.keep_layers))
    return model


def build_model(cfg: DictConfig, task, prepared: PreparedData, tokenizer, method=None):
    """Return (method, LightningModule): the backbone prepared by `method` (built from `cfg.method` when None)."""
    from transferlab.models.backbone import count_parameters

    if method is None:
        method = instantiate(cfg.method)
    method.check(task, prepared.label_names, tokenizer)
    model = build_backbone_from_config(cfg, task, prepared, tokenizer, method.auto_model_class(task))
    model = method.prepare_model(model, task)
    trainable, total = count_parameters(model)
    log.info("Method %s: %s of %s parameters trainable (%.2f%%)", method.name, f"{trainable:,}", f"{total:,}", 100 * trainable / total)
    module = method.module_class(
        model=model,
        task=task,
        id2label=prepared.id2label,
        optimizer=instantiate(cfg.optimizer),
        scheduler=instantiate(cfg.scheduler) if cfg.get("scheduler") and "_target_" in cfg.scheduler else None,
        weight_decay=cfg.optimizer.get("weight_decay", 0.0),
        **method.module_options(),
    )
    return method, module


def build_augmenter(group: DictConfig | None, tokenizer):
    """Return the training-batch augmenter of the `augment` group, or None for `augment=none`."""
    if not group or "_target_" not in group:
        return None
    augmenter = instantiate(group)(tokenizer=tokenizer)
    log.info("Augmenting training batches <%s>: %s", group._target_, augmenter.describe())
    return augmenter


def _stage_metrics(results: list[dict], prefix: str) -> dict[str, float]:
    merged = {}
    for result in results:
        merged.update({k: float(v) for k, v in result.items() if k.startswith(prefix)})
    return merged


def run_training(cfg: DictConfig) -> float | None:
    """Run one training job and return the objective metric for sweepers.

    `run.json` records the run's status; rank zero also writes the short `status.json` (and
    `error.txt`) that sweep summaries read. When the job raises, the W&B run is marked failed and
    the exception is re-raised for the caller to report.
    """
    started = time.monotonic()
    run_dir = Path(cfg.paths.run_dir).resolve()
    overrides = command_line_overrides()
    if cfg.get("resume"):
        cfg, overrides = resumed_config(cfg, run_dir, overrides)
    rank_zero = process_rank() == 0
    # A directory that already contains a run keeps its records untouched unless this job reopened it
    # (resume=true passed start_run's checks): start_run rejects everything else.
    contains_a_run = (run_dir / MANIFEST_NAME).exists()
    progress = _Progress()
    try:
        objective = _train(cfg, run_dir, started, overrides, progress)
    except BaseException as error:
        if rank_zero and (progress.run_started or not contains_a_run):
            _record_failure(cfg, run_dir, error, started)
        raise
    if rank_zero:
        write_status(run_dir, COMPLETED, cfg.objective, objective, time.monotonic() - started)
    return objective


def _record_failure(cfg: DictConfig, run_dir: Path, error: BaseException, started: float) -> None:
    from transferlab.runs.wandb_setup import finish_wandb, record_failed_run

    interrupted = isinstance(error, (KeyboardInterrupt, SystemExit))
    status = INTERRUPTED if interrupted else FAILED
    write_status(run_dir, status, cfg.get("objective"), None, time.monotonic() - started, error)
    try:
        if not finish_wandb(error) and not interrupted:
            record_failed_run(cfg, error)
    except Exception as wandb_error:  # the job's own error is the one to report
        log.warning("Could not mark the W&B run of %s failed: %s", run_dir, wandb_error)


def _external_launcher() -> bool:
    """Return True when torchrun or Slurm started the ranks, so Lightning launches no children."""
    return "LOCAL_RANK" in os.environ or int(os.environ.get("SLURM_NTASKS", "1")) > 1


@dataclass
class _Progress:
    run_started: bool = False  # start_run claimed or reopened the run directory


def _train(cfg: DictConfig, run_dir: Path, started: float, overrides: list[str] | None, progress: _Progress) -> float | None:
    check_config(cfg)
    accelerator, precision = resolve_accelerator(cfg)
    # The config records the precision used, not `auto`: config_resolved.yaml, run.json and the loggers.
    cfg.trainer.precision = precision
    multitask = "tasks" in cfg.data
    datasets = list(cfg.data.tasks.values()) if multitask else [cfg.data]
    sources = [instantiate(data.source) for data in datasets]
    data_files = [path for source in sources if hasattr(source, "data_files") for path in source.data_files()]
    run = start_run(cfg, run_dir, data_files, overrides)
    progress.run_started = True

    with recorded_status(run.manifest):
        if not run.resumed and process_rank() == 0:
            write_text_atomic(run_dir / "config_resolved.yaml", OmegaConf.to_yaml(cfg, resolve=True))
        if multitask:
            from transferlab.runs.multitask import run_multitask

            objective = run_multitask(cfg, run, accelerator, precision)
        else:
            prepared = prepare_data(cfg, sources[0])
            method = instantiate(cfg.method)
            method.check_data(cfg.data.task, prepared)
            objective = _fit_and_test(cfg, run, prepared, method, accelerator, precision)
        run.manifest.update(duration_s=round(time.monotonic() - started, 1))
    return objective


def _fit_and_test(cfg: DictConfig, run: RunStart, prepared: PreparedData, method, accelerator: str, precision: str) -> float | None:
    import pytorch_lightning as pl

    from transferlab.data.datamodule import TextDataModule
    from transferlab.models.backbone import load_tokenizer
    from transferlab.runs.checkpointing import check_checkpoint_labels
    from transferlab.tasks import build_task

    if run.ckpt_path is not None:
        check_checkpoint_labels(run.ckpt_path, prepared.label_names)

    pl.seed_everything(cfg.seed, workers=True, verbose=False)
    task = build_task(cfg.data.task, **(cfg.data.get("task_options") or {}))
    tokenizer = load_tokenizer(cfg.model.tokenizer)
    log.info("Loaded tokenizer %s (vocabulary %d)", type(tokenizer).__name__, len(tokenizer))

    augmenter = build_augmenter(cfg.get("augment"), tokenizer)
    datamodule = TextDataModule(
        prepared, task, tokenizer,
        batch_size=cfg.data.batch_size,
        eval_batch_size=cfg.data.eval_batch_size,
        max_length=cfg.data.max_length,
        seed=cfg.seed,
        num_workers=cfg.data.num_workers,
        cache_dir=cfg.paths.get("cache_dir"),
        augmenter=augmenter,
    )
    method, module = build_model(cfg, task, prepared, tokenizer, method)
    metrics = fit_and_evaluate(
        cfg, run, datamodule, module, prepared.label_names, accelerator, precision, method.trains,
        write_outputs=lambda metrics, loggers: _write_outputs(cfg, run.run_dir, method, module, tokenizer, metrics, prepared, loggers),
    )
    return objective_value(cfg, metrics)


def fit_and_evaluate(
    cfg: DictConfig,
    run: RunStart,
    datamodule,
    module,
    label_names: list[str],
    accelerator: str,
    precision: str,
    trains: bool,
    write_outputs: Callable[[dict, list], None],
) -> dict[str, float]:
    """Fit (unless `trains` is False), validate and test the best checkpoint, then call `write_outputs(metrics, loggers)` on rank zero.

    The W&B run is finished here after a successful run; `run_training` marks it failed otherwise.
    """
    from transferlab.runs.trainer import build_trainer
    from transferlab.runs.wandb_setup import finish_wandb

    trainer, loggers = build_trainer(cfg, run.run_dir, label_names, accelerator, precision)
    run.manifest.update(accelerator=_describe_accelerator(trainer))
    if run.pending_record:
        from transferlab.runs.resume_commit import ResumeCommit

        trainer.callbacks.append(ResumeCommit(run.manifest, run.pending_record))

    ddp_children = launches_children(cfg.trainer.strategy, _external_launcher())
    with DDPChildLaunch(run.run_dir, enabled=ddp_children):
        for logger in loggers:
            logger.log_hyperparams(OmegaConf.to_container(cfg, resolve=True))
        best_path = None
        if trains:
            ckpt_path = str(run.ckpt_path) if run.ckpt_path else None
            trainer.fit(module, datamodule=datamodule, ckpt_path=ckpt_path, weights_only=True)
            checkpoint = trainer.checkpoint_callback.best_model_path if trainer.checkpoint_callback else None
            best_path = checkpoint or None
            log.info("Best checkpoint: %s", best_path or "none (testing the final weights)")
        else:
            log.info("The method trains nothing: skipped fitting, evaluating the model as built")

        results = trainer.validate(module, datamodule=datamodule, ckpt_path=best_path, verbose=False, weights_only=True)
        metrics = _stage_metrics(results, "val/")
        if cfg.test:
            results = trainer.test(module, datamodule=datamodule, ckpt_path=best_path, verbose=False, weights_only=True)
            metrics.update(_stage_metrics(results, "test/"))
            # NOTE: only single-task predictions (lists) are gathered across DDP ranks; multi-task
            # modules keep a dict per task and are tested on one process.
            if isinstance(module.test_predictions, list):
                module.test_predictions = gather_to_rank_zero(trainer, module.test_predictions)
                module.test_references = gather_to_rank_zero(trainer, module.test_references)

        if trainer.is_global_zero:
            write_outputs(metrics, loggers)
            finish_wandb()
    return metrics


def objective_value(cfg: DictConfig, metrics: dict[str, float]) -> float:
    """Return the configured objective from the run's metrics, or raise naming the metrics there are."""
    if cfg.objective not in metrics:
        raise ConfigError(
            f"objective={cfg.objective} is not among the run's metrics ({', '.join(sorted(metrics))}); "
            "set `objective` to one of them"
        )
    return metrics[cfg.objective]


def _describe_accelerator(trainer) -> dict:
    import torch

    accelerator = {
        "type": type(trainer.accelerator).__name__,
        "devices": trainer.num_devices,
        "precision": str(trainer.precision),
        "deterministic": torch.are_deterministic_algorithms_enabled(),
        "torch_threads": torch.get_num_threads(),
    }
    if torch.cuda.is_available() and trainer.strategy.root_device.type == "cuda":
        accelerator["device_name"] = torch.cuda.get_device_name(trainer.strategy.root_device)
    return accelerator


def _write_outputs(
    cfg: DictConfig, run_dir: Path, method, module, tokenizer, metrics: dict, prepared: PreparedData, loggers: list
) -> None:
    from transferlab.reporting.plots import log_figures, write_report_plots

    # Durations go to run.json, so two runs of one config and seed give identical metrics.json files.
    # The task's metadata (e.g. the seqeval mode) sits beside the scores it qualifies.
    write_json_atomic(run_dir / "metrics.json", {**metrics, **module.task.metrics_metadata()})
    if cfg.test and module.test_predictions:
        report = module.task.report(module.test_predictions, module.test_references, module.id2label)
        write_text_atomic(run_dir / "test_report.txt", report)
        print(f"\nTest report ({run_dir / 'test_report.txt'}):\n{report}")
        written = module.task.write_test_outputs(
            run_dir, module.test_predictions, module.test_references, prepared.splits["test"], module.id2label
        )
        if written is not None:
            log.info("Wrote test predictions to %s", written)
        figures = write_report_plots(
            module.task, module.test_predictions, module.test_references, module.id2label, run_dir, "test split"
        )
        log_figures(loggers, figures, "test")
    if cfg.export:
        method.export(module.model, tokenizer, run_dir)
    summary = ", ".join(f"{k}={v:.4f}" for k, v in sorted(metrics.items()))
    log.info("Finished: %s; outputs in %s", summary, run_dir)
