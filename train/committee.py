"""A committee of trained classifiers: the members' softmax outputs averaged, as in Ciresan, Meier & Schmidhuber
2012 ("Multi-column deep neural networks for image classification", section 2: "the predictions of all columns
are averaged"). Members are runs of any softmax classification config, typically the same config with different
seeds (`train.sweep --grid=config.seed=0,1,2,3,4`).

    python -m train.committee runs/usps_committee --split=test

A directory is a run or a sweep, as `train.collect` reads them. Prints each member's error on `split` and the
committee's; `--errors_png=path` draws the images the committee gets wrong, titled "label->prediction".
`--shift=N` also averages each member's softmax over its test-time translations: the (2N + 1)^2 copies of every
image shifted by up to N pixels each way (the background fills the vacated pixels), as the training
translations of `augment.max_translation=N` showed them. `--subsets=K` (or `K1,K2,...`) also reports the
committee's error over every K-member subset of the members (mean, lowest, highest): how much a committee of K
depends on which seeds it drew, i.e. what the recipe gives in expectation rather than in one draw. Where there
are too many subsets to list, `--subset_draws=N` scores N subsets drawn uniformly at random instead.
"""

import itertools
import math
import os

import jax
import numpy as np
from absl import app, flags

import input_pipeline
from train import collect, trained


def shifted(images: np.ndarray, dy: int, dx: int, fill: float) -> np.ndarray:
    """(N, H, W, C) images moved down by `dy` and right by `dx` pixels (negative: up, left), `fill` coming in."""
    height, width = images.shape[1:3]
    pad = max(abs(dy), abs(dx))
    padded = np.pad(images, ((0, 0), (pad, pad), (pad, pad), (0, 0)), constant_values=fill)
    return padded[:, pad - dy:pad - dy + height, pad - dx:pad - dx + width]


def class_probabilities(workdir: str, split: str, batch_size: int = 1000, shift: int = 0) -> tuple[np.ndarray, dict]:
    """(softmax probabilities (N, classes), the split's arrays ("image", "label")) of the run in `workdir` on its
    data's `split`, averaged over the translations by up to `shift` pixels when `shift` > 0."""
    config, model, variables = trained.load(workdir)
    if config.task.get("loss") != "softmax_cross_entropy":
        raise ValueError(f"{workdir} was trained with loss {config.task.get('loss')!r}; a committee averages "
                         "softmax outputs, so its members need loss 'softmax_cross_entropy'.")
    data_config = config.data.to_dict()
    data_config["eval_splits"] = (split,)
    data = input_pipeline.get_data(data_config)
    examples = data.eval_splits[split]
    images = examples["image"]
    apply = jax.jit(lambda batch: jax.nn.softmax(model.apply(variables, batch, train=False)))
    # Standardised images have mean 0 where the data is; otherwise the background is the pixel range's first end.
    fill = 0.0 if config.data.get("standardize") else float(config.data.get("pixel_range", (0.0, 1.0))[0])
    offsets = [(dy, dx) for dy in range(-shift, shift + 1) for dx in range(-shift, shift + 1)]
    total = 0.0
    for dy, dx in offsets:
        views = shifted(images, dy, dx, fill)
        total = total + np.concatenate([np.asarray(apply(views[i:i + batch_size]))
                                        for i in range(0, len(views), batch_size)])
    return total / len(offsets), examples


def evaluate(workdirs: list[str], split: str, shift: int = 0) -> dict:
    """{"members": {workdir: error}, "committee": error, "count": N, "predictions": the committee's classes,
    "examples": the split's arrays, "probabilities": the members' outputs (members, N, classes)} on `split`.
    Members must be finished runs (a summary.json) evaluated on the same examples (same dataset, held-out size
    and split; checked through their labels). `shift` > 0: each member's outputs averaged over its test-time
    translations."""
    if not workdirs:
        raise ValueError("A committee needs at least one member run.")
    unfinished = [w for w in workdirs if not os.path.exists(os.path.join(w, "summary.json"))]
    if unfinished:
        raise ValueError(f"Unfinished run(s) {unfinished} (no summary.json): a committee takes finished runs only.")
    labels, members, outputs = None, {}, []
    for workdir in workdirs:
        probabilities, member_examples = class_probabilities(workdir, split, shift=shift)
        if labels is None:
            examples, labels = member_examples, member_examples["label"]
        elif not np.array_equal(labels, member_examples["label"]):
            raise ValueError(f"{workdir}'s {split!r} split holds other examples than {workdirs[0]}'s; "
                             "committee members must share their data config.")
        members[workdir] = float(np.mean(probabilities.argmax(-1) != labels))
        outputs.append(probabilities)
    outputs = np.stack(outputs)
    predictions = outputs.sum(0).argmax(-1)
    return {"members": members, "committee": float(np.mean(predictions != labels)), "count": len(labels),
            "predictions": predictions, "examples": examples, "probabilities": outputs}


MAX_SUBSETS = 100_000


def check_subset_size(count: int, size: int, max_subsets: int = MAX_SUBSETS, draws: int = 0) -> None:
    """Raises a ValueError naming the valid sizes unless `count` members form subsets of `size`, and, when they
    are to be listed (`draws` 0), no more than `max_subsets` of them."""
    if not 1 <= size <= count:
        raise ValueError(f"Subsets of {size} members asked of a committee of {count}; choose 1 to {count}.")
    if not draws and math.comb(count, size) > max_subsets:
        raise ValueError(f"{math.comb(count, size):,} subsets of {size} of {count} members: more than "
                         f"{max_subsets:,} to list; choose a size nearer 1 or {count}, or draw some at random "
                         "(--subset_draws).")


def subset_errors(probabilities: np.ndarray, labels: np.ndarray, size: int,
                  max_subsets: int = MAX_SUBSETS, draws: int = 0, seed: int = 0) -> np.ndarray:
    """The error of the committee of every `size`-member subset of the members' (members, N, classes) softmax
    outputs, in `itertools.combinations` order; with `draws` > 0, of that many subsets drawn uniformly at random
    (independently, so one may recur: their mean estimates the mean over all subsets without bias)."""
    count = len(probabilities)
    check_subset_size(count, size, max_subsets, draws)
    if draws:
        rng = np.random.default_rng(seed)
        subsets = (rng.choice(count, size, replace=False) for _ in range(draws))
    else:
        subsets = (list(subset) for subset in itertools.combinations(range(count), size))
    return np.array([np.mean(probabilities[subset].sum(0).argmax(-1) != labels) for subset in subsets])


def subset_sizes(values: list[str]) -> list[int]:
    """The committee sizes of `--subsets` ("10" or "5,10"), or a ValueError that names the malformed one."""
    try:
        return [int(value) for value in values]
    except ValueError:
        raise ValueError(f"--subsets takes whole numbers of members, one or several comma-separated (e.g. 10 or "
                         f"5,10); got {','.join(values)!r}.") from None


def plot_errors(images: np.ndarray, labels: np.ndarray, predictions: np.ndarray, path: str,
                columns: int = 12) -> int:
    """Draws every misclassified image (N, H, W, 1 or 3), titled "label->prediction", as a PNG; returns how many."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    wrong = np.flatnonzero(predictions != labels)
    rows = max(1, -(-len(wrong) // columns))
    figure, axes = plt.subplots(rows, columns, figsize=(columns, 1.15 * rows), squeeze=False)
    for axis in axes.flat:
        axis.axis("off")
    for axis, i in zip(axes.flat, wrong, strict=False):
        image = np.asarray(images[i], np.float32)
        image = (image - image.min()) / max(float(np.ptp(image)), 1e-6)  # standardised inputs drawn in [0, 1]
        axis.imshow(image[..., 0] if image.shape[-1] == 1 else image, cmap="gray_r", vmin=0.0, vmax=1.0)
        axis.set_title(f"{labels[i]}->{predictions[i]}", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)
    return len(wrong)


def main(argv):
    if len(argv) < 2:
        raise app.UsageError("Give one or more run or sweep directories.")
    try:
        workdirs = [workdir for _, _, workdir in collect.find_runs(argv[1:])]
        sizes = subset_sizes(flags.FLAGS.subsets)
        for size in sizes:  # before the members are evaluated, which takes a while
            check_subset_size(len(workdirs), size, draws=flags.FLAGS.subset_draws)
        result = evaluate(workdirs, flags.FLAGS.split, flags.FLAGS.shift)
    except (ValueError, FileNotFoundError, KeyError) as e:
        raise app.UsageError(str(e)) from e
    for workdir, error in result["members"].items():
        print(f"{workdir}: {flags.FLAGS.split} error {100 * error:.2f}%")
    print(f"committee of {len(result['members'])}: {flags.FLAGS.split} error {100 * result['committee']:.2f}% "
          f"({round(result['committee'] * result['count'])} of {result['count']})")
    count, draws = result["count"], flags.FLAGS.subset_draws
    for size in sizes:
        errors = subset_errors(result["probabilities"], result["examples"]["label"], size, draws=draws)
        subsets = (f"{draws:,} random draws of {math.comb(len(workdirs), size):,} possible, standard error of the "
                   f"mean {100 * errors.std() / math.sqrt(draws):.2g}%" if draws else f"{len(errors):,} subsets")
        print(f"committees of {size} ({subsets}): {flags.FLAGS.split} error mean {100 * errors.mean():.2f}% "
              f"({errors.mean() * count:.1f} of {count}), lowest {100 * errors.min():.2f}%, "
              f"highest {100 * errors.max():.2f}%")
    if flags.FLAGS.errors_png:
        examples = result["examples"]
        plot_errors(examples["image"], examples["label"], result["predictions"], flags.FLAGS.errors_png)


if __name__ == "__main__":  # flags are defined only when run, so the tools import together
    flags.DEFINE_string("split", "test", "The split to evaluate (test, train, held_out, or a dataset's own).")
    flags.DEFINE_string("errors_png", "", "Optionally, where to draw the committee's misclassified images.")
    flags.DEFINE_integer("shift", 0, "Average each member over its test-time translations by up to this many "
                         "pixels ((2 shift + 1)^2 views).", lower_bound=0)
    flags.DEFINE_list("subsets", [], "Also report the committee error over every subset of this many members "
                      "(one size or several, comma-separated).")
    flags.DEFINE_integer("subset_draws", 0, "Score this many subsets drawn at random per size instead of listing "
                         "them all (0: list them all).", lower_bound=0)
    app.run(main)
