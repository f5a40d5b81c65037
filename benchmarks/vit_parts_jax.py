"""Where a ViT training step spends its time, part by part: one encoder block, its MLP, its attention, and the
MLP's first matrix product alone, each forward and forward + backward (batch 128, 65 tokens, width 192, 3 heads,
MLP 768: the benchmarks/vit_jax.py model). Compare with benchmarks/vit_parts_torch.py.

    python benchmarks/vit_parts_jax.py [--repeats 5]
"""

import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks import timing  # noqa: E402
from models.layers.attention import MultiHeadAttention  # noqa: E402
from models.vit import Encoder1DBlock, MlpBlock  # noqa: E402

BATCH, TOKENS, WIDTH, HEADS, MLP = 128, 65, 192, 3, 768
CALLS = 20  # calls per timed repeat


def milliseconds(function, args, repeats: int) -> float:
    """Median milliseconds per call of the jitted `function(*args)`."""
    function = jax.jit(function)
    jax.block_until_ready(function(*args))

    def run():
        for _ in range(CALLS):
            result = function(*args)
        jax.block_until_ready(result)

    return 1e3 / statistics.median(timing.rates(run, CALLS, repeats))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.standard_normal((BATCH, TOKENS, WIDTH), np.float32))
    # Each part with its call's positional arguments (train=False: no dropout, as in the benchmark model).
    parts = {
        "block": (Encoder1DBlock(HEADS, MLP), lambda x: (x, False)),
        "mlp": (MlpBlock(MLP), lambda x: (x, False)),
        "attention": (MultiHeadAttention(HEADS, WIDTH), lambda x: (x, x, None, False)),
    }
    print(f"jax {jax.__version__}: batch {BATCH}, {TOKENS} tokens, width {WIDTH}, {HEADS} heads, MLP {MLP}")
    for name, (module, call_args) in parts.items():
        params = module.init(jax.random.key(0), *call_args(x))

        def loss(p, x, module=module, call_args=call_args):
            return jnp.sum(module.apply(p, *call_args(x)) ** 2)

        forward = milliseconds(loss, (params, x), args.repeats)
        both = milliseconds(jax.grad(loss, argnums=(0, 1)), (params, x), args.repeats)
        print(f"{name:10s} forward {forward:6.1f} ms   forward + backward {both:6.1f} ms")
    a = jnp.asarray(rng.standard_normal((BATCH * TOKENS, WIDTH), np.float32))
    b = jnp.asarray(rng.standard_normal((WIDTH, MLP), np.float32))
    product = milliseconds(jnp.matmul, (a, b), args.repeats)
    print(f"({BATCH * TOKENS} x {WIDTH}) @ ({WIDTH} x {MLP}): {product:.1f} ms, "
          f"{2 * BATCH * TOKENS * WIDTH * MLP / product / 1e6:.0f} GFLOP/s")


if __name__ == "__main__":
    main()
