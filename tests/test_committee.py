"""A committee of trained classifiers (train.committee): members agree with the trainer's own evaluation, the
average is of softmax outputs, and members that do not match are refused with a clear error."""

import json
import subprocess
import sys

import jax
import numpy as np
import pytest
from conftest import REPO
from test_training import _config

import train
from train import committee


@pytest.fixture(scope="module")
def members(tmp_path_factory):
    workdirs = []
    for seed in (0, 1):
        workdir = tmp_path_factory.mktemp(f"seed{seed}")
        train.train_and_evaluate(_config("lecun1989_modern", "smoke", seed=seed), str(workdir))
        workdirs.append(str(workdir))
    return workdirs


def test_members_match_the_trainers_evaluation_and_the_committee_averages_them(members):
    result = committee.evaluate(members, "test")
    for workdir in members:
        evaluated = json.load(open(f"{workdir}/summary.json"))["final"]["test/error"]
        assert result["members"][workdir] == pytest.approx(evaluated, abs=1e-6)
    probabilities = [committee.class_probabilities(workdir, "test") for workdir in members]
    labels = probabilities[0][1]["label"]
    mean = (probabilities[0][0] + probabilities[1][0]) / 2
    assert result["count"] == len(labels) == 200
    assert result["committee"] == pytest.approx(np.mean(mean.argmax(-1) != labels))
    np.testing.assert_allclose(probabilities[0][0].sum(-1), 1.0, atol=1e-5)  # softmax outputs, not logits
    alone = committee.evaluate(members[:1], "test")  # a committee of one is its member
    assert alone["committee"] == alone["members"][members[0]]


def test_the_committees_errors_are_drawn(tmp_path):
    images = np.zeros((5, 16, 16, 1), np.float32)
    drawn = committee.plot_errors(images, np.array([1, 2, 3, 4, 5]), np.array([1, 0, 3, 0, 5]),
                                  str(tmp_path / "errors.png"))
    assert drawn == 2 and (tmp_path / "errors.png").read_bytes()[:4] == b"\x89PNG"


def test_members_on_other_examples_or_without_softmax_are_refused(members, tmp_path):
    other = tmp_path / "other"
    train.train_and_evaluate(_config("lecun1989_modern", "smoke", **{"data.num_eval": 100}), str(other))
    with pytest.raises(ValueError, match="other examples"):
        committee.evaluate([members[0], str(other)], "test")
    paper = tmp_path / "paper"
    train.train_and_evaluate(_config("lecun1989", "smoke"), str(paper))
    with pytest.raises(ValueError, match="softmax_cross_entropy"):
        committee.evaluate([str(paper)], "test")
    with pytest.raises(ValueError, match="at least one"):
        committee.evaluate([], "test")
    (paper / "summary.json").unlink()  # as if still training
    with pytest.raises(ValueError, match="Unfinished"):
        committee.evaluate([members[0], str(paper)], "test")


def test_shifted_moves_the_image_and_fills_with_background(tmp_path):
    image = np.arange(9, dtype=np.float32).reshape(1, 3, 3, 1)
    down_right = committee.shifted(image, 1, 1, fill=-1.0)[0, ..., 0]
    np.testing.assert_array_equal(down_right, [[-1, -1, -1], [-1, 0, 1], [-1, 3, 4]])
    up = committee.shifted(image, -1, 0, fill=-1.0)[0, ..., 0]
    np.testing.assert_array_equal(up, [[3, 4, 5], [6, 7, 8], [-1, -1, -1]])
    np.testing.assert_array_equal(committee.shifted(image, 0, 0, fill=-1.0), image)
    result = subprocess.run([sys.executable, "-m", "train.committee", str(tmp_path), "--shift=-1"], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "flag --shift=-1: -1 is not a non-negative integer" in result.stderr


def test_test_time_translations_average_the_nine_shifted_copies(members):
    from train import trained

    config, model, variables = trained.load(members[0])
    averaged, examples = committee.class_probabilities(members[0], "test", shift=1)
    background = config.data.pixel_range[0]  # USPS in [-1, 1], not standardised
    expected = np.mean([jax.nn.softmax(model.apply(variables, committee.shifted(examples["image"], dy, dx, background)))
                        for dy in (-1, 0, 1) for dx in (-1, 0, 1)], axis=0)
    np.testing.assert_allclose(averaged, expected, atol=1e-5)
    result = committee.evaluate(members, "test", shift=1)
    assert result["members"][members[0]] == pytest.approx(np.mean(averaged.argmax(-1) != examples["label"]))


def test_subset_errors_score_every_committee_of_the_asked_sizes_or_random_draws_of_them(members):
    # Three members on four examples of classes 0, 1, 0, 1: A is right on all, B wrong on the first two, C wrong
    # on the last two.
    a = np.array([[0.9, 0.1], [0.1, 0.9], [0.6, 0.4], [0.4, 0.6]])
    b = np.array([[0.2, 0.8], [0.8, 0.2], [0.7, 0.3], [0.3, 0.7]])
    c = np.array([[0.7, 0.3], [0.3, 0.7], [0.1, 0.9], [0.9, 0.1]])
    labels = np.array([0, 1, 0, 1])
    outputs = np.stack([a, b, c])
    np.testing.assert_array_equal(committee.subset_errors(outputs, labels, 1), [0.0, 0.5, 0.5])
    # AB: sums [1.1, .9] [.9, 1.1] [1.3, .7] [.7, 1.3] -> all right; AC: [1.6, .4] [.4, 1.6] [.7, 1.3] [1.3, .7]
    # -> last two wrong; BC: [.9, 1.1] [1.1, .9] [.8, 1.2] [1.2, .8] -> all wrong.
    np.testing.assert_array_equal(committee.subset_errors(outputs, labels, 2), [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(committee.subset_errors(outputs, labels, 3), [0.5])
    with pytest.raises(ValueError, match="choose 1 to 3"):
        committee.subset_errors(outputs, labels, 4)
    with pytest.raises(ValueError, match="more than 2 to list.*--subset_draws"):
        committee.subset_errors(outputs, labels, 2, max_subsets=2)
    # Drawn at random, each pair is one of AB, AC, BC (errors 0, 0.5, 1; mean 0.5), the same for the same seed; the
    # cap on listing does not apply.
    drawn = committee.subset_errors(outputs, labels, 2, max_subsets=2, draws=3000, seed=1)
    assert set(drawn) == {0.0, 0.5, 1.0} and drawn.mean() == pytest.approx(0.5, abs=0.03)
    np.testing.assert_array_equal(drawn, committee.subset_errors(outputs, labels, 2, draws=3000, seed=1))
    np.testing.assert_array_equal(committee.subset_errors(outputs, labels, 3, draws=5), [0.5] * 5)
    with pytest.raises(ValueError, match="choose 1 to 3"):
        committee.subset_errors(outputs, labels, 4, draws=5)
    assert committee.subset_sizes(["5", "10"]) == [5, 10]
    with pytest.raises(ValueError, match="whole numbers.*'5,ten'"):
        committee.subset_sizes(["5", "ten"])
    # The real members: a committee of all of them is the committee, one of one is its member.
    result = committee.evaluate(members, "test")
    labels = result["examples"]["label"]
    assert committee.subset_errors(result["probabilities"], labels, 2)[0] == pytest.approx(result["committee"])
    np.testing.assert_allclose(committee.subset_errors(result["probabilities"], labels, 1),
                               list(result["members"].values()))
    printed = subprocess.run([sys.executable, "-m", "train.committee", *members, "--subsets=1,2"], cwd=REPO,
                             capture_output=True, text=True, timeout=300)
    mean = 100 * np.mean(list(result["members"].values()))
    assert printed.returncode == 0, printed.stderr
    assert f"committees of 1 (2 subsets): test error mean {mean:.2f}%" in printed.stdout
    assert f"committees of 2 (1 subsets): test error mean {100 * result['committee']:.2f}%" in printed.stdout
    drawn = subprocess.run([sys.executable, "-m", "train.committee", *members, "--subsets=2", "--subset_draws=4"],
                           cwd=REPO, capture_output=True, text=True, timeout=300)
    assert drawn.returncode == 0, drawn.stderr  # the only pair, drawn four times: no spread
    assert (f"committees of 2 (4 random draws of 1 possible, standard error of the mean 0%): test error mean "
            f"{100 * result['committee']:.2f}%") in drawn.stdout
    refused = subprocess.run([sys.executable, "-m", "train.committee", *members, "--subsets=3"], cwd=REPO,
                             capture_output=True, text=True, timeout=300)
    assert refused.returncode == 1 and "choose 1 to 2" in refused.stderr
