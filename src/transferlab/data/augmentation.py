"""Token-level data augmentation of training examples: random deletion, swap, insertion and masking of words.

Every operation works on words (the tokenizer's pre-tokenized words for plain text, the given words
for token classification) and draws from a `numpy.random.Generator`, so one (seed, epoch, index)
always gives the same augmented example. With per-word tags (NER), only words tagged outside any
entity are deleted, swapped or masked. New words get the outside tag and go only where they split no
entity. So the entities of an example are never changed.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Optional

import numpy as np

from transferlab.data.examples import Example
from transferlab.errors import ConfigError
from transferlab.log import get_logger

log = get_logger(__name__)

SCHEDULES = ("constant", "linear", "cosine")
# Tag prefixes that continue the entity of the previous word (IOB2, IOBES/BILOU); inserting before one would split it.
CONTINUATION_PREFIXES = ("I-", "E-", "L-", "M-")

Words = Sequence[str]
Tags = Optional[Sequence[str]]  # one tag per word, or None for plain text


def _movable(tags: Sequence[str] | None, count: int, outside_tag: str) -> list[bool]:
    if tags is None:
        return [True] * count
    return [tag == outside_tag for tag in tags]


def random_deletion(words: Words, tags: Tags, probability: float, rng: np.random.Generator, outside_tag: str = "O"):
    """Delete each outside word with `probability`; if that would leave no word, keep one drawn at random."""
    draws = rng.random(len(words))
    movable = _movable(tags, len(words), outside_tag)
    keep = [not (m and d < probability) for m, d in zip(movable, draws)]
    if words and not any(keep):
        keep[int(rng.integers(len(words)))] = True
    kept_words = [w for w, k in zip(words, keep) if k]
    kept_tags = None if tags is None else [t for t, k in zip(tags, keep) if k]
    return kept_words, kept_tags


def random_swap(words: Words, tags: Tags, probability: float, rng: np.random.Generator, outside_tag: str = "O"):
    """Swap each outside word, with `probability`, with another outside word drawn uniformly.

    Tags stay in place: only outside words are swapped, and they share the outside tag.
    """
    words = list(words)
    draws = rng.random(len(words))
    positions = [i for i, m in enumerate(_movable(tags, len(words), outside_tag)) if m]
    if len(positions) < 2:
        return words, None if tags is None else list(tags)
    for i in positions:
        if draws[i] < probability:
            others = [p for p in positions if p != i]
            j = others[int(rng.integers(len(others)))]
            words[i], words[j] = words[j], words[i]
    return words, None if tags is None else list(tags)


def _insertion_gaps(tags: Sequence[str] | None, count: int, outside_tag: str) -> list[int]:
    """Return the gaps (0 = before the first word, count = after the last) where a new word splits no entity."""
    if tags is None:
        return list(range(count + 1))
    gaps = []
    for gap in range(count + 1):
        inside = (
            0 < gap < count
            and tags[gap - 1] != outside_tag
            and tags[gap] != outside_tag
            and tags[gap].startswith(CONTINUATION_PREFIXES)
        )
        if not inside:
            gaps.append(gap)
    return gaps


def random_insertion(
    words: Words, tags: Tags, probability: float, rng: np.random.Generator, vocabulary: Sequence[str], outside_tag: str = "O"
):
    """For each word, with `probability`, insert a vocabulary word drawn uniformly at a gap drawn uniformly.

    Inserted words get the outside tag and never go between two words of one entity.
    """
    words = list(words)
    tags = None if tags is None else list(tags)
    draws = rng.random(len(words))
    for _ in range(int((draws < probability).sum())):
        gaps = _insertion_gaps(tags, len(words), outside_tag)
        gap = gaps[int(rng.integers(len(gaps)))]
        words.insert(gap, vocabulary[int(rng.integers(len(vocabulary)))])
        if tags is not None:
            tags.insert(gap, outside_tag)
    return words, tags


def mask_replacement(words: Words, tags: Tags, probability: float, rng: np.random.Generator, mask_token: str, outside_tag: str = "O"):
    """Replace each outside word with `mask_token` with `probability`."""
    draws = rng.random(len(words))
    movable = _movable(tags, len(words), outside_tag)
    masked = [mask_token if m and d < probability else w for w, m, d in zip(words, movable, draws)]
    return masked, None if tags is None else list(tags)


def strength_at(epoch: int, schedule: str, start: float, end: float, epochs: int) -> float:
    """Return the multiplier of every operation's probability at `epoch` (counted from 0).

    The multiplier moves from `start` at epoch 0 to `end` at epoch `epochs` and stays there;
    `constant` keeps `start` throughout.
    """
    if schedule == "constant":
        return start
    progress = min(epoch / epochs, 1.0)
    if schedule == "cosine":
        progress = (1.0 - math.cos(math.pi * progress)) / 2.0
    return start + (end - start) * progress


@functools.lru_cache(maxsize=4)
def insertion_vocabulary(tokenizer) -> tuple[str, ...]:
    """Return the tokenizer's whole-word entries made of letters that encode back to that one token, in id order.

    Continuation pieces (`##ing`), special tokens and single ASCII letters are left out.
    """
    special = set(tokenizer.all_special_ids)
    candidates = []
    for token, token_id in sorted(tokenizer.get_vocab().items(), key=lambda item: item[1]):
        if token_id in special:
            continue
        word = tokenizer.convert_tokens_to_string([token]).strip()
        if word.isalpha() and (len(word) > 1 or not word.isascii()):
            candidates.append((word, token_id))
    encoded = tokenizer([word for word, _ in candidates], add_special_tokens=False)["input_ids"]
    return tuple(word for (word, token_id), ids in zip(candidates, encoded) if ids == [token_id])


class TokenAugmenter:
    """Applies deletion, swap, insertion and masking, each with its own per-word probability, in that order.

    Each probability is multiplied by the schedule's strength at the current epoch (capped at 1).
    """

    def __init__(
        self,
        tokenizer,
        delete: float = 0.0,
        swap: float = 0.0,
        insert: float = 0.0,
        mask: float = 0.0,
        schedule: str = "constant",
        strength_start: float = 1.0,
        strength_end: float = 1.0,
        schedule_epochs: int = 1,
        outside_tag: str = "O",
    ) -> None:
        self.probabilities = {"delete": delete, "swap": swap, "insert": insert, "mask": mask}
        for name, value in self.probabilities.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise ConfigError(f"augment.{name} must be a probability in [0, 1], got {value!r}")
        if schedule not in SCHEDULES:
            raise ConfigError(f"augment.schedule must be one of {SCHEDULES}, got {schedule!r}")
        for key, value in (("strength_start", strength_start), ("strength_end", strength_end)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ConfigError(f"augment.{key} must be a number >= 0, got {value!r}")
        if isinstance(schedule_epochs, bool) or not isinstance(schedule_epochs, int) or schedule_epochs < 1:
            raise ConfigError(f"augment.schedule_epochs must be an integer >= 1, got {schedule_epochs!r}")
        self.schedule = schedule
        self.strength_start = float(strength_start)
        self.strength_end = float(strength_end)
        self.schedule_epochs = schedule_epochs
        self.outside_tag = outside_tag
        self.tokenizer = tokenizer

        self.mask_token = tokenizer.mask_token
        if mask and self.mask_token is None:
            raise ConfigError(f"augment.mask={mask} needs a mask token, but the tokenizer {type(tokenizer).__name__} has none; set augment.mask=0")
        self.vocabulary = insertion_vocabulary(tokenizer) if insert else ()
        if insert and not self.vocabulary:
            raise ConfigError(f"augment.insert={insert} found no whole words in the tokenizer's vocabulary to insert; set augment.insert=0")

    def describe(self) -> str:
        """Return a one-line summary of the probabilities and the schedule, for the log."""
        probabilities = ", ".join(f"{name} {value:g}" for name, value in self.probabilities.items())
        if self.schedule == "constant":
            return f"{probabilities}; strength {self.strength_start:g}"
        return (
            f"{probabilities}; {self.schedule} strength {self.strength_start:g} -> {self.strength_end:g} "
            f"over {self.schedule_epochs} epochs"
        )

    def probability(self, operation: str, epoch: int) -> float:
        strength = strength_at(epoch, self.schedule, self.strength_start, self.strength_end, self.schedule_epochs)
        return min(1.0, self.probabilities[operation] * strength)

    def split_words(self, texts: Sequence[str]) -> list[list[str]]:
        """Split plain texts into the tokenizer's words (whitespace, punctuation, CJK characters), as substrings."""
        if not texts:
            return []
        encoded = self.tokenizer(list(texts), add_special_tokens=False, verbose=False)
        split = []
        for index, text in enumerate(texts):
            word_ids = sorted({w for w in encoded.word_ids(index) if w is not None})
            spans = [encoded.word_to_chars(index, w) for w in word_ids]
            split.append([text[span.start : span.end] for span in spans])
        return split

    def augment(self, words: Words, tags: Tags, rng: np.random.Generator, epoch: int):
        """Return (words, tags) after every operation whose probability at `epoch` is above zero."""
        probability = self.probability("delete", epoch)
        if probability:
            words, tags = random_deletion(words, tags, probability, rng, self.outside_tag)
        probability = self.probability("swap", epoch)
        if probability:
            words, tags = random_swap(words, tags, probability, rng, self.outside_tag)
        probability = self.probability("insert", epoch)
        if probability:
            words, tags = random_insertion(words, tags, probability, rng, self.vocabulary, self.outside_tag)
        probability = self.probability("mask", epoch)
        if probability:
            words, tags = mask_replacement(words, tags, probability, rng, self.mask_token, self.outside_tag)
        return words, tags

    def augment_example(self, example: Example, words: Words, rng: np.random.Generator, epoch: int) -> Example:
        """Return `example` rebuilt from its augmented words: joined by spaces for plain text, a word tuple for NER."""
        if isinstance(example.text, str):
            augmented, _ = self.augment(words, None, rng, epoch)
            return Example(" ".join(augmented), example.label, example.origin)
        augmented, tags = self.augment(list(example.text), list(example.label), rng, epoch)
        return Example(tuple(augmented), tuple(tags), example.origin)
