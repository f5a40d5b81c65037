"""The copy task (Hochreiter & Schmidhuber 1997, section 5.2; in the form of Arjovsky, Shah & Bengio 2016,
section 4.1): read 10 symbols from an alphabet of 8, wait T steps, and at the delimiter repeat them. A network
that remembers nothing outputs blanks and then guesses: cross-entropy 10 ln 8 / (T + 20) per step, 0.173 at
T = 100. Expected: each cell reported at T = 100 (README, Recurrent networks).

    python launch.py --config=configs/copy_task.py:cell=lstm --workdir=runs/copy_lstm

Arguments: cell=<rnn|lstm|gru> (default lstm); length=<T> (default 100); steps=<training steps>; smoke.
Recipe: 128 hidden units, symbols embedded in 16 dimensions, Adam (lr 1e-3), batch 64, gradient norm
clipped at 1, 100,000 training sequences.
"""

from configs import arguments, base
from input_pipeline import synthetic


def get_config(arg: str | None = None):
    args = arguments.parse(arg, smoke=False, cell="lstm", length=100, steps=6000)
    config = base.base_config()
    config.model = base.model_config(
        "many_to_many_aligned", cell=args.cell, features=128, vocab_size=synthetic.COPY_SYMBOLS + 2,
        embedding_dim=16, num_classes=synthetic.COPY_SYMBOLS + 2,
    )
    base.use_synthetic_sequences(config, "copy", args.length, args.steps)
    config.task = base.task_config("sequence_labeling")
    base.set_reference(config, {"test/loss": float(synthetic.copy_baseline(args.length))}, "copy", kind="baseline")
    if args.smoke:
        base.shrink_for_smoke(config)
        config.data.generator.update(sequence_length=5, num_train=256, num_test=200)
        config.model.features = 16
    return config
