"""ViT training images/s through the real trainer's compiled chunk: patch 4 on 32x32 images, width 192, depth 6,
3 heads, MLP 768, batch 128, softmax cross-entropy, AdamW; random images held on the device. Compare with
benchmarks/vit_torch.py.

    python benchmarks/vit_jax.py [--steps 10] [--repeats 5] [--ynn] [--accumulation 4] [--bfloat16]

--accumulation k computes each batch as k microbatches in turn (config.gradient_accumulation_steps): the same
update, in less memory, at some cost in speed. --bfloat16 trains in mixed precision (config.compute_dtype).
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


def measure(num_steps: int, batch_size: int, repeats: int, options: dict, accumulation: int = 1,
            compute_dtype: str = "float32") -> list[float]:
    rng = np.random.default_rng(0)
    count = batch_size * num_steps
    data = {"image": rng.standard_normal((count, 32, 32, 3), np.float32),
            "label": rng.integers(0, 10, count).astype(np.int32)}
    model = models.build(base.model_config("vit", num_classes=10, patch_size=4, hidden_size=192, num_layers=6,
                                           num_heads=3, mlp_dim=768))
    task = tasks.build(base.task_config("classification"), 10)
    return trainer_chunk.chunk_rates(model, task, {"name": "adamw", "weight_decay": 0.05}, data, batch_size,
                                     num_steps, repeats, options, accumulation_steps=accumulation,
                                     compute_dtype=compute_dtype)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch_size", type=int, default=128)
    parser.add_argument("--ynn", action="store_true", help="compile with configs.base.CPU_CONV_NET_OPTIONS")
    parser.add_argument("--accumulation", type=int, default=1, help="microbatches per batch")
    parser.add_argument("--bfloat16", action="store_true", help="bfloat16 mixed precision")
    args = parser.parse_args()
    dtype = "bfloat16" if args.bfloat16 else "float32"
    rates = measure(args.steps, args.batch_size, args.repeats, base.CPU_CONV_NET_OPTIONS if args.ynn else {},
                    args.accumulation, dtype)
    print(f"jax {jax.__version__}: ViT patch 4, width 192, depth 6, 3 heads, MLP 768, batch {args.batch_size}"
          f"{', YNN fusions' if args.ynn else ''}"
          f"{f', {args.accumulation} microbatches' if args.accumulation > 1 else ''}"
          f"{', bfloat16 mixed precision' if args.bfloat16 else ''}: "
          f"{timing.summary(rates, 'images/s')}")


if __name__ == "__main__":
    main()
