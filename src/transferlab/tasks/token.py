"""Token classification (NER): one tag per word, scored on entities with seqeval."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import torch
from torchmetrics import MetricCollection

from transferlab.data.examples import Example
from transferlab.data.tags import continuation_tag
from transferlab.errors import ConfigError, DataError
from transferlab.log import get_logger
from transferlab.tasks.base import Feature, Task
from transferlab.tasks.entity_metrics import AVERAGES, SCORES, EntityScore, check_eval_settings, seqeval_options

log = get_logger(__name__)

ENCODE_CHUNK = 512  # sentences per call of the fast tokenizer
PREDICTIONS_FILE = "test_predictions.conll"


def split_windows(piece_counts: Sequence[int], budget: int) -> list[tuple[int, int]]:
    """Return (start, end) word ranges whose sub-tokens fit in `budget`, covering every word once.

    A single word with more than `budget` sub-tokens gets a window of its own. Encoding later cuts
    it to its first `budget` sub-tokens, which keeps the first sub-token that carries its tag.
    """
    windows = []
    start, used = 0, 0
    for index, count in enumerate(piece_counts):
        count = min(count, budget)
        if used + count > budget and index > start:
            windows.append((start, index))
            start, used = index, 0
        used += count
    windows.append((start, len(piece_counts)))
    return windows


class TokenClassification(Task):
    """Tags every word of a sentence: the model works on sub-tokens, the metrics and outputs on words.

    Only the first sub-token of each word carries the word's label, unless `label_all_subtokens` is
    set, in which case later sub-tokens carry its continuation tag (`B-X` becomes `I-X`). Predictions
    are always read from first sub-tokens. Sentences longer than `max_length` are split into
    windows of whole words that do not overlap, so every word gets exactly one prediction.
    """

    name = "token_classification"
    pipeline_task = "token-classification"
    batch_metadata_keys = ("word_index", "example_index")

    def __init__(self, label_all_subtokens: bool = False, eval_mode: str = "default", eval_scheme: str | None = "IOB2") -> None:
        self.label_all_subtokens = bool(label_all_subtokens)
        self.eval_mode, self.eval_scheme = check_eval_settings(eval_mode, eval_scheme)

    # Encoding

    def encode(self, examples: Sequence[Example], tokenizer, label2id: dict[str, int], max_length: int) -> list[Feature]:
        budget = max_length - tokenizer.num_special_tokens_to_add(pair=False)
        if budget < 1:
            raise ConfigError(f"data.max_length={max_length} leaves no room for words next to the special tokens; raise it")
        if self.label_all_subtokens:
            self._check_continuation_tags(label2id)

        features: list[Feature] = []
        totals = {"split": 0, "windows": 0, "cut": 0}
        for start in range(0, len(examples), ENCODE_CHUNK):
            chunk = examples[start : start + ENCODE_CHUNK]
            sentences = [list(example.text) for example in chunk]
            piece_counts = self._piece_counts(sentences, tokenizer)
            for offset, counts in enumerate(piece_counts):
                if 0 in counts:
                    sentences[offset] = self._replace_dropped_words(chunk[offset], counts, tokenizer)
                    piece_counts[offset] = self._piece_counts([sentences[offset]], tokenizer)[0]

            windows = []  # (example index, first word, words of the window)
            for offset, (words, counts) in enumerate(zip(sentences, piece_counts)):
                ranges = split_windows(counts, budget)
                totals["split"] += len(ranges) > 1
                totals["windows"] += len(ranges) if len(ranges) > 1 else 0
                totals["cut"] += sum(count > budget for count in counts)
                windows.extend((start + offset, first, words[first:end]) for first, end in ranges)

            encoded = tokenizer(
                [words for _, _, words in windows],
                is_split_into_words=True,
                truncation=True,
                max_length=max_length,
                return_attention_mask=False,
                return_token_type_ids=False,
            )
            for row, (example_index, first_word, words) in enumerate(windows):
                example = examples[example_index]
                features.append(
                    self._feature(encoded["input_ids"][row], encoded.word_ids(row), example, example_index, first_word, len(words), label2id)
                )

        if totals["split"]:
            log.warning(
                "Split %d sentences longer than %d sub-tokens into %d windows without overlap; raise data.max_length to keep them whole",
                totals["split"], budget, totals["windows"],
            )
        if totals["cut"]:
            log.warning("Cut %d words with more than %d sub-tokens to their first %d; their tags are kept", totals["cut"], budget, budget)
        return features

    def _check_continuation_tags(self, label2id: Mapping[str, int]) -> None:
        missing = sorted({continuation_tag(tag) for tag in label2id} - set(label2id))
        if missing:
            raise ConfigError(
                f"data.task_options.label_all_subtokens=true needs the tags {missing} for continuation sub-tokens; "
                "add them to data.labels or set label_all_subtokens=false"
            )

    @staticmethod
    def _replace_dropped_words(example: Example, piece_counts: list[int], tokenizer) -> list[str]:
        """Return the example's words with the unknown token in place of words that produce no sub-token."""
        words = list(example.text)
        dropped = [index for index, count in enumerate(piece_counts) if count == 0]
        if tokenizer.unk_token is None:
            raise DataError(
                f"{example.origin}: the tokenizer produces no sub-token for the word {words[dropped[0]]!r} and has no "
                "unknown token to stand in for it; remove or replace the word"
            )
        log.warning(
            "%s: %d words produce no sub-token (first %r); encoding them as %s",
            example.origin, len(dropped), words[dropped[0]], tokenizer.unk_token,
        )
        for index in dropped:
            words[index] = tokenizer.unk_token
        return words

    @staticmethod
    def _piece_counts(sentences: list[list[str]], tokenizer) -> list[list[int]]:
        encoded = tokenizer(sentences, is_split_into_words=True, add_special_tokens=False, return_attention_mask=False)
        counts = []
        for row, words in enumerate(sentences):
            row_counts = [0] * len(words)
            for index in encoded.word_ids(row):
                if index is not None:
                    row_counts[index] += 1
            counts.append(row_counts)
        return counts

    def _feature(
        self,
        input_ids: list[int],
        word_ids: list[int | None],
        example: Example,
        example_index: int,
        first_word: int,
        num_words: int,
        label2id: Mapping[str, int],
    ) -> Feature:
        tags = example.label
        labels, word_index = [], []
        previous = None
        for index in word_ids:
            if index is None:
                labels.append(-100)
                word_index.append(-1)
            elif index != previous:
                labels.append(-100 if tags is None else label2id[tags[first_word + index]])
                word_index.append(first_word + index)
            else:
                continued = self.label_all_subtokens and tags is not None
                labels.append(label2id[continuation_tag(tags[first_word + index])] if continued else -100)
                word_index.append(-1)
            previous = index

        starts = [i for i in word_index if i >= 0]
        if starts != list(range(first_word, first_word + num_words)):
            raise RuntimeError(f"{example.origin}: sub-token alignment lost words {first_word}..{first_word + num_words - 1}")
        return {"input_ids": input_ids, "labels": labels, "word_index": word_index, "example_index": example_index}

    def collate(self, features: Sequence[Feature], pad_token_id: int) -> dict[str, torch.Tensor]:
        input_ids, attention_mask = self.pad([f["input_ids"] for f in features], pad_token_id)
        labels, _ = self.pad([f["labels"] for f in features], -100)
        word_index, _ = self.pad([f["word_index"] for f in features], -1)
        return {
            "input_ids": input_ids,
            "attention_mask": attention_mask,
            "labels": labels,
            "word_index": word_index,
            "example_index": torch.tensor([f["example_index"] for f in features], dtype=torch.long),
        }

    def auto_model_class(self):
        from transformers import AutoModelForTokenClassification

        return AutoModelForTokenClassification

    # Metrics, decoding and outputs

    def build_metrics(self, num_labels: int, id2label: dict[int, str]) -> MetricCollection:
        if self.eval_scheme == "IOB2":
            foreign = sorted(tag for tag in id2label.values() if tag[:2] in ("E-", "S-"))
            if foreign:
                raise ConfigError(
                    f"data.task_options.eval_scheme=IOB2 cannot score the IOBES tags {foreign[:4]}; set eval_scheme=IOBES"
                )
        settings = {"id2label": id2label, "mode": self.eval_mode, "scheme": self.eval_scheme}
        metrics = {}
        for average in AVERAGES:
            for score in SCORES:
                name = score if average == "micro" else f"{score}_macro"
                metrics[name] = EntityScore(score=score, average=average, **settings)
        return MetricCollection(metrics)

    def update_metrics(self, metrics: MetricCollection, logits: torch.Tensor, batch: dict[str, torch.Tensor]) -> None:
        metrics.update(logits, batch["labels"], batch["word_index"], batch["example_index"])

    def metrics_metadata(self) -> dict:
        return {"seqeval": {"mode": self.eval_mode, "scheme": self.eval_scheme, "scores": "entity level"}}

    def gather_predictions(self, logits: torch.Tensor, batch: dict[str, torch.Tensor]) -> tuple[list, list]:
        """Return per window (example index, word indices, predicted ids) and the gold ids of those words."""
        predicted = logits.argmax(dim=-1)
        predictions, references = [], []
        for row in range(predicted.shape[0]):
            starts = batch["word_index"][row] >= 0
            predictions.append(
                (int(batch["example_index"][row]), batch["word_index"][row][starts].tolist(), predicted[row][starts].tolist())
            )
            references.append(batch["labels"][row][starts].tolist())
        return predictions, references

    @staticmethod
    def decode(predictions: list, references: list, id2label: Mapping[int, str]) -> dict[int, tuple[list[str], list[str]]]:
        """Return {example index: (gold tags, predicted tags)}, one tag per word, windows joined in word order."""
        by_example: dict[int, list[tuple[int, int, int]]] = {}
        for (example_index, word_indices, predicted_ids), gold_ids in zip(predictions, references):
            by_example.setdefault(example_index, []).extend(zip(word_indices, gold_ids, predicted_ids))
        decoded = {}
        for example_index, words in by_example.items():
            words.sort()
            decoded[example_index] = ([id2label[g] for _, g, _ in words], [id2label[p] for _, _, p in words])
        return decoded

    def report(self, predictions: list, references: list, id2label: dict[int, str]) -> str:
        from seqeval.metrics import classification_report

        decoded = self.decode(predictions, references, id2label)
        keys = sorted(decoded)
        table = classification_report(
            [decoded[k][0] for k in keys],
            [decoded[k][1] for k in keys],
            digits=4,
            zero_division=0,
            **seqeval_options(self.eval_mode, self.eval_scheme),
        )
        mode = "strict, scheme " + self.eval_scheme if self.eval_mode == "strict" else "default"
        return f"Entity-level scores (seqeval mode: {mode}) on {len(keys)} sentences\n\n{table}"

    def write_test_outputs(
        self, run_dir: Path, predictions: list, references: list, examples: Sequence[Example], id2label: dict[int, str]
    ) -> Path:
        """Write the test sentences as `word<TAB>gold tag<TAB>predicted tag` lines, a blank line between sentences."""
        from transferlab.reporting.files import write_text_atomic

        decoded = self.decode(predictions, references, id2label)
        missing = [index for index in range(len(examples)) if index not in decoded]
        if missing:
            log.warning("No predictions for %d of %d test sentences (first at %s); they are left out of %s",
                        len(missing), len(examples), examples[missing[0]].origin, PREDICTIONS_FILE)
        blocks = []
        for index, example in enumerate(examples):
            if index not in decoded:
                continue
            gold = example.label if example.label is not None else ("O",) * len(example.text)
            predicted = decoded[index][1]
            if len(predicted) != len(example.text):
                raise RuntimeError(f"{example.origin}: {len(predicted)} predicted tags for {len(example.text)} words")
            blocks.append("".join(f"{word}\t{tag}\t{guess}\n" for word, tag, guess in zip(example.text, gold, predicted)))
        return write_text_atomic(run_dir / PREDICTIONS_FILE, "\n".join(blocks))
