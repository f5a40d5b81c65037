"""The PyTorch reference for benchmarks/vit_jax.py: the same ViT (patch 4 on 32x32, width 192, depth 6, 3 heads,
MLP 768, pre-LayerNorm blocks with GELU, class token, learned positions) in PyTorch 2.13 eager, AdamW, batch 128.

    pip install torch==2.13.0   # the CPU build kept on this machine
    python benchmarks/vit_torch.py [--steps 10] [--repeats 5]
"""

import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks import timing  # noqa: E402

WIDTH, DEPTH, HEADS, MLP, PATCH = 192, 6, 3, 768, 4


class ViT(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = torch.nn.Conv2d(3, WIDTH, PATCH, stride=PATCH)
        self.cls = torch.nn.Parameter(torch.zeros(1, 1, WIDTH))
        self.positions = torch.nn.Parameter(torch.randn(1, 1 + (32 // PATCH) ** 2, WIDTH) * 0.02)
        layer = torch.nn.TransformerEncoderLayer(WIDTH, HEADS, MLP, dropout=0.0, activation="gelu",
                                                 batch_first=True, norm_first=True)
        self.encoder = torch.nn.TransformerEncoder(layer, DEPTH, enable_nested_tensor=False)
        self.norm = torch.nn.LayerNorm(WIDTH)
        self.head = torch.nn.Linear(WIDTH, 10)

    def forward(self, images):
        x = self.embedding(images).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1) + self.positions
        return self.head(self.norm(self.encoder(x))[:, 0])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch_size", type=int, default=128)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = ViT()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    images = torch.randn(args.batch_size * args.steps, 3, 32, 32)
    labels = torch.randint(0, 10, (args.batch_size * args.steps,))

    def train_steps(count):
        for i in range(count):
            batch = slice(i * args.batch_size, (i + 1) * args.batch_size)
            optimizer.zero_grad(set_to_none=True)
            torch.nn.functional.cross_entropy(model(images[batch]), labels[batch]).backward()
            optimizer.step()

    train_steps(2)
    rates = timing.rates(lambda: train_steps(args.steps), args.steps * args.batch_size, args.repeats)
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads): ViT patch 4, width 192, depth 6, "
          f"batch {args.batch_size}: {timing.summary(rates, 'images/s')}")


if __name__ == "__main__":
    main()
