"""When did a run first reach a target? Reads a workdir's metrics.jsonl.

    python -m train.reach --workdir=runs/fig1_relu --metric=training/error --below=0.25

Prints the first logged epoch (and step, and training seconds) at which `metric` is below the threshold, e.g.
AlexNet's Figure 1 criterion, 25% training error.
"""

from absl import app, flags

from train import metric_writers


def by_step(records: list[dict]) -> list[dict]:
    """One record per step: a step's training and evaluation records merged (so an evaluation hit also knows
    its epoch and training seconds)."""
    merged: dict[int, dict] = {}
    for record in records:
        merged.setdefault(record["step"], {}).update(record)
    return [merged[step] for step in sorted(merged)]


def first_below(records: list[dict], metric: str, threshold: float) -> dict | None:
    """The first step whose `metric` is below `threshold`, or None."""
    for record in by_step(records):
        value = record.get(metric)
        if isinstance(value, int | float) and value < threshold:
            return record
    return None


def main(argv):
    del argv
    workdir, metric, below = flags.FLAGS.workdir, flags.FLAGS.metric, flags.FLAGS.below
    records = metric_writers.read_metrics(workdir)
    if not any(metric in r for r in records):
        known = sorted({k for r in records for k in r})
        raise app.UsageError(f"No metric {metric!r} in {workdir}; logged metrics: {known}.")
    hit = first_below(records, metric, below)
    if hit is None:
        print(f"{workdir}: {metric} never went below {below}.")
        return
    print(f"{workdir}: {metric} = {hit[metric]:.4f} < {below} at epoch "
          f"{hit.get('epoch', float('nan')):g}, step {hit['step']}, "
          f"{hit.get('training/elapsed_seconds', float('nan')):.0f} s of training")


if __name__ == "__main__":  # flags are defined only when run, so the tools import together
    flags.DEFINE_string("workdir", None, "Run directory holding metrics.jsonl.", required=True)
    flags.DEFINE_string("metric", "training/error", "Metric name in metrics.jsonl.")
    flags.DEFINE_float("below", 0.25, "Threshold.")
    app.run(main)
