"""When did a run first reach a target? Reads a workdir's metrics.jsonl.

    python -m train.reach --workdir=runs/fig1_relu --metric=training/error --below=0.25

Prints the first logged epoch (and step, and training seconds) at which `metric` is below the threshold, e.g.
AlexNet's Figure 1 criterion, 25% training error.
"""

from absl import app, flags

from train import metric_writers

_WORKDIR = flags.DEFINE_string("workdir", None, "Run directory holding metrics.jsonl.", required=True)
_METRIC = flags.DEFINE_string("metric", "training/error", "Metric name in metrics.jsonl.")
_BELOW = flags.DEFINE_float("below", 0.25, "Threshold.")


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
    records = metric_writers.read_metrics(_WORKDIR.value)
    if not any(_METRIC.value in r for r in records):
        known = sorted({k for r in records for k in r})
        raise app.UsageError(f"No metric {_METRIC.value!r} in {_WORKDIR.value}; logged metrics: {known}.")
    hit = first_below(records, _METRIC.value, _BELOW.value)
    if hit is None:
        print(f"{_WORKDIR.value}: {_METRIC.value} never went below {_BELOW.value}.")
        return
    print(f"{_WORKDIR.value}: {_METRIC.value} = {hit[_METRIC.value]:.4f} < {_BELOW.value} at epoch "
          f"{hit.get('epoch', float('nan')):g}, step {hit['step']}, "
          f"{hit.get('training/elapsed_seconds', float('nan')):.0f} s of training")


if __name__ == "__main__":
    app.run(main)
