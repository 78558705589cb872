"""The interface shared by tasks, so the data module and the Lightning module never branch on task type."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from transferlab.data.examples import Example

# One encoded example: input_ids plus task-specific fields such as labels or word_ids.
Feature = dict[str, Any]


class Task(ABC):
    name: str
    # Hugging Face pipeline name that loads the exported model.
    pipeline_task: str
    # Batch entries for metrics and decoding only; they are not passed to the model.
    batch_metadata_keys: tuple[str, ...] = ()

    @abstractmethod
    def encode(self, examples: Sequence[Example], tokenizer, label2id: dict[str, int], max_length: int) -> list[Feature]:
        """Tokenize examples once into features (no padding)."""

    @abstractmethod
    def collate(self, features: Sequence[Feature], pad_token_id: int) -> dict[str, torch.Tensor]:
        """Pad a batch of features to its longest member."""

    @abstractmethod
    def auto_model_class(self):
        """Return the transformers `AutoModelFor...` class for this task's head."""

    @abstractmethod
    def build_metrics(self, num_labels: int, id2label: dict[int, str]):
        """Return a torchmetrics `MetricCollection` fed with (logits, labels)."""

    def update_metrics(self, metrics, logits: torch.Tensor, batch: dict[str, torch.Tensor]) -> None:
        """Feed one evaluation batch to the metrics of `build_metrics`."""
        metrics.update(logits, batch["labels"])

    def metrics_metadata(self) -> dict[str, Any]:
        """Return settings that give the scores their meaning, stored beside them in metrics.json."""
        return {}

    @abstractmethod
    def report(self, predictions: list, references: list, id2label: dict[int, str]) -> str:
        """Return a per-label classification report as text."""

    @abstractmethod
    def gather_predictions(self, logits: torch.Tensor, batch: dict[str, torch.Tensor]) -> tuple[list, list]:
        """Return (predicted ids, gold ids) of a batch, one item per example, for the report."""

    def write_test_outputs(
        self, run_dir: Path, predictions: list, references: list, examples: Sequence[Example], id2label: dict[int, str]
    ) -> Path | None:
        """Write task-specific files about the test split into `run_dir` and return the main one (None writes nothing)."""
        return None

    @staticmethod
    def pad(sequences: Sequence[Sequence[int]], value: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Return (padded, mask): the sequences right-padded with `value` to the longest, and 1 on real items."""
        longest = max(len(s) for s in sequences)
        padded = torch.full((len(sequences), longest), value, dtype=torch.long)
        mask = torch.zeros((len(sequences), longest), dtype=torch.long)
        for row, sequence in enumerate(sequences):
            padded[row, : len(sequence)] = torch.as_tensor(sequence, dtype=torch.long)
            mask[row, : len(sequence)] = 1
        return padded, mask
