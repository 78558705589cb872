"""Property-based tests of the CoNLL reader and sub-token label alignment.

Skipped until the CoNLL reader and the token classification task are installed with the package.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

conll = pytest.importorskip("transferlab.data.conll")
token = pytest.importorskip("transferlab.tasks.token")

from transferlab.data.examples import Example  # noqa: E402
from transferlab.errors import DataError  # noqa: E402

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]

# Words with what breaks alignment: accents, CJK, emoji, control characters, long unknown pieces.
words = st.text(
    alphabet=st.one_of(st.sampled_from(["é", "好", "👍", "\u200b", "\x7f", "-", "'", "#"]), st.characters(codec="utf-8", exclude_categories=("Cs", "Zs", "Cc"))),
    min_size=1,
    max_size=12,
)


def _read(content: bytes) -> list[Example] | DataError:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.conll"
        path.write_bytes(content)
        try:
            examples = conll.read_conll(path)
        except DataError as error:
            message = str(error)
            assert str(path) in message, message
            return error
    for example in examples:
        assert len(example.text) == len(example.label) > 0
        assert re.fullmatch(re.escape(str(path)) + r":\d+", example.origin), example.origin
    return examples


@FUZZ
@given(content=st.binary(max_size=300))
def test_random_bytes_give_sentences_or_data_error(content):
    _read(content)


@FUZZ
@given(lines=st.lists(st.one_of(st.just(""), st.just("-DOCSTART- O"), st.tuples(words, st.sampled_from(TAGS + ["B-", "X", "I-per"])).map(" ".join)), max_size=20))
def test_random_lines_give_sentences_or_data_error(lines):
    _read("\n".join(lines).encode("utf-8"))


@pytest.fixture(scope="module")
def tokenizer():
    from transferlab.models.backbone import load_tokenizer

    return load_tokenizer("minilm-l6")


@FUZZ
@given(
    sentence=st.lists(st.tuples(words, st.sampled_from(TAGS)), min_size=1, max_size=30),
    max_length=st.integers(min_value=3, max_value=24),
    label_all_subtokens=st.booleans(),
)
def test_alignment_labels_each_word_once(tokenizer, sentence, max_length, label_all_subtokens):
    example = Example(tuple(w for w, _ in sentence), tuple(t for _, t in sentence), "fuzz:1")
    label2id = {tag: i for i, tag in enumerate(TAGS)}
    task = token.TokenClassification(label_all_subtokens=label_all_subtokens)

    features = task.encode([example], tokenizer, label2id, max_length)

    first_pieces = []
    for feature in features:
        assert len(feature["input_ids"]) <= max_length
        assert len(feature["labels"]) == len(feature["input_ids"]) == len(feature["word_index"])
        for label, word in zip(feature["labels"], feature["word_index"]):
            if word >= 0:
                first_pieces.append(word)
                assert label == label2id[example.label[word]]
            elif label != -100:
                assert label_all_subtokens
                assert not TAGS[label].startswith("B-")
    assert first_pieces == list(range(len(example.text)))
