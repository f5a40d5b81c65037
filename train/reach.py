"""When did runs first reach a target? Reads each run's metrics.jsonl.

    python -m train.reach runs/fig1_relu --metric=training/error --below=0.25
    python -m train.reach runs/fig1_learning_rates      # a sweep: one line per run

A directory is a run or a sweep, as `train.collect` reads them. Prints, per run, the first logged epoch (and step,
and training seconds) at which `metric` is below the threshold, e.g. AlexNet's Figure 1 criterion, 25% training
error.
"""

from absl import app, flags

from train import collect, metric_writers


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


def report(paths: list[str], metric: str, below: float) -> list[str]:
    """One line per run under `paths` (runs or sweeps, as `train.collect` reads them): where `metric` first went
    below `below`, or that it never did. A metric that no run logged is an error naming the logged ones."""
    runs = [(workdir, metric_writers.read_metrics(workdir)) for _, _, workdir in collect.find_runs(paths)]
    if not any(metric in r for _, records in runs for r in records):
        known = sorted({k for _, records in runs for r in records for k in r})
        raise ValueError(f"No run under {paths} logged {metric!r}; logged metrics: {known}.")
    lines = []
    for workdir, records in runs:
        hit = first_below(records, metric, below)
        if hit is None:
            last = max((r["epoch"] for r in records if metric in r and "epoch" in r), default=0)
            lines.append(f"{workdir}: {metric} never went below {below} (logged to epoch {last:g}).")
        else:
            lines.append(f"{workdir}: {metric} = {hit[metric]:.4f} < {below} at epoch "
                         f"{hit.get('epoch', float('nan')):g}, step {hit['step']}, "
                         f"{hit.get('training/elapsed_seconds', float('nan')):.0f} s of training")
    return lines


def main(argv):
    if len(argv) < 2:
        raise app.UsageError("Give one or more run or sweep directories.")
    try:
        print("\n".join(report(argv[1:], flags.FLAGS.metric, flags.FLAGS.below)))
    except (ValueError, FileNotFoundError) as e:
        raise app.UsageError(str(e)) from e


if __name__ == "__main__":  # flags are defined only when run, so the tools import together
    flags.DEFINE_string("metric", "training/error", "Metric name in metrics.jsonl.")
    flags.DEFINE_float("below", 0.25, "Threshold.")
    app.run(main)
