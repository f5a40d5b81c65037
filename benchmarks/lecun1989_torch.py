"""The straightforward PyTorch reference: the same 9,760-parameter network, the same USPS data, a Python loop of
per-example SGD steps (as in Karpathy's lecun1989-repro), then the JAX run, and the ratio of their wall times.

    pip install torch==2.13.0   # the CPU build
    python benchmarks/lecun1989_torch.py [--passes 23]

Both sides use the same recipe (scaled tanh, +-1 MSE targets, U(-2.4/F, 2.4/F), lr 0.02 as configs/lecun1989.py,
23 passes, shuffled each pass) and the same H2 connection table; PyTorch runs it with three grouped convolutions
and torch.cat.
"""

import argparse
import os
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def scaled_tanh(x):
    return 1.7159 * torch.tanh(x * (2.0 / 3.0))


class LeCun1989(torch.nn.Module):
    def __init__(self):
        super().__init__()

        def uniform(fan_in, *shape):
            return torch.nn.Parameter((torch.rand(*shape) * 2 - 1) * 2.4 / fan_in)

        self.h1_w, self.h1_b = uniform(25, 12, 1, 5, 5), torch.nn.Parameter(torch.zeros(12, 8, 8))
        self.h2_w, self.h2_b = uniform(200, 12, 8, 5, 5), torch.nn.Parameter(torch.zeros(12, 4, 4))
        self.h3_w, self.h3_b = uniform(192, 192, 30), torch.nn.Parameter(torch.zeros(30))
        self.out_w, self.out_b = uniform(30, 30, 10), torch.nn.Parameter(torch.zeros(10))

    def forward(self, x):  # (1, 1, 16, 16)
        x = scaled_tanh(F.conv2d(F.pad(x, (2, 2, 2, 2), value=-1.0), self.h1_w, stride=2) + self.h1_b)
        x = F.pad(x, (2, 2, 2, 2), value=-1.0)
        x = torch.cat([
            F.conv2d(x[:, 0:8], self.h2_w[0:4], stride=2),
            F.conv2d(x[:, 4:12], self.h2_w[4:8], stride=2),
            F.conv2d(torch.cat([x[:, 0:4], x[:, 8:12]], 1), self.h2_w[8:12], stride=2),
        ], 1)
        x = scaled_tanh(x + self.h2_b).flatten(1)
        x = scaled_tanh(x @ self.h3_w + self.h3_b)
        return scaled_tanh(x @ self.out_w + self.out_b)


def run_torch(passes: int) -> tuple[float, float]:
    start = time.perf_counter()
    data = np.load(os.path.join(REPO, "input_pipeline", "data", "usps.npz"))
    x_train = torch.tensor(data["x_train"] * 2 - 1).unsqueeze(1)
    y_train = F.one_hot(torch.tensor(data["y_train"]).long(), 10).float() * 2 - 1
    x_test, y_test = torch.tensor(data["x_test"] * 2 - 1).unsqueeze(1), torch.tensor(data["y_test"])
    torch.manual_seed(0)
    model = LeCun1989()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.02)
    for _ in range(passes):
        for i in torch.randperm(len(x_train)).tolist():
            loss = torch.mean((model(x_train[i : i + 1]) - y_train[i : i + 1]) ** 2)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    with torch.no_grad():
        error = (model(x_test).argmax(1) != y_test).float().mean().item()
    return time.perf_counter() - start, error


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--passes", type=int, default=23)
    args = parser.parse_args()
    torch_wall, torch_error = run_torch(args.passes)
    torch_wall_23 = torch_wall * 23 / args.passes
    print(f"torch {torch.__version__}: {args.passes} passes in {torch_wall:.1f} s "
          f"(23 passes: {torch_wall_23:.1f} s), test error {100 * torch_error:.2f}%")
    start = time.perf_counter()
    output = subprocess.run([sys.executable, os.path.join(REPO, "benchmarks", "lecun1989_jax.py")],
                            capture_output=True, text=True, check=True).stdout
    jax_wall = time.perf_counter() - start  # the whole process: imports, compilation, training, evaluation
    print(output.strip())
    print(f"jax process wall {jax_wall:.1f} s; speed-up over PyTorch: {torch_wall_23 / jax_wall:.1f}x")


if __name__ == "__main__":
    main()
