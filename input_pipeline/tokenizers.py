"""Text <-> ids for translation: sentencepiece subwords (Kudo & Richardson 2018) or single characters (a common
choice for Chinese, which has no spaces), trained on the training split only and stored in the workdir, so a
resumed run (and the translate entry point) reads the same vocabulary.

Every tokenizer shares the special ids PAD = 0, UNK = 1, BOS = 2, EOS = 3.
"""

import json
import os
from collections import Counter
from collections.abc import Iterable

import jax
from jax.experimental import multihost_utils

PAD, UNK, BOS, EOS = 0, 1, 2, 3
SPECIALS = ("<pad>", "<unk>", "<s>", "</s>")
KINDS = ("subword", "character")


class CharacterTokenizer:
    """One id per character seen at least `min_count` times in training; other characters map to UNK. Spaces are
    kept as characters, so decoding gives the text back."""

    def __init__(self, characters: list[str]):
        self.pieces = list(SPECIALS) + characters
        self._ids = {c: i for i, c in enumerate(self.pieces)}

    @classmethod
    def train(cls, texts: Iterable[str], vocab_size: int, min_count: int = 1) -> "CharacterTokenizer":
        counts = Counter(c for text in texts for c in text)
        ranked = sorted((c for c, n in counts.items() if n >= min_count), key=lambda c: (-counts[c], c))
        return cls(ranked[: max(vocab_size - len(SPECIALS), 0)])

    @property
    def vocab_size(self) -> int:
        return len(self.pieces)

    def encode(self, text: str) -> list[int]:
        return [self._ids.get(c, UNK) for c in text]

    def decode(self, ids: Iterable[int]) -> str:
        return "".join(self.pieces[i] for i in ids if i >= len(SPECIALS) and i < len(self.pieces))

    def save(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"characters": self.pieces[len(SPECIALS):]}, f, ensure_ascii=False)

    @classmethod
    def load(cls, path: str) -> "CharacterTokenizer":
        with open(path, encoding="utf-8") as f:
            return cls(json.load(f)["characters"])


class SubwordTokenizer:
    """A sentencepiece model (unigram by default); `character_coverage` below 1 lets rare CJK characters fall back
    to UNK rather than take the vocabulary."""

    def __init__(self, model_proto: bytes):
        import sentencepiece

        self.model_proto = model_proto
        self._processor = sentencepiece.SentencePieceProcessor(model_proto=model_proto)

    @classmethod
    def train(cls, texts: Iterable[str], vocab_size: int, model_type: str = "unigram",
              character_coverage: float = 0.9995) -> "SubwordTokenizer":
        import io

        import sentencepiece

        model = io.BytesIO()
        sentencepiece.SentencePieceTrainer.train(
            sentence_iterator=iter(list(texts)), model_writer=model, vocab_size=vocab_size,
            model_type=model_type, character_coverage=character_coverage, pad_id=PAD, unk_id=UNK, bos_id=BOS,
            eos_id=EOS, hard_vocab_limit=False, minloglevel=2, num_threads=1,
        )
        return cls(model.getvalue())

    @property
    def vocab_size(self) -> int:
        return self._processor.get_piece_size()

    def encode(self, text: str) -> list[int]:
        return self._processor.encode(text)

    def decode(self, ids: Iterable[int]) -> str:
        return self._processor.decode([int(i) for i in ids if int(i) > EOS])

    def save(self, path: str) -> None:
        with open(path, "wb") as f:
            f.write(self.model_proto)

    @classmethod
    def load(cls, path: str) -> "SubwordTokenizer":
        with open(path, "rb") as f:
            return cls(f.read())


def load_or_train(directory: str, name: str, kind: str, texts: Iterable[str] | None, vocab_size: int):
    """The tokenizer stored as `directory/name.*`, or a new one trained on `texts` and stored there (texts None:
    it must exist already)."""
    if kind not in KINDS:
        raise ValueError(f"Unknown tokenizer {kind!r}; choose one of {list(KINDS)}.")
    cls, suffix = (SubwordTokenizer, ".model") if kind == "subword" else (CharacterTokenizer, ".json")
    path = os.path.join(directory, name + suffix)
    if not os.path.exists(path) and texts is not None and jax.process_index() == 0:
        os.makedirs(directory, exist_ok=True)
        cls.train(texts, vocab_size).save(path)
    if jax.process_count() > 1:  # the others read what process 0 wrote
        multihost_utils.sync_global_devices(f"tokenizer {path}")
    if not os.path.exists(path):
        raise FileNotFoundError(f"No tokenizer at {path}: the run has not stored its vocabulary there.")
    return cls.load(path)
