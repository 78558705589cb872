"""Zero-shot and few-shot classification: nothing is trained, each text takes the label with the closest vector.

Zero-shot (`shots: 0`): a label's vector is the mean embedding of its prompts, every template filled
with every wording of the label. Few-shot (`shots: k`): a label's vector is the mean embedding of k
training examples of that label, drawn with the run's seed.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from functools import partial

import torch

from transferlab.data.examples import Example
from transferlab.data.preparation import PreparedData
from transferlab.errors import ConfigError, DataError
from transferlab.log import get_logger
from transferlab.methods.base import Method
from transferlab.models.module import TransferModule
from transferlab.models.similarity import SimilarityClassifier

log = get_logger(__name__)

PLACEHOLDER = "{label}"


def _wordings(value: object, key: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    wordings = list(value) if isinstance(value, Sequence) else None
    if not wordings or not all(isinstance(w, str) and w.strip() for w in wordings):
        raise ConfigError(f"{key} must be a non-empty string or a list of non-empty strings, got {value!r}")
    return wordings


def label_prompts(label_names: Sequence[str], templates: Sequence[str], descriptions: Mapping[str, object]) -> dict[str, list[str]]:
    """Return each label's prompts: every template with `{label}` replaced by every wording of the label."""
    prompts = {}
    for label in label_names:
        wordings = _wordings(descriptions.get(label, label), f"method.label_descriptions.{label}")
        prompts[label] = [template.replace(PLACEHOLDER, wording) for template in templates for wording in wordings]
    return prompts


def sample_shots(train: Sequence[Example], label_names: Sequence[str], shots: int, seed: int) -> dict[str, list[Example]]:
    """Draw `shots` training examples per label (all of them where a label has fewer), reproducibly from `seed`."""
    by_label: dict[str, list[Example]] = defaultdict(list)
    for example in train:
        by_label[example.label].append(example)
    rng = random.Random(seed)
    chosen = {}
    for label in label_names:
        pool = by_label[label]
        if len(pool) < shots:
            log.warning("Label %r has %d training examples, fewer than method.shots=%d; using all of them", label, len(pool), shots)
            chosen[label] = list(pool)
        else:
            chosen[label] = rng.sample(pool, shots)
    return chosen


class ZeroShot(Method):
    """Classify with a frozen encoder by cosine similarity to label vectors; `trainer.fit` is skipped."""

    name = "zero_shot"
    trains = False

    def __init__(
        self,
        templates: Sequence[str] = (PLACEHOLDER,),
        label_descriptions: Mapping[str, object] | None = None,
        shots: int = 0,
        temperature: float = 0.05,
    ) -> None:
        # Values are checked in `check`, because Hydra wraps errors raised here in its own exception.
        self.templates = templates
        self.label_descriptions = label_descriptions or {}
        self.shots = shots
        self.temperature = temperature

    @property
    def module_class(self):
        return partial(ZeroShotModule, method=self)

    def check_data(self, task_name: str, prepared: PreparedData) -> None:
        if task_name != "sequence_classification":
            raise ConfigError(f"method=zero_shot supports data.task=sequence_classification only, got {task_name!r}")
        self._check_settings()
        unknown = sorted(set(self.label_descriptions) - set(prepared.label_names))
        if unknown:
            raise ConfigError(
                f"method.label_descriptions has entries for {unknown}, which are not labels of the data "
                f"({', '.join(prepared.label_names)}); rename or remove them"
            )
        label_prompts(prepared.label_names, self.templates, self.label_descriptions)
        if self.shots:
            present = {example.label for example in prepared.splits["train"]}
            absent = [label for label in prepared.label_names if label not in present]
            if absent:
                raise DataError(f"labels {absent} have no training examples, so method.shots={self.shots} cannot build their vectors")

    def _check_settings(self) -> None:
        if isinstance(self.templates, str) or not self.templates:
            raise ConfigError(f"method.templates must be a non-empty list of strings, got {self.templates!r}")
        self.templates = [str(t) for t in self.templates]
        missing = [t for t in self.templates if PLACEHOLDER not in t]
        if missing:
            raise ConfigError(f"method.templates: {missing[0]!r} has no {PLACEHOLDER} placeholder for the label's wording")
        if isinstance(self.shots, bool) or not isinstance(self.shots, int) or self.shots < 0:
            raise ConfigError(f"method.shots must be an integer >= 0 (0 means zero-shot), got {self.shots!r}")
        if isinstance(self.temperature, bool) or not isinstance(self.temperature, (int, float)) or self.temperature <= 0:
            raise ConfigError(f"method.temperature must be a number > 0, got {self.temperature!r}")
        if not isinstance(self.label_descriptions, Mapping):
            raise ConfigError(f"method.label_descriptions must map labels to wordings, got {self.label_descriptions!r}")

    def auto_model_class(self, task):
        from transformers import AutoModel

        return AutoModel

    def prepare_model(self, model, task) -> SimilarityClassifier:
        return SimilarityClassifier(model, self.temperature)

    def build_label_vectors(self, model: SimilarityClassifier, tokenizer, prepared: PreparedData, max_length: int, batch_size: int, seed: int) -> None:
        """Embed each label's prompts (zero-shot) or sampled training examples (few-shot) and store their means."""
        if self.shots:
            sampled = sample_shots(prepared.splits["train"], prepared.label_names, self.shots, seed)
            texts = {label: [example.text for example in examples] for label, examples in sampled.items()}
            sources = {label: [example.origin for example in examples] for label, examples in sampled.items()}
            kind = f"{self.shots} training examples"
        else:
            texts = label_prompts(prepared.label_names, self.templates, self.label_descriptions)
            sources = texts
            counts = sorted({len(prompts) for prompts in texts.values()})
            kind = f"{counts[0]} prompts" if len(counts) == 1 else f"{counts[0]} to {counts[-1]} prompts"

        vectors = []
        for label in prepared.label_names:
            embeddings = model.embed_texts(texts[label], tokenizer, max_length, batch_size)
            vectors.append(embeddings.mean(dim=0))
        model.set_label_vectors(torch.stack(vectors), {"shots": self.shots, "sources": sources})
        log.info("Built %d label vectors, each the mean embedding of %s", len(vectors), kind)


class ZeroShotModule(TransferModule):
    """Validates and tests a `SimilarityClassifier`; its label vectors are built at the first evaluation."""

    def __init__(self, method: ZeroShot, **kwargs) -> None:
        super().__init__(**kwargs)
        self.method = method

    def _ensure_label_vectors(self) -> None:
        if self.model.has_label_vectors:
            return
        datamodule = self.trainer.datamodule
        self.method.build_label_vectors(
            self.model,
            datamodule.tokenizer,
            datamodule.prepared,
            datamodule.max_length,
            datamodule.eval_batch_size,
            datamodule.seed,
        )

    def on_validation_start(self) -> None:
        self._ensure_label_vectors()

    def on_test_start(self) -> None:
        self._ensure_label_vectors()

    def configure_optimizers(self):
        raise RuntimeError("method=zero_shot trains nothing, so it has no optimizer; trainer.fit must not be called")
