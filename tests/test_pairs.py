"""Translation pairs from spreadsheets, .tsv/.csv and Tatoeba files, including the bad ones."""

import openpyxl
import pytest

from input_pipeline import pairs
from input_pipeline.pairs import PairsFileError

DECK = [("Machine Learning", "機器學習"), ("How are you?", "你好嗎?")]


def _xlsx(path, rows):
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)
    return str(path)


def test_reads_the_decks_spreadsheet_layout(tmp_path):
    path = _xlsx(tmp_path / "dataset.xlsx", [("english", "chinese"), *DECK, (None, None)])
    assert pairs.read_pairs(path) == DECK


def test_spreadsheet_columns_may_come_in_any_order_and_case(tmp_path):
    path = _xlsx(tmp_path / "d.xlsx", [("id", "Chinese", "English"), (1, "你好嗎?", "How are you?")])
    assert pairs.read_pairs(path) == [("How are you?", "你好嗎?")]


def test_reads_tsv_csv_and_tatoeba_lines(tmp_path):
    (tmp_path / "p.tsv").write_text("english\tchinese\nMachine Learning\t機器學習\nHow are you?\t你好嗎?\n")
    (tmp_path / "p.csv").write_text('english,chinese\nMachine Learning,機器學習\n"How are you?",你好嗎?\n')
    (tmp_path / "cmn.txt").write_text("Machine Learning\t機器學習\tCC-BY 2.0 (France) ...\n"
                                      "How are you?\t你好嗎?\tCC-BY 2.0 (France) ...\n")
    for name in ("p.tsv", "p.csv", "cmn.txt"):
        assert pairs.read_pairs(str(tmp_path / name)) == DECK, name


def test_embedded_tatoeba_archive():
    embedded = pairs.read_pairs()
    assert len(embedded) == 32_028 and embedded[0] == ("Hi.", "嗨。")


@pytest.mark.parametrize("rows, message", [
    ([("english", "mandarin"), ("Hi.", "你好。")], r"line 1: no 'chinese' column in the header; found \['english', "),
    ([("english", "chinese"), ("Hi.", "你好。"), ("Run.", None)], r"line 3: the 'chinese' cell is empty"),
    ([("english", "chinese")], "no usable pairs"),
    ([], "the file is empty"),
])
def test_bad_spreadsheets_name_the_file_line_and_problem(tmp_path, rows, message):
    path = _xlsx(tmp_path / "bad.xlsx", rows)
    with pytest.raises(PairsFileError, match=rf"bad.xlsx.*{message}"):
        pairs.read_pairs(path)


def test_text_that_is_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "gbk.tsv"
    path.write_bytes("english\tchinese\nHi.\t你好\n".encode("gbk"))
    with pytest.raises(PairsFileError, match=r"gbk.tsv, line 2: not UTF-8"):
        pairs.read_pairs(str(path))


def test_tatoeba_line_without_a_tab_and_unknown_types(tmp_path):
    (tmp_path / "cmn.txt").write_text("Hi.\t你好。\nRun.\n")
    with pytest.raises(PairsFileError, match=r"cmn.txt, line 2: expected english<TAB>chinese"):
        pairs.read_pairs(str(tmp_path / "cmn.txt"))
    (tmp_path / "p.json").write_text("{}")
    with pytest.raises(PairsFileError, match=r"unknown pairs file type '.json'; use one of \['.xlsx'"):
        pairs.read_pairs(str(tmp_path / "p.json"))
    with pytest.raises(PairsFileError, match="not a readable .xlsx"):
        (tmp_path / "fake.xlsx").write_text("not a workbook")
        pairs.read_pairs(str(tmp_path / "fake.xlsx"))
    (tmp_path / "cut.zip").write_bytes(b"PK\x03\x04" + b"\x00" * 40)  # a download cut short
    with pytest.raises(PairsFileError, match=r"cut.zip: not a readable .zip archive \(BadZipFile"):
        pairs.read_pairs(str(tmp_path / "cut.zip"))


def test_split_is_deterministic_and_keeps_a_sentences_translations_together():
    data = [(f"sentence {i // 2}", f"譯文 {i}") for i in range(400)]  # two translations per sentence
    first, again = pairs.split_pairs(data, 0, 20, 30), pairs.split_pairs(data, 0, 20, 30)
    assert first == again and pairs.split_pairs(data, 1, 20, 30) != first
    assert sum(map(len, first.values())) == 400 and len(first["test"]) == 60 and len(first["validation"]) == 40
    seen = {name: {english for english, _ in split} for name, split in first.items()}
    assert not seen["train"] & seen["test"] and not seen["train"] & seen["validation"]
