"""LSTM training throughput through the real trainer's compiled chunk: one LSTM layer of 256 units reading 64
steps of 256 features, a dense read-out of the last state, softmax cross-entropy, SGD; batch 64, random data
held on the device. Compare with benchmarks/lstm_torch.py (torch.nn.LSTM, the same shapes).

    python benchmarks/lstm_jax.py [--cell fused_lstm] [--unroll 1] [--steps 20] [--repeats 5]
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # noqa: E402
import numpy as np  # noqa: E402

import models  # noqa: E402
from benchmarks import timing, trainer_chunk  # noqa: E402
from configs import base  # noqa: E402
from train import tasks  # noqa: E402

HIDDEN, STEPS, FEATURES, CLASSES = 256, 64, 256, 10


def measure(cell: str, unroll: int, num_steps: int, batch_size: int, repeats: int, options: dict) -> list[float]:
    rng = np.random.default_rng(0)
    num_examples = batch_size * num_steps
    data = {"image": rng.standard_normal((num_examples, STEPS, FEATURES), np.float32),
            "label": rng.integers(0, CLASSES, num_examples).astype(np.int32)}
    model = models.build(base.model_config(
        "many_to_one", cell=cell, features=HIDDEN, num_classes=CLASSES, unroll=unroll,
        cell_options={"candidate_bias": True},  # torch.nn.LSTM's form
    ))
    task = tasks.build(base.task_config("classification"), CLASSES)
    return trainer_chunk.chunk_rates(model, task, {"name": "sgd"}, data, batch_size, num_steps, repeats, options)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cell", default="fused_lstm", choices=["fused_lstm", "lstm"])
    parser.add_argument("--unroll", type=int, default=1)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--ynn", action="store_true", help="compile with configs.base.CPU_CONV_NET_OPTIONS")
    args = parser.parse_args()
    options = base.CPU_CONV_NET_OPTIONS if args.ynn else {}
    rates = measure(args.cell, args.unroll, args.steps, args.batch_size, args.repeats, options)
    print(f"jax {jax.__version__}: {args.cell} (unroll {args.unroll}{', YNN fusions' if args.ynn else ''}) "
          f"hidden {HIDDEN}, {STEPS} steps, batch {args.batch_size}: {timing.summary(rates, 'sequences/s')}")


if __name__ == "__main__":
    main()
