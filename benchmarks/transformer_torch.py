"""The PyTorch reference for benchmarks/transformer_jax.py: torch.nn.Transformer (d_model 256, 4 heads, 3 + 3
layers, d_ff 1024, dropout 0.1, post-LN) with embeddings scaled by sqrt(d_model), sinusoidal positions, an output
projection, label-smoothed cross-entropy and Adam; vocabularies of 8,000, length 32, batch 64; eager mode.

    pip install torch==2.13.0   # the CPU build kept on this machine
    python benchmarks/transformer_torch.py [--steps 10] [--repeats 5]
"""

import argparse
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks import timing  # noqa: E402

VOCAB, LENGTH, D_MODEL = 8000, 32, 256


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.source_embed = torch.nn.Embedding(VOCAB, D_MODEL)
        self.target_embed = torch.nn.Embedding(VOCAB, D_MODEL)
        self.transformer = torch.nn.Transformer(D_MODEL, 4, 3, 3, 1024, 0.1, batch_first=True)
        self.output = torch.nn.Linear(D_MODEL, VOCAB, bias=False)
        position = torch.arange(LENGTH)[:, None]
        rates = torch.exp(torch.arange(0, D_MODEL, 2) * (-math.log(10000.0) / D_MODEL))
        table = torch.zeros(LENGTH, D_MODEL)
        table[:, 0::2], table[:, 1::2] = torch.sin(position * rates), torch.cos(position * rates)
        self.register_buffer("positions", table)
        self.register_buffer("causal", torch.nn.Transformer.generate_square_subsequent_mask(LENGTH))

    def forward(self, source, target_inputs):
        scale = math.sqrt(D_MODEL)
        x = self.source_embed(source) * scale + self.positions
        y = self.target_embed(target_inputs) * scale + self.positions
        return self.output(self.transformer(x, y, tgt_mask=self.causal, tgt_is_causal=True))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch_size", type=int, default=64)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = Model()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.9, 0.98), eps=1e-9)
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=0.1)
    count = args.batch_size * args.steps
    source, target_inputs, targets = (torch.randint(4, VOCAB, (count, LENGTH)) for _ in range(3))

    def train_steps(number):
        model.train()
        for i in range(number):
            batch = slice(i * args.batch_size, (i + 1) * args.batch_size)
            optimizer.zero_grad(set_to_none=True)
            logits = model(source[batch], target_inputs[batch])
            loss_fn(logits.reshape(-1, VOCAB), targets[batch].reshape(-1)).backward()
            optimizer.step()

    train_steps(2)
    rates = timing.rates(lambda: train_steps(args.steps), args.steps * args.batch_size * LENGTH, args.repeats)
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads): nn.Transformer d256 h4 3+3 ff1024, "
          f"length {LENGTH}, batch {args.batch_size}: {timing.summary(rates, 'target tokens/s')}")


if __name__ == "__main__":
    main()
