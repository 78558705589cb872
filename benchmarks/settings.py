"""The workload every benchmarked loop runs, shared by the harness and its child processes."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Workload:
    """One epoch of sequence classification on Rotten Tomatoes snippets, identical for every loop."""

    train_samples: int = 800  # training snippets, one epoch
    eval_samples: int = 400  # validation snippets evaluated after the epoch
    batch_size: int = 16  # training and evaluation examples per batch
    max_length: int = 128  # maximum tokens per example, special tokens included
    threads: int = 2  # torch intra-op threads
    learning_rate: float = 5e-5  # AdamW peak learning rate, linear warm-up over 10% then linear decay
    seed: int = 42  # data split, head initialisation and batch order
    output_dir: str = "/tmp/transferlab-bench"  # run directories of the transferlab path and the Trainer

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "Workload":
        return cls(**json.loads(text))
