"""Time training steps in fp32, under bf16 autocast and under torch.compile, on the same batches.

`python -m benchmarks.precision_compile [--batches N] [--skip-compile]` prints one JSON object. Each
mode runs the same length-grouped Rotten Tomatoes batches (batch 16, max length 128) through forward,
backward and a fused AdamW step, starting from the same weights. It reports wall and process CPU
seconds per step after one warm-up pass, the compile time, and how far the bf16 losses and
validation predictions drift from fp32.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import time

import torch

from benchmarks.loops.minimal import collate, grouped_batches
from benchmarks.measure import load_model_and_tokenizer, load_split_texts
from benchmarks.settings import Workload


def _batches(workload: Workload, tokenizer, split: str, count: int) -> list[dict[str, torch.Tensor]]:
    splits, _ = load_split_texts(workload)
    pairs = splits[split]
    ids = tokenizer([text for text, _ in pairs], truncation=True, max_length=workload.max_length)["input_ids"]
    labels = [label for _, label in pairs]
    order = grouped_batches([len(row) for row in ids], workload.batch_size, random.Random(workload.seed))[:count]
    return [collate([ids[i] for i in chunk], [labels[i] for i in chunk], tokenizer.pad_token_id) for chunk in order]


def _train_steps(model, forward, batches, bf16: bool) -> tuple[float, float, list[float]]:
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5, fused=True)
    losses = []
    wall, cpu = time.perf_counter(), time.process_time()
    for batch in batches:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = forward(**batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad()
        losses.append(float(loss))
    return (time.perf_counter() - wall) / len(batches), (time.process_time() - cpu) / len(batches), losses


def _predictions(model, batches, bf16: bool) -> list[int]:
    model.eval()
    predictions = []
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        for batch in batches:
            inputs = {k: v for k, v in batch.items() if k != "labels"}
            predictions += model(**inputs).logits.argmax(dim=-1).tolist()
    model.train()
    return predictions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=8, help="training batches per mode (default 8)")
    parser.add_argument("--skip-compile", action="store_true", help="do not time torch.compile")
    args = parser.parse_args()

    workload = Workload()
    torch.set_num_threads(workload.threads)
    base, tokenizer = load_model_and_tokenizer(workload, 2)
    train = _batches(workload, tokenizer, "train", args.batches)
    validation = _batches(workload, tokenizer, "validation", 25)

    results = {"batches": args.batches, "tokens_per_batch": [int(b["attention_mask"].sum()) for b in train]}
    modes = [("fp32", False, False), ("bf16", True, False)] + ([] if args.skip_compile else [("compile", False, True)])
    trained = {}
    for name, bf16, compiled in modes:
        model = copy.deepcopy(base)
        forward = torch.compile(model) if compiled else model
        started = time.perf_counter()
        _train_steps(model, forward, train[:2], bf16)  # warm-up; compiles on first use
        warm_up = time.perf_counter() - started
        model.load_state_dict(base.state_dict())
        wall, cpu, losses = _train_steps(model, forward, train, bf16)
        results[name] = {"step_wall_s": wall, "step_cpu_s": cpu, "warm_up_s": warm_up, "losses": losses}
        trained[name] = (model, bf16)
        print(json.dumps({name: results[name]}), flush=True)

    fp32_predictions = _predictions(trained["fp32"][0], validation, False)
    bf16_predictions = _predictions(trained["bf16"][0], validation, True)
    labels = [int(label) for batch in validation for label in batch["labels"]]
    results["validation"] = {
        "examples": len(labels),
        "fp32_accuracy": sum(p == y for p, y in zip(fp32_predictions, labels)) / len(labels),
        "bf16_accuracy": sum(p == y for p, y in zip(bf16_predictions, labels)) / len(labels),
        "prediction_agreement": sum(a == b for a, b in zip(fp32_predictions, bf16_predictions)) / len(labels),
        "max_loss_difference": max(abs(a - b) for a, b in zip(results["fp32"]["losses"], results["bf16"]["losses"])),
    }
    print(json.dumps(results))


if __name__ == "__main__":
    main()
