"""Subword and character tokenizers: round trips, special ids, stored in the workdir and reused."""

import os

import pytest

from input_pipeline import tokenizers

ENGLISH = ["How are you?", "Machine learning is fun.", "Hi.", "I like tea.", "You are here."] * 40
CHINESE = ["你好嗎?", "機器學習很有趣。", "嗨。", "我喜歡茶。", "你在這裡。"] * 40


def test_character_tokenizer_round_trip_and_unknown_characters():
    tokenizer = tokenizers.CharacterTokenizer.train(CHINESE, vocab_size=100)
    ids = tokenizer.encode("你好嗎?")
    assert all(i > tokenizers.EOS for i in ids) and tokenizer.decode(ids) == "你好嗎?"
    assert tokenizer.encode("龍")[0] == tokenizers.UNK
    small = tokenizers.CharacterTokenizer.train(CHINESE, vocab_size=8)  # 4 specials + the 4 commonest
    assert small.vocab_size == 8


def test_subword_tokenizer_round_trip_with_the_shared_special_ids():
    tokenizer = tokenizers.SubwordTokenizer.train(ENGLISH, vocab_size=40)
    ids = tokenizer.encode("How are you?")
    assert min(ids) > tokenizers.EOS and tokenizer.decode(ids + [tokenizers.EOS, tokenizers.PAD]) == "How are you?"
    assert tokenizer._processor.pad_id() == tokenizers.PAD and tokenizer._processor.bos_id() == tokenizers.BOS


@pytest.mark.parametrize("kind", tokenizers.KINDS)
def test_stored_tokenizer_is_reused_not_retrained(tmp_path, kind):
    first = tokenizers.load_or_train(str(tmp_path), "zh", kind, CHINESE, 30)
    assert len(os.listdir(tmp_path)) == 1
    again = tokenizers.load_or_train(str(tmp_path), "zh", kind, ["completely different text"] * 50, 30)
    assert again.encode("你好嗎?") == first.encode("你好嗎?")


def test_unknown_tokenizer_kind_names_the_choices(tmp_path):
    with pytest.raises(ValueError, match=r"Unknown tokenizer 'bpe'; choose one of \['subword', 'character'\]"):
        tokenizers.load_or_train(str(tmp_path), "en", "bpe", ENGLISH, 30)


def test_translation_arrays_from_separate_split_files(tmp_path):
    from input_pipeline import translation

    lines = "\n".join(f"{e}\t{c}" for e, c in zip(ENGLISH, CHINESE, strict=True))
    for split in ("train", "validation", "test"):
        (tmp_path / f"{split}.tsv").write_text(lines + "\n")
    config = {f"{s}_file": str(tmp_path / f"{s}.tsv") for s in ("train", "validation", "test")}
    config.update(direction="zh-en", source_tokenizer="character", target_tokenizer="subword",
                  source_vocab_size=50, target_vocab_size=40, max_length=12)
    data = translation.load(config, str(tmp_path / "workdir"))
    test = data.splits["test"]
    assert test["source"].shape == (len(ENGLISH), 12) and data.texts["test"][0] == (CHINESE[0], ENGLISH[0])
    ids = data.target_tokenizer.encode(ENGLISH[0])
    assert test["target_inputs"][0, : len(ids) + 1].tolist() == [tokenizers.BOS, *ids]
    assert test["targets"][0, : len(ids) + 1].tolist() == [*ids, tokenizers.EOS]
    assert data.source_tokenizer.decode(test["source"][0]) == CHINESE[0]
    assert sorted(os.listdir(tmp_path / "workdir" / "tokenizers")) == ["en_subword.model", "zh_character.json"]
    with pytest.raises(ValueError, match=r"Unknown direction 'zh-fr'"):
        translation.load({**config, "direction": "zh-fr"}, str(tmp_path / "workdir"))
    # Training pairs longer than max_length are left out; if none is left, that is said, not "0 examples" later.
    with pytest.raises(ValueError, match=r"None of the 200 training pairs fits in max_length=3 tokens"):
        translation.load({**config, "max_length": 3}, str(tmp_path / "workdir"))


def test_bleu_plumbing_on_known_cases():
    from train.tasks.translation import corpus_scores, until_eos

    assert until_eos([7, 8, tokenizers.EOS, 9]) == [7, 8] and until_eos([7, 8]) == [7, 8]
    same = corpus_scores(["How are you?", "I like tea."], ["How are you?", "I like tea."], "en")
    assert same["bleu"] == pytest.approx(100.0) and same["chrf"] == pytest.approx(100.0)
    assert corpus_scores(["x y z w"], ["How are you today?"], "en")["bleu"] == pytest.approx(0.0)
    # Chinese is scored by character ("zh" tokenisation): the first 4 of 5 characters right gives n-gram
    # precisions 4/5, 3/4, 2/3, 1/2 at the reference's length (no brevity penalty): BLEU = 100 (1/5)^(1/4).
    expected = 100 * (4 / 5 * 3 / 4 * 2 / 3 * 1 / 2) ** 0.25
    assert corpus_scores(["我喜歡茶嗎"], ["我喜歡茶。"], "zh")["bleu"] == pytest.approx(expected, rel=1e-3)
