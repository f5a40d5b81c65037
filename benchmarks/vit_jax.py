"""ViT training images/s through the real trainer's compiled chunk: patch 4 on 32x32 images, width 192, depth 6,
3 heads, MLP 768, batch 128, softmax cross-entropy, AdamW; random images held on the device. Compare with
benchmarks/vit_torch.py.

    python benchmarks/vit_jax.py [--steps 10] [--repeats 5] [--ynn] [--accumulation 4] [--bfloat16]

--accumulation k computes each batch as k microbatches in turn (config.gradient_accumulation_steps): the same
update, in less memory, at some cost in speed. --bfloat16 trains in mixed precision (config.compute_dtype).

On a GPU, a registered ViT at its paper resolution, with the fraction of the chip's peak FLOP/s it reaches:

    python benchmarks/vit_jax.py --model=vit_b16 --image_size=224 --batch_size=256 --bfloat16 --peak_tflops=989

The FLOPs counted are the model's matrix products, 3x the forward pass for a training step (the usual
model-FLOPs-utilisation convention of PaLM, Chowdhery et al. 2022, appendix B); optimizer and elementwise work
are not counted.
"""

import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # noqa: E402
import ml_collections  # noqa: E402
import numpy as np  # noqa: E402

import models  # noqa: E402
from benchmarks import timing, trainer_chunk  # noqa: E402
from configs import base  # noqa: E402
from train import tasks  # noqa: E402

CIFAR_VIT = dict(num_classes=10, patch_size=4, hidden_size=192, num_layers=6, num_heads=3, mlp_dim=768)


def model_fields(name: str) -> dict:
    """The ViT's fields: the CIFAR benchmark model (name "cifar") or a registered variant such as "vit_b16"."""
    if name == "cifar":
        return base.model_config("vit", **CIFAR_VIT).to_dict()
    return base.model_config(name).to_dict()


def training_flops_per_image(fields: dict, image_size: int) -> float:
    """3 x the forward pass's matrix-product FLOPs (2 per multiply-add): patch embedding, per layer the q/k/v/out
    projections (4 D^2 per token), the MLP (2 D M per token) and attention's two (T x T x D) products, and the
    head on the class token."""
    d, m, p = fields["hidden_size"], fields["mlp_dim"], fields["patch_size"]
    patches = (image_size // p) ** 2
    tokens = patches + 1
    layer = 2 * tokens * (4 * d * d + 2 * d * m) + 2 * 2 * tokens * tokens * d
    forward = 2 * patches * (p * p * 3) * d + fields["num_layers"] * layer + 2 * d * fields["num_classes"]
    return 3.0 * forward


def measure(num_steps: int, batch_size: int, repeats: int, options: dict, accumulation: int = 1,
            compute_dtype: str = "float32", fields: dict | None = None, image_size: int = 32) -> list[float]:
    fields = fields or model_fields("cifar")
    rng = np.random.default_rng(0)
    count = batch_size * num_steps
    data = {"image": rng.standard_normal((count, image_size, image_size, 3), np.float32),
            "label": rng.integers(0, fields["num_classes"], count).astype(np.int32)}
    model = models.build(ml_collections.ConfigDict(fields))
    task = tasks.build(base.task_config("classification"), fields["num_classes"])
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
    parser.add_argument("--model", default="cifar", help='"cifar" (the model above) or a registered ViT, e.g. vit_b16')
    parser.add_argument("--image_size", type=int, default=32)
    parser.add_argument("--peak_tflops", type=float, default=0.0,
                        help="the chip's peak FLOP/s (in TFLOP/s) for the fraction reached, e.g. 989 (H100/H200 bf16)")
    args = parser.parse_args()
    dtype = "bfloat16" if args.bfloat16 else "float32"
    fields = model_fields(args.model)
    rates = measure(args.steps, args.batch_size, args.repeats, base.CPU_CONV_NET_OPTIONS if args.ynn else {},
                    args.accumulation, dtype, fields, args.image_size)
    name = ("ViT patch 4, width 192, depth 6, 3 heads, MLP 768" if args.model == "cifar"
            else f"{args.model} at {args.image_size}x{args.image_size}")
    print(f"jax {jax.__version__} on {jax.devices()[0].device_kind}: {name}, batch {args.batch_size}"
          f"{', YNN fusions' if args.ynn else ''}"
          f"{f', {args.accumulation} microbatches' if args.accumulation > 1 else ''}"
          f"{', bfloat16 mixed precision' if args.bfloat16 else ''}: "
          f"{timing.summary(rates, 'images/s')}")
    tflops = statistics.median(rates) * training_flops_per_image(fields, args.image_size) / 1e12
    reached = f", {tflops / args.peak_tflops:.1%} of {args.peak_tflops:g} peak" if args.peak_tflops else ""
    print(f"model FLOPs: {training_flops_per_image(fields, args.image_size) / 1e9:.1f} GFLOP per training image, "
          f"{tflops:.1f} TFLOP/s{reached}")


if __name__ == "__main__":
    main()
