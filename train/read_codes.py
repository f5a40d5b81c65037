"""Reads the test codes of a trained CTC run (configs/zip_codes.py) with greedy and beam-search decoding, prints
whole-code and per-digit accuracy for both, and draws sample codes with their readings as a PNG.

    python -m train.read_codes --workdir=runs/zip_codes --png=docs/figures/zip_codes.png
"""

import json

import jax
import numpy as np
from absl import app, flags

import input_pipeline
from train import trained
from train.tasks import ctc_decoding


def levenshtein(a: list[int], b: list[int]) -> int:
    """The edit distance (insertions, deletions, substitutions) between two sequences."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (x != y))
    return row[-1]


def accuracy(readings: list[list[int]], labels: np.ndarray) -> dict[str, float]:
    """Whole-sequence accuracy and per-symbol accuracy (1 - total edit distance / total labels)."""
    exact = sum(r == list(t) for r, t in zip(readings, labels.tolist(), strict=True))
    errors = sum(levenshtein(r, list(t)) for r, t in zip(readings, labels.tolist(), strict=True))
    return {"sequence_accuracy": exact / len(readings), "symbol_accuracy": 1.0 - errors / labels.size}


def read(workdir: str, split: str = "test", beam_width: int = 8, batch_size: int = 500):
    """(images, labels, greedy readings, beam-search readings) of `split`."""
    config, model, variables = trained.load(workdir)
    data = input_pipeline.get_data(config.data)
    images, labels = data.eval_splits[split]["image"], data.eval_splits[split]["labels"]
    apply = jax.jit(lambda batch: jax.nn.log_softmax(model.apply(variables, batch, train=False)))
    log_probs = np.concatenate([np.asarray(apply(images[i:i + batch_size]))
                                for i in range(0, len(images), batch_size)])
    decoded, lengths = ctc_decoding.greedy_decode(log_probs)
    greedy = [row[:n].tolist() for row, n in zip(np.asarray(decoded), np.asarray(lengths), strict=True)]
    beam = [ctc_decoding.beam_search_decode(frames, beam_width) for frames in log_probs]
    return images, labels, greedy, beam


def plot_samples(images, labels, readings, path: str, count: int = 12) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    wrong = [i for i, (r, t) in enumerate(zip(readings, labels.tolist(), strict=True)) if r != t][:4]
    right = [i for i in range(len(readings)) if i not in wrong][:count - len(wrong)]
    picks = sorted(right + wrong)  # the first codes, with up to four misreadings among them
    fig, axes = plt.subplots((len(picks) + 1) // 2, 2, figsize=(8, 0.9 * ((len(picks) + 1) // 2)))
    for ax in axes.ravel():
        ax.axis("off")
    for ax, i in zip(axes.ravel(), picks, strict=False):
        ax.imshow(images[i, ..., 0], cmap="gray_r", vmin=0, vmax=1)
        right = readings[i] == labels[i].tolist()
        text = "".join(map(str, readings[i])) or "(nothing)"
        ax.set_title(f"read {text}" + ("" if right else f"  (is {''.join(map(str, labels[i]))})"),
                     color="green" if right else "red", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv):
    del argv
    images, labels, greedy, beam = read(flags.FLAGS.workdir, beam_width=flags.FLAGS.beam_width)
    results = {"greedy": accuracy(greedy, labels), f"beam{flags.FLAGS.beam_width}": accuracy(beam, labels)}
    for name, metrics in results.items():
        print(f"{name:8s} whole codes {100 * metrics['sequence_accuracy']:.2f}%  "
              f"digits {100 * metrics['symbol_accuracy']:.2f}%  ({len(labels)} test codes)")
    if flags.FLAGS.png:
        plot_samples(images, labels, beam, flags.FLAGS.png)
    if flags.FLAGS.json:
        with open(flags.FLAGS.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":  # flags are defined only when run, so both tools import together
    flags.DEFINE_string("workdir", None, "The workdir of a configs/zip_codes.py run.", required=True)
    flags.DEFINE_string("png", "", "Where to draw sample codes with their readings.")
    flags.DEFINE_integer("beam_width", 8, "Beam width of the prefix beam search.", lower_bound=1)
    flags.DEFINE_string("json", "", "Optionally, where to write the accuracies.")
    app.run(main)
