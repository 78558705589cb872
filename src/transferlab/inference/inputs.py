"""Read evaluation and prediction inputs in any supported format into examples.

The format comes from `fmt` or the file suffix. Token classification inputs are word sequences:
CoNLL files give them directly, and other formats split each text on whitespace.
"""

from __future__ import annotations

from pathlib import Path

from transferlab.data.examples import Example
from transferlab.data.tabular import read_table
from transferlab.errors import DataError
from transferlab.log import get_logger

log = get_logger(__name__)

FORMATS = ("text", "csv", "tsv", "jsonl", "conll")
SUFFIX_FORMATS = {
    ".txt": "text",
    ".text": "text",
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".conll": "conll",
    ".iob": "conll",
    ".bio": "conll",
}
TOKEN_TASK = "token_classification"
CONLL_DOCSTART = "-DOCSTART-"
# CoNLL reader settings that an evaluation file shares with the run's own CoNLL source.
CONLL_OPTIONS = ("token_column", "tag_column", "scheme", "delimiter")


def input_format(path: Path, fmt: str = "auto") -> str:
    """Return the format of an input file: `fmt` itself, or the one its suffix stands for when `fmt` is auto."""
    if fmt != "auto":
        if fmt not in FORMATS:
            raise DataError(f"format={fmt!r} is not a known input format (file {path}); use one of: auto, {', '.join(FORMATS)}")
        return fmt
    suffix = path.suffix.lower()
    if suffix not in SUFFIX_FORMATS:
        known = ", ".join(sorted(SUFFIX_FORMATS))
        raise DataError(
            f"unknown input format for {path}: the suffix {suffix or '(none)'!r} is none of {known}; "
            f"rename the file or set format= to one of {', '.join(FORMATS)}"
        )
    return SUFFIX_FORMATS[suffix]


def _read_text_lines(path: Path) -> list[Example]:
    examples = []
    blank = 0
    try:
        with path.open(encoding="utf-8-sig") as handle:
            for line_number, line in enumerate(handle, start=1):
                text = line.rstrip("\r\n")
                if not text.strip():
                    blank += 1
                    continue
                examples.append(Example(text, None, f"{path}:{line_number}"))
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not valid UTF-8 (byte offset {error.start}); save the file as UTF-8") from None
    if blank:
        log.warning("Skipped %d blank lines of %s; each output record names its input line", blank, path)
    return examples


def _read_conll_words(path: Path) -> list[Example]:
    """Read the words of a CoNLL file (first field of each line) without tags; blank lines end sentences."""
    examples: list[Example] = []
    words: list[str] = []
    first_line = 0
    try:
        with path.open(encoding="utf-8-sig") as handle:
            for line_number, line in enumerate(handle, start=1):
                fields = line.split()
                if fields and fields[0] != CONLL_DOCSTART:
                    if not words:
                        first_line = line_number
                    words.append(fields[0])
                    continue
                if words:
                    examples.append(Example(tuple(words), None, f"{path}:{first_line}"))
                    words = []
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not valid UTF-8 (byte offset {error.start}); save the file as UTF-8") from None
    if words:
        examples.append(Example(tuple(words), None, f"{path}:{first_line}"))
    return examples


def _read_conll_tagged(path: Path, source_options: dict) -> list[Example]:
    from transferlab.data.conll import read_conll

    return read_conll(path, **source_options)


def _as_words(example: Example) -> Example:
    return Example(tuple(example.text.split()), example.label, example.origin)


def read_inputs(
    path: str | Path,
    task_name: str,
    fmt: str = "auto",
    text_column: str = "text",
    label_column: str | None = None,
    conll_options: dict | None = None,
) -> list[Example]:
    """Read examples from `path`; with `label_column` set they carry gold labels (CoNLL: its tag column).

    `conll_options` are `read_conll` settings for a tagged CoNLL file (columns, scheme, delimiter).

    Raises DataError naming the file (and line) for a missing file, an unknown format, a missing
    column or a format that cannot represent what the task needs.
    """
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise DataError(f"input file not found: {path}")
    fmt = input_format(path, fmt)
    with_labels = label_column is not None

    if fmt == "conll":
        if task_name != TOKEN_TASK:
            raise DataError(f"{path}: CoNLL input contains word sequences, which only a {TOKEN_TASK} run can read")
        examples = _read_conll_tagged(path, conll_options or {}) if with_labels else _read_conll_words(path)
    elif fmt == "text":
        if with_labels:
            raise DataError(f"{path}: a plain text file has no labels; evaluate on a CSV, TSV, JSONL or CoNLL file")
        examples = _read_text_lines(path)
    else:
        if task_name == TOKEN_TASK and with_labels:
            raise DataError(f"{path}: token classification labels are read from CoNLL files only; convert the file to CoNLL")
        examples = read_table(path, text_column, label_column, fmt)

    if task_name == TOKEN_TASK and fmt != "conll":
        examples = [_as_words(e) for e in examples]
        empty = [e for e in examples if not e.text]
        if empty:
            raise DataError(f"{empty[0].origin}: empty text ({len(empty)} in the file); a token classification "
                            "input needs at least one word, so remove those rows")
    if not examples:
        raise DataError(f"{path}: no examples in the file")
    return examples
