"""The PyTorch reference for benchmarks/lstm_jax.py: torch.nn.LSTM (256 units, 64 steps of 256 features), a linear
read-out of the last state, cross-entropy, SGD; batch 64, eager mode, the CPU build of torch 2.13.

    pip install torch==2.13.0   # the CPU build kept on this machine
    python benchmarks/lstm_torch.py [--steps 20] [--repeats 5]
"""

import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks import timing  # noqa: E402

HIDDEN, STEPS, FEATURES, CLASSES = 256, 64, 256, 10


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch_size", type=int, default=64)
    args = parser.parse_args()
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(FEATURES, HIDDEN, batch_first=True)
    head = torch.nn.Linear(HIDDEN, CLASSES)
    optimizer = torch.optim.SGD([*lstm.parameters(), *head.parameters()], lr=0.01)
    inputs = torch.randn(args.batch_size * args.steps, STEPS, FEATURES)
    labels = torch.randint(0, CLASSES, (args.batch_size * args.steps,))

    def train_steps(count):
        for i in range(count):
            batch = slice(i * args.batch_size, (i + 1) * args.batch_size)
            optimizer.zero_grad(set_to_none=True)
            _, (h, _) = lstm(inputs[batch])
            torch.nn.functional.cross_entropy(head(h[-1]), labels[batch]).backward()
            optimizer.step()

    train_steps(2)  # warm up
    rates = timing.rates(lambda: train_steps(args.steps), args.steps * args.batch_size, args.repeats)
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads): nn.LSTM hidden {HIDDEN}, {STEPS} steps, "
          f"batch {args.batch_size}: {timing.summary(rates, 'sequences/s')}")


if __name__ == "__main__":
    main()
