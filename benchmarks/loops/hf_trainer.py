"""The Hugging Face `Trainer` with dynamic padding and length-grouped training batches."""

from __future__ import annotations

import os
from pathlib import Path

from benchmarks.measure import LoopResult, Stopwatch, load_model_and_tokenizer, load_split_texts, peak_rss_mib
from benchmarks.settings import Workload


def run(workload: Workload, started: float) -> LoopResult:
    import numpy as np
    from transformers import DataCollatorWithPadding, Trainer, TrainerCallback, TrainingArguments

    process_clock = Stopwatch(started)
    splits, label_names = load_split_texts(workload)
    model, tokenizer = load_model_and_tokenizer(workload, len(label_names))

    datasets = {}
    for split, pairs in splits.items():
        ids = tokenizer([text for text, _ in pairs], truncation=True, max_length=workload.max_length)["input_ids"]
        datasets[split] = [{"input_ids": row, "labels": label} for row, (_, label) in zip(ids, pairs)]

    class Timing(TrainerCallback):
        def on_epoch_begin(self, args, state, control, **kwargs):
            self.clock = Stopwatch()

        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == 1:
                process_clock.lap("first_step")
            self.train_seconds, self.train_cpu_seconds = self.clock.elapsed(), self.clock.cpu_elapsed()

    def accuracy(prediction) -> dict[str, float]:
        return {"accuracy": float((np.argmax(prediction.predictions, axis=-1) == prediction.label_ids).mean())}

    arguments = TrainingArguments(
        output_dir=str(Path(workload.output_dir) / f"hf_trainer-{os.getpid()}"),
        per_device_train_batch_size=workload.batch_size,
        per_device_eval_batch_size=workload.batch_size,
        num_train_epochs=1,
        learning_rate=workload.learning_rate,
        weight_decay=0.01,
        warmup_steps=0.1,
        max_grad_norm=1.0,
        train_sampling_strategy="group_by_length",
        seed=workload.seed,
        use_cpu=True,
        save_strategy="no",
        eval_strategy="no",
        report_to="none",
    )
    timing = Timing()
    trainer = Trainer(
        model=model,
        args=arguments,
        train_dataset=datasets["train"],
        eval_dataset=datasets["validation"],
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=accuracy,
        callbacks=[timing],
    )
    trainer.train()

    clock = Stopwatch()
    metrics = trainer.evaluate()
    eval_seconds, eval_cpu_seconds = clock.elapsed(), clock.cpu_elapsed()

    return LoopResult(
        train_samples_per_s=len(datasets["train"]) / timing.train_seconds,
        eval_samples_per_s=len(datasets["validation"]) / eval_seconds,
        train_samples_per_cpu_s=len(datasets["train"]) / timing.train_cpu_seconds,
        eval_samples_per_cpu_s=len(datasets["validation"]) / eval_cpu_seconds,
        first_step_s=process_clock.laps["first_step"],
        peak_rss_mib=peak_rss_mib(),
        eval_accuracy=metrics["eval_accuracy"],
        extra={"optimizer": arguments.optim.value},
    )
