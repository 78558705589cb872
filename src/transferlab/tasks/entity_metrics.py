"""Entity-level precision, recall and F1 with seqeval, as torchmetrics metrics that sync across processes."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torchmetrics import Metric
from torchmetrics.utilities import dim_zero_cat

from transferlab.errors import ConfigError

EVAL_MODES = ("default", "strict")
# Schemes a model can be trained on here: IOB1 files are converted to IOB2 when read.
STRICT_SCHEMES = ("IOB2", "IOBES")
SCORES = ("precision", "recall", "f1")
AVERAGES = ("micro", "macro")


def check_eval_settings(mode: str, scheme: str | None) -> tuple[str, str | None]:
    """Return (mode, scheme) after checking them; the scheme is None in default mode, where seqeval ignores it."""
    if mode not in EVAL_MODES:
        raise ConfigError(f"data.task_options.eval_mode must be one of {EVAL_MODES}, got {mode!r}")
    if (scheme is not None or mode == "strict") and str(scheme).upper() not in STRICT_SCHEMES:
        raise ConfigError(
            f"data.task_options.eval_scheme must be one of {STRICT_SCHEMES}, got {scheme!r}; "
            "use IOB2 for IOB1 and IOB2 files, IOBES for IOBES files"
        )
    if mode == "default":
        return mode, None
    return mode, str(scheme).upper()


def seqeval_options(mode: str, scheme: str | None) -> dict:
    """Return the keyword arguments that select the evaluation mode in seqeval's metric functions."""
    if mode == "default":
        return {}
    from seqeval import scheme as schemes

    return {"mode": "strict", "scheme": getattr(schemes, scheme)}


def group_word_tags(
    example_ids: list[int], word_ids: list[int], tag_ids: list[int], id2label: Mapping[int, str]
) -> dict[int, list[str]]:
    """Return each example's tags in word order from flat (example, word, tag id) triples."""
    order = sorted(range(len(example_ids)), key=lambda i: (example_ids[i], word_ids[i]))
    sequences: dict[int, list[str]] = {}
    for i in order:
        sequences.setdefault(example_ids[i], []).append(id2label[tag_ids[i]])
    return sequences


class EntityScore(Metric):
    """One seqeval entity score (`precision`, `recall` or `f1`, `micro` or `macro` averaged).

    `update` takes the token logits and labels with `word_index` (the word a token starts, -1 on
    special tokens, padding and continuation sub-tokens) and `example_index` (the sentence of each
    row). Only first sub-tokens are scored, and the windows of a long sentence are joined back into
    one tag sequence before seqeval scores it. The states are concatenated across processes.
    """

    full_state_update = False
    higher_is_better = True
    is_differentiable = False

    def __init__(
        self,
        id2label: Mapping[int, str],
        score: str = "f1",
        average: str = "micro",
        mode: str = "default",
        scheme: str | None = None,
    ) -> None:
        super().__init__()
        if score not in SCORES or average not in AVERAGES:
            raise ValueError(f"score must be one of {SCORES} and average one of {AVERAGES}, got {score!r}, {average!r}")
        self.id2label = dict(id2label)
        self.score = score
        self.average = average
        self.mode, self.scheme = check_eval_settings(mode, scheme)
        for name in ("example_ids", "word_ids", "predictions", "targets"):
            self.add_state(name, default=[], dist_reduce_fx="cat")

    def update(
        self, logits: torch.Tensor, labels: torch.Tensor, word_index: torch.Tensor, example_index: torch.Tensor
    ) -> None:
        scored = (word_index >= 0) & (labels != -100)
        rows = example_index.unsqueeze(1).expand_as(word_index)
        self.example_ids.append(rows[scored])
        self.word_ids.append(word_index[scored])
        self.predictions.append(logits.argmax(dim=-1)[scored])
        self.targets.append(labels[scored])

    def compute(self) -> torch.Tensor:
        from seqeval import metrics

        if isinstance(self.example_ids, list) and not self.example_ids:
            return torch.tensor(0.0)
        example_ids = dim_zero_cat(self.example_ids).tolist()
        word_ids = dim_zero_cat(self.word_ids).tolist()
        predicted = group_word_tags(example_ids, word_ids, dim_zero_cat(self.predictions).tolist(), self.id2label)
        gold = group_word_tags(example_ids, word_ids, dim_zero_cat(self.targets).tolist(), self.id2label)
        keys = sorted(gold)
        function = {"precision": metrics.precision_score, "recall": metrics.recall_score, "f1": metrics.f1_score}[self.score]
        value = function(
            [gold[k] for k in keys],
            [predicted[k] for k in keys],
            average=self.average,
            zero_division=0,
            **seqeval_options(self.mode, self.scheme),
        )
        return torch.tensor(float(value))
