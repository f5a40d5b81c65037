"""A committee of trained classifiers: the members' softmax outputs averaged, as in Ciresan, Meier & Schmidhuber
2012 ("Multi-column deep neural networks for image classification", section 2: "the predictions of all columns
are averaged"). Members are runs of any softmax classification config, typically the same config with different
seeds (`train.sweep --grid=config.seed=0,1,2,3,4`).

    python -m train.committee runs/usps_committee --split=test

A directory is a run or a sweep, as `train.collect` reads them. Prints each member's error on `split` and the
committee's.
"""

import jax
import numpy as np
from absl import app, flags

import input_pipeline
from train import collect, trained


def class_probabilities(workdir: str, split: str, batch_size: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """(softmax probabilities (N, classes), labels (N,)) of the run in `workdir` on its data's `split`."""
    config, model, variables = trained.load(workdir)
    if config.task.get("loss") != "softmax_cross_entropy":
        raise ValueError(f"{workdir} was trained with loss {config.task.get('loss')!r}; a committee averages "
                         "softmax outputs, so its members need loss 'softmax_cross_entropy'.")
    data_config = config.data.to_dict()
    data_config["eval_splits"] = (split,)
    data = input_pipeline.get_data(data_config)
    images, labels = data.eval_splits[split]["image"], data.eval_splits[split]["label"]
    apply = jax.jit(lambda batch: jax.nn.softmax(model.apply(variables, batch, train=False)))
    probabilities = np.concatenate([np.asarray(apply(images[i:i + batch_size]))
                                    for i in range(0, len(images), batch_size)])
    return probabilities, np.asarray(labels)


def evaluate(workdirs: list[str], split: str) -> dict:
    """{"members": {workdir: error}, "committee": error, "count": N} on `split`. Members must have been evaluated
    on the same examples (same dataset, held-out size and split), which is checked through their labels."""
    if not workdirs:
        raise ValueError("A committee needs at least one member run.")
    total, labels, members = None, None, {}
    for workdir in workdirs:
        probabilities, member_labels = class_probabilities(workdir, split)
        if labels is None:
            labels, total = member_labels, np.zeros_like(probabilities)
        elif not np.array_equal(labels, member_labels):
            raise ValueError(f"{workdir}'s {split!r} split holds other examples than {workdirs[0]}'s; "
                             "committee members must share their data config.")
        members[workdir] = float(np.mean(probabilities.argmax(-1) != labels))
        total += probabilities
    return {"members": members, "committee": float(np.mean(total.argmax(-1) != labels)), "count": len(labels)}


def main(argv):
    if len(argv) < 2:
        raise app.UsageError("Give one or more run or sweep directories.")
    try:
        workdirs = [workdir for _, _, workdir in collect.find_runs(argv[1:])]
        result = evaluate(workdirs, flags.FLAGS.split)
    except (ValueError, FileNotFoundError, KeyError) as e:
        raise app.UsageError(str(e)) from e
    for workdir, error in result["members"].items():
        print(f"{workdir}: {flags.FLAGS.split} error {100 * error:.2f}%")
    print(f"committee of {len(result['members'])}: {flags.FLAGS.split} error {100 * result['committee']:.2f}% "
          f"({round(result['committee'] * result['count'])} of {result['count']})")


if __name__ == "__main__":  # flags are defined only when run, so the tools import together
    flags.DEFINE_string("split", "test", "The split to evaluate (test, train, held_out, or a dataset's own).")
    app.run(main)
