"""Transformer training throughput through the real trainer's compiled chunk: d_model 256, 4 heads, 3 + 3 layers,
d_ff 1024, dropout 0.1, vocabularies of 8,000, source and target length 32, batch 64, label smoothing 0.1, Adam;
random token ids held on the device. Tokens/s counts target tokens. Compare with benchmarks/transformer_torch.py.

    python benchmarks/transformer_jax.py [--steps 10] [--repeats 5]
    python benchmarks/transformer_jax.py --decode   # beam search (beam 4, alpha 0.6) sentences/s, batch 64
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
from train.tasks import beam_search  # noqa: E402

VOCAB, LENGTH = 8000, 32


def _model():
    return models.build(base.model_config(
        "transformer", vocab_size=VOCAB, target_vocab_size=VOCAB, d_model=256, num_heads=4, num_encoder_layers=3,
        num_decoder_layers=3, d_ff=1024, dropout_rate=0.1, max_length=LENGTH, share_embeddings=False))


def measure_decoding(batch_size: int, repeats: int) -> list[float]:
    """Beam-search sentences/s: batches of random sources, decoded to LENGTH tokens (an untrained model rarely
    ends early, so every step is paid for)."""
    model = _model()
    source = np.random.default_rng(0).integers(4, VOCAB, (batch_size, LENGTH)).astype(np.int32)
    params = model.init(jax.random.PRNGKey(0), source, source)["params"]
    decode = jax.jit(lambda p, s: beam_search.beam_search(model, p, s, LENGTH, beam_size=4, alpha=0.6))
    jax.block_until_ready(decode(params, source))
    return timing.rates(lambda: jax.block_until_ready(decode(params, source)), batch_size, repeats)


def measure(num_steps: int, batch_size: int, repeats: int) -> list[float]:
    rng = np.random.default_rng(0)
    count = batch_size * num_steps
    data = {name: rng.integers(4, VOCAB, (count, LENGTH)).astype(np.int32)
            for name in ("source", "target_inputs", "targets")}
    task = tasks.build(base.task_config("translation"), VOCAB)
    return trainer_chunk.chunk_rates(_model(), task, {"name": "adam", "b1": 0.9, "b2": 0.98, "eps": 1e-9}, data,
                                     batch_size, num_steps, repeats, items_per_example=LENGTH)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--decode", action="store_true", help="measure beam search instead of training")
    args = parser.parse_args()
    if args.decode:
        rates = measure_decoding(args.batch_size, args.repeats)
        print(f"jax {jax.__version__}: Transformer d256 h4 3+3 beam search (beam 4, {LENGTH} tokens), batch "
              f"{args.batch_size}: {timing.summary(rates, 'sentences/s')}")
        return
    rates = measure(args.steps, args.batch_size, args.repeats)
    print(f"jax {jax.__version__}: Transformer d256 h4 3+3 ff1024, length {LENGTH}, batch {args.batch_size}: "
          f"{timing.summary(rates, 'target tokens/s')}")


if __name__ == "__main__":
    main()
