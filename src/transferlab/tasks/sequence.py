"""Sequence classification: one label per text, binary or multi-class."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torchmetrics import MetricCollection
from torchmetrics.classification import MulticlassAccuracy, MulticlassF1Score

from transferlab.data.examples import Example
from transferlab.tasks.base import Feature, Task

ENCODE_CHUNK = 1024  # examples per call of the fast tokenizer


class SequenceClassification(Task):
    name = "sequence_classification"
    pipeline_task = "text-classification"

    def encode(self, examples: Sequence[Example], tokenizer, label2id: dict[str, int], max_length: int) -> list[Feature]:
        features: list[Feature] = []
        for start in range(0, len(examples), ENCODE_CHUNK):
            chunk = examples[start : start + ENCODE_CHUNK]
            encoded = tokenizer(
                [e.text for e in chunk],
                truncation=True,
                max_length=max_length,
                return_attention_mask=False,
                return_token_type_ids=False,
            )
            for example, input_ids in zip(chunk, encoded["input_ids"]):
                label = -100 if example.label is None else label2id[example.label]
                features.append({"input_ids": input_ids, "labels": label})
        return features

    def collate(self, features: Sequence[Feature], pad_token_id: int) -> dict[str, torch.Tensor]:
        input_ids, attention_mask = self.pad([f["input_ids"] for f in features], pad_token_id)
        return {
            "input_ids": input_ids,
            "attention_mask": attention_mask,
            "labels": torch.tensor([f["labels"] for f in features], dtype=torch.long),
        }

    def auto_model_class(self):
        from transformers import AutoModelForSequenceClassification

        return AutoModelForSequenceClassification

    def build_metrics(self, num_labels: int, id2label: dict[int, str]) -> MetricCollection:
        return MetricCollection(
            {
                "acc": MulticlassAccuracy(num_classes=num_labels, average="micro"),
                "f1_macro": MulticlassF1Score(num_classes=num_labels, average="macro"),
            }
        )

    def gather_predictions(self, logits: torch.Tensor, batch: dict[str, torch.Tensor]) -> tuple[list, list]:
        return logits.argmax(dim=-1).tolist(), batch["labels"].tolist()

    def report(self, predictions: list, references: list, id2label: dict[int, str]) -> str:
        from sklearn.metrics import classification_report

        ids = sorted(id2label)
        return classification_report(
            references, predictions, labels=ids, target_names=[id2label[i] for i in ids], digits=4, zero_division=0
        )
