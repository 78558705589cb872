import pytest
import torch

from transferlab.data.examples import Example
from transferlab.data.tags import complete_tag_set
from transferlab.errors import ConfigError
from transferlab.models.backbone import load_tokenizer
from transferlab.tasks import build_task
from transferlab.tasks.token import TokenClassification, split_windows

SENTENCES = [
    (("Barack", "Obama", "visited", "unaffable", "Washington", "."), ("B-PER", "I-PER", "O", "O", "B-LOC", "O")),
    (("北京", "欢迎", "你", "😂"), ("B-LOC", "O", "O", "O")),
    # A zero-width space and a variation selector produce no WordPiece sub-token on their own.
    (("a", "\u200b", "Big", "\ufe0f", "Apple"), ("O", "O", "B-LOC", "I-LOC", "I-LOC")),
    # Longer than max_length below, so it is split into windows.
    (tuple(f"word{i}" for i in range(40)), tuple("B-MISC" if i % 7 == 0 else "O" for i in range(40))),
    # One word with more sub-tokens than a whole window.
    (("start", "-".join(["x"] * 40), "end"), ("O", "B-MISC", "O")),
    (("New", "York", "Knicks"), ("B-ORG", "I-ORG", "I-ORG")),
]
MAX_LENGTH = 16


@pytest.fixture(scope="module")
def wordpiece():
    return load_tokenizer("minilm-l6")


@pytest.fixture(scope="module")
def byte_level_bpe():
    """A byte-level BPE tokenizer (as in GPT-2 and RoBERTa) trained here on the test sentences."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    corpus = [" ".join(words) for words, _ in SENTENCES] * 5 + ["the quick brown fox jumps over the lazy dog"]
    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        min_frequency=1,
        special_tokens=["<s>", "</s>", "<pad>", "<unk>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    bpe.train_from_iterator(corpus, trainer)
    bpe.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", bpe.token_to_id("<s>")), ("</s>", bpe.token_to_id("</s>"))]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=bpe, bos_token="<s>", eos_token="</s>", pad_token="<pad>", unk_token="<unk>"
    )


def examples() -> list[Example]:
    return [Example(words, tags, f"mem:{i}") for i, (words, tags) in enumerate(SENTENCES)]


def labels() -> dict[str, int]:
    tags = complete_tag_set(tag for _, sentence_tags in SENTENCES for tag in sentence_tags)
    return {tag: i for i, tag in enumerate(sorted(tags))}


def oracle_logits(batch: dict[str, torch.Tensor], examples: list[Example], label2id: dict[str, int]) -> torch.Tensor:
    """Logits that predict each word's gold tag on its first sub-token and tag 0 everywhere else."""
    logits = torch.zeros(*batch["input_ids"].shape, len(label2id))
    logits[..., 0] = 1.0
    for row, example_index in enumerate(batch["example_index"].tolist()):
        for position, word in enumerate(batch["word_index"][row].tolist()):
            if word >= 0:
                logits[row, position, label2id[examples[example_index].label[word]]] = 5.0
    return logits


@pytest.mark.parametrize("tokenizer_name", ["wordpiece", "byte_level_bpe"])
@pytest.mark.parametrize("label_all_subtokens", [False, True])
def test_round_trip_one_tag_per_word(request, tokenizer_name, label_all_subtokens):
    tokenizer = request.getfixturevalue(tokenizer_name)
    task = TokenClassification(label_all_subtokens=label_all_subtokens)
    label2id = labels()
    id2label = {i: tag for tag, i in label2id.items()}
    data = examples()

    features = task.encode(data, tokenizer, label2id, MAX_LENGTH)
    assert all(len(f["input_ids"]) <= MAX_LENGTH for f in features)
    assert len(features) > len(data), "the 40-word sentence must be split into windows"

    # Shuffled batches of two, the way windows of one sentence can land in different batches.
    order = list(range(len(features)))[::-1]
    predictions, references = [], []
    for start in range(0, len(order), 2):
        batch = task.collate([features[i] for i in order[start : start + 2]], tokenizer.pad_token_id)
        batch_predictions, batch_references = task.gather_predictions(oracle_logits(batch, data, label2id), batch)
        predictions += batch_predictions
        references += batch_references

    decoded = task.decode(predictions, references, id2label)
    assert sorted(decoded) == list(range(len(data)))
    for index, example in enumerate(data):
        gold, predicted = decoded[index]
        assert len(predicted) == len(example.text)
        assert predicted == list(example.label)
        assert gold == list(example.label)


@pytest.mark.parametrize("tokenizer_name", ["wordpiece", "byte_level_bpe"])
def test_first_subtoken_carries_label(request, tokenizer_name):
    tokenizer = request.getfixturevalue(tokenizer_name)
    label2id = labels()
    data = examples()
    first_only = TokenClassification().encode(data, tokenizer, label2id, MAX_LENGTH)
    every_piece = TokenClassification(label_all_subtokens=True).encode(data, tokenizer, label2id, MAX_LENGTH)

    continuation_pieces = 0
    for plain, full in zip(first_only, every_piece):
        assert plain["input_ids"] == full["input_ids"]
        tags = data[plain["example_index"]].label
        word = None
        for position, (word_index, label, full_label) in enumerate(zip(plain["word_index"], plain["labels"], full["labels"])):
            if word_index >= 0:
                word = word_index
                assert label == label2id[tags[word_index]]
                assert full_label == label
            elif position == 0 or position == len(plain["input_ids"]) - 1:
                assert label == -100
                assert full_label == -100
            else:
                continuation_pieces += 1
                assert label == -100
                expected = "O" if tags[word] == "O" else "I-" + tags[word][2:]
                assert full_label == label2id[expected]
    assert continuation_pieces > 0


def test_dropped_word_encoded_as_unknown(wordpiece):
    task = TokenClassification()
    [feature] = task.encode(examples()[2:3], wordpiece, labels(), 64)
    tokens = wordpiece.convert_ids_to_tokens(feature["input_ids"])
    assert tokens.count("[UNK]") == 2
    assert [i for i in feature["word_index"] if i >= 0] == [0, 1, 2, 3, 4]


def test_windows_cover_every_word_once():
    assert split_windows([1, 1, 1, 1], 2) == [(0, 2), (2, 4)]
    assert split_windows([3, 1, 5, 1], 4) == [(0, 2), (2, 3), (3, 4)]
    assert split_windows([2], 8) == [(0, 1)]


def test_max_length_without_room_rejected(wordpiece):
    with pytest.raises(ConfigError, match="data.max_length=2"):
        TokenClassification().encode(examples(), wordpiece, labels(), 2)


def test_label_all_needs_inside_tags(wordpiece):
    with pytest.raises(ConfigError, match=r"needs the tags \['I-LOC'\]"):
        TokenClassification(label_all_subtokens=True).encode(examples()[:1], wordpiece, {"O": 0, "B-LOC": 1}, 32)


def test_unknown_task_option_rejected():
    with pytest.raises(ConfigError, match="unknown keys \\['stride'\\]"):
        build_task("token_classification", stride=8)


@pytest.mark.parametrize("options", [{"eval_mode": "lenient"}, {"eval_mode": "strict", "eval_scheme": "BILOU"}])
def test_bad_eval_settings_rejected(options):
    with pytest.raises(ConfigError, match="data.task_options.eval_"):
        build_task("token_classification", **options)
