"""A minimal hand-written PyTorch loop: tokenize once, length-grouped batches, dynamic padding."""

from __future__ import annotations

import random

import torch

from benchmarks.measure import (
    LoopResult, Stopwatch, build_optimizer, evaluate, load_model_and_tokenizer, load_split_texts, peak_rss_mib,
)
from benchmarks.settings import Workload

POOL_BATCHES = 50  # batches of similar length are cut from shuffled pools of this many batches


def grouped_batches(lengths: list[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    order = list(range(len(lengths)))
    rng.shuffle(order)
    pool_size = batch_size * POOL_BATCHES
    batches = []
    for start in range(0, len(order), pool_size):
        pool = sorted(order[start : start + pool_size], key=lambda i: lengths[i])
        batches += [pool[i : i + batch_size] for i in range(0, len(pool), batch_size)]
    rng.shuffle(batches)
    return batches


def collate(input_ids: list[list[int]], labels: list[int], pad_token_id: int) -> dict[str, torch.Tensor]:
    longest = max(len(ids) for ids in input_ids)
    padded = torch.full((len(input_ids), longest), pad_token_id, dtype=torch.long)
    mask = torch.zeros_like(padded)
    for row, ids in enumerate(input_ids):
        padded[row, : len(ids)] = torch.tensor(ids)
        mask[row, : len(ids)] = 1
    return {"input_ids": padded, "attention_mask": mask, "labels": torch.tensor(labels)}


def run(workload: Workload, started: float, compile: bool = False, bf16: bool = False, fused: bool = False) -> LoopResult:
    """Train one epoch and evaluate; `compile` wraps the model in `torch.compile`, `bf16` runs it under
    bfloat16 autocast, `fused` uses the fused AdamW kernel."""
    process_clock = Stopwatch(started)
    splits, label_names = load_split_texts(workload)
    model, tokenizer = load_model_and_tokenizer(workload, len(label_names))
    forward = torch.compile(model) if compile else model
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16)

    encoded = {}
    for split, pairs in splits.items():
        ids = tokenizer([text for text, _ in pairs], truncation=True, max_length=workload.max_length)["input_ids"]
        encoded[split] = (ids, [label for _, label in pairs])

    train_ids, train_labels = encoded["train"]
    batches = grouped_batches([len(ids) for ids in train_ids], workload.batch_size, random.Random(workload.seed))
    optimizer, scheduler = build_optimizer(model, workload, len(batches), fused=fused)

    clock = Stopwatch()
    for step, batch_indices in enumerate(batches):
        batch = collate([train_ids[i] for i in batch_indices], [train_labels[i] for i in batch_indices], tokenizer.pad_token_id)
        with autocast:
            loss = forward(**batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        if step == 0:
            process_clock.lap("first_step")
        if step == len(batches) // 2 - 1:
            clock.lap("first_half")
    train_seconds, train_cpu_seconds = clock.elapsed(), clock.cpu_elapsed()
    second_half = sum(len(b) for b in batches[len(batches) // 2 :])

    eval_ids, eval_labels = encoded["validation"]
    order = sorted(range(len(eval_ids)), key=lambda i: len(eval_ids[i]))
    eval_batches = (
        collate([eval_ids[i] for i in chunk], [eval_labels[i] for i in chunk], tokenizer.pad_token_id)
        for chunk in (order[i : i + workload.batch_size] for i in range(0, len(order), workload.batch_size))
    )
    with autocast:
        eval_seconds, eval_cpu_seconds, accuracy, evaluated = evaluate(forward, eval_batches)

    return LoopResult(
        train_samples_per_s=len(train_ids) / train_seconds,
        eval_samples_per_s=evaluated / eval_seconds,
        train_samples_per_cpu_s=len(train_ids) / train_cpu_seconds,
        eval_samples_per_cpu_s=evaluated / eval_cpu_seconds,
        first_step_s=process_clock.laps["first_step"],
        peak_rss_mib=peak_rss_mib(),
        eval_accuracy=accuracy,
        extra={"second_half_train_samples_per_s": second_half / (train_seconds - clock.laps["first_half"])},
    )
