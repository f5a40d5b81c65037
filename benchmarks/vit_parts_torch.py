"""The PyTorch side of benchmarks/vit_parts_jax.py: one pre-LayerNorm encoder block, its MLP, its attention and
the MLP's first matrix product, forward and forward + backward, in PyTorch 2.13 eager.

    python benchmarks/vit_parts_torch.py [--repeats 5]
"""

import argparse
import os
import statistics
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks import timing  # noqa: E402

BATCH, TOKENS, WIDTH, HEADS, MLP = 128, 65, 192, 3, 768
CALLS = 20


def milliseconds(function, backward: bool, repeats: int) -> float:
    def run():
        for _ in range(CALLS):
            if backward:
                function().pow(2).sum().backward()
            else:
                with torch.no_grad():
                    function()

    run()
    return 1e3 / statistics.median(timing.rates(run, CALLS, repeats))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.manual_seed(0)
    x = torch.randn(BATCH, TOKENS, WIDTH, requires_grad=True)
    block = torch.nn.TransformerEncoderLayer(WIDTH, HEADS, MLP, dropout=0.0, activation="gelu", batch_first=True,
                                             norm_first=True)
    mlp = torch.nn.Sequential(torch.nn.Linear(WIDTH, MLP), torch.nn.GELU(approximate="tanh"),
                              torch.nn.Linear(MLP, WIDTH))
    attention = torch.nn.MultiheadAttention(WIDTH, HEADS, batch_first=True)
    parts = {"block": lambda: block(x), "mlp": lambda: mlp(x),
             "attention": lambda: attention(x, x, x, need_weights=False)[0]}
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads): batch {BATCH}, {TOKENS} tokens, "
          f"width {WIDTH}, {HEADS} heads, MLP {MLP}")
    for name, function in parts.items():
        forward = milliseconds(function, False, args.repeats)
        both = milliseconds(function, True, args.repeats)
        print(f"{name:10s} forward {forward:6.1f} ms   forward + backward {both:6.1f} ms")
    a, b = torch.randn(BATCH * TOKENS, WIDTH), torch.randn(WIDTH, MLP)
    product = milliseconds(lambda: a @ b, False, args.repeats)
    print(f"({BATCH * TOKENS} x {WIDTH}) @ ({WIDTH} x {MLP}): {product:.1f} ms, "
          f"{2 * BATCH * TOKENS * WIDTH * MLP / product / 1e6:.0f} GFLOP/s")


if __name__ == "__main__":
    main()
