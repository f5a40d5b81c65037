"""The synthetic sequence problems and the datasets composed from USPS digits."""

import numpy as np
import pytest

import input_pipeline
from input_pipeline import composed, synthetic


def test_adding_problem_marks_one_value_in_each_half_and_sums_them():
    data = synthetic.adding_problem(500, 50, np.random.default_rng(0))
    values, markers = data["inputs"][..., 0], data["inputs"][..., 1]
    assert data["inputs"].shape == (500, 50, 2)
    np.testing.assert_array_equal(markers[:, :25].sum(1), 1.0)
    np.testing.assert_array_equal(markers[:, 25:].sum(1), 1.0)
    np.testing.assert_allclose(data["target"], (values * markers).sum(1), rtol=1e-6)
    # The memoryless baseline: predicting the mean sum scores Var(u1 + u2) = 1/6.
    assert abs(np.mean((data["target"] - 1.0) ** 2) - 1 / 6) < 0.02


def test_copy_task_repeats_the_symbols_after_the_delimiter():
    length = 30
    data = synthetic.copy_task(100, length, np.random.default_rng(0))
    inputs, targets = data["inputs"], data["targets"]
    assert inputs.shape == targets.shape == (100, length + 20)
    np.testing.assert_array_equal(targets[:, -10:], inputs[:, :10])
    assert np.all((inputs[:, :10] >= 1) & (inputs[:, :10] <= 8))
    assert np.all(inputs[:, 10 + length - 1] == synthetic.COPY_DELIMITER)
    assert np.all(targets[:, :-10] == synthetic.COPY_BLANK)
    np.testing.assert_allclose(synthetic.copy_baseline(100), 10 * np.log(8) / 120)


def test_generated_data_is_fixed_by_its_seed_and_unknown_options_are_errors():
    options = {"sequence_length": 10, "num_train": 20, "num_test": 5}
    first, again = synthetic.generate("adding", options), synthetic.generate("adding", options)
    np.testing.assert_array_equal(first["train"]["inputs"], again["train"]["inputs"])
    other = synthetic.generate("adding", {**options, "seed": 1})
    assert not np.array_equal(first["train"]["inputs"], other["train"]["inputs"])
    with pytest.raises(ValueError, match=r"Unknown data.generator field\(s\) \['length'\].*sequence_length"):
        synthetic.generate("adding", {"length": 10})


def test_zip_codes_draw_training_codes_from_training_digits_only(monkeypatch):
    # Fake USPS: training digits have ink 0.5, test digits ink 1.0, so a canvas tells where its digits came from.
    fake = {
        "train": (np.full((30, 16, 16), 0.5, np.float32), np.arange(30, dtype=np.int32) % 10),
        "test": (np.full((20, 16, 16), 1.0, np.float32), np.arange(20, dtype=np.int32) % 10),
    }
    monkeypatch.setattr(composed, "_usps", lambda directory: fake)
    codes = composed.zip_codes("", {"num_train": 40, "num_test": 10})
    assert codes["train"]["image"].shape == (40, 32, 128, 1) and codes["test"]["labels"].shape == (10, 5)
    assert codes["train"]["image"].max() == pytest.approx(0.5) and codes["test"]["image"].max() == 1.0
    ink_columns = (codes["test"]["image"][..., 0] > 0).any(axis=1).sum(axis=1)
    assert np.all(ink_columns >= 5 * 16 - 4)  # five digits of at least 16 pixels, touching at worst by 1


def test_zip_codes_from_usps_through_get_data():
    data = input_pipeline.get_data({"name": "zip_codes", "generator": {"num_train": 64, "num_test": 16},
                                    "eval_splits": ("test",)})
    assert data.num_train == 64 and data.num_classes == 10
    test = data.eval_splits["test"]
    assert test["image"].dtype == np.float32 and 0.0 <= test["image"].min() and test["image"].max() <= 1.0
    assert set(np.unique(test["labels"])) <= set(range(10)) and not test["label_paddings"].any()


def test_spelled_digits_spell_each_digits_name():
    data = input_pipeline.get_data({"name": "spelled_digits", "eval_splits": ("test",), "num_eval": 50})
    test = data.eval_splits["test"]
    for targets, weights in zip(test["targets"][:20], test["weights"][:20], strict=True):
        word = "".join(composed.LETTERS[t] for t, w in zip(targets, weights, strict=True) if w)
        assert word.endswith(composed.END) and word[:-1] in composed.DIGIT_NAMES


def test_unknown_dataset_names_every_kind():
    with pytest.raises(ValueError, match=r"Unknown dataset 'zipcodes'.*'adding'.*'usps'.*'zip_codes'"):
        input_pipeline.get_data({"name": "zipcodes"})
