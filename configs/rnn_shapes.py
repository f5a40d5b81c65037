"""One example for each of the sequence deck's four shapes of a recurrent network (models/sequence_shapes.py),
all on the USPS digits of LeCun et al. (1989) so that each trains in a minute on 2 CPU cores:

  one_to_one:   the 256 pixels as one input, the class as one output (a recurrent cell run for one step is a
                feed-forward layer);
  many_to_one:  the digit read row by row (16 steps of 16 pixels), the class from the last state;
  one_to_many:  the 256 pixels in, the digit's English name out, one letter per step ("seven.");
  many_to_many: the copy task at T = 10 (aligned: one output per input step).

    python launch.py --config=configs/rnn_shapes.py:shape=one_to_many --workdir=runs/shape_one_to_many

Arguments: shape=<one_to_one|many_to_one|one_to_many|many_to_many> (default many_to_one); cell=<rnn|lstm|gru>;
smoke. Recipe: 128 hidden units, Adam (lr 1e-3, cosine decay), batch 64, gradient norm clipped at 1, 20 epochs.

Expected (measured, LSTM, README "Recurrent networks"): one_to_one 93.12% and many_to_one 94.12% USPS test
accuracy, one_to_many 91.33% of names spelled exactly, many_to_many 2.0% of sequences copied whole.
"""

from configs import arguments, base
from input_pipeline import composed, synthetic

SHAPES = ("one_to_one", "many_to_one", "one_to_many", "many_to_many")


def get_config(arg: str | None = None):
    args = arguments.parse(arg, smoke=False, shape="many_to_one", cell="lstm")
    if args.shape not in SHAPES:
        raise ValueError(f"Unknown shape {args.shape!r}; choose one of {list(SHAPES)}.")
    config = base.base_config()
    common = {"cell": args.cell, "features": 128}
    if args.shape == "one_to_one":
        config.model = base.model_config("one_to_one", num_classes=10, **common)
        config.data.name = "usps"
    elif args.shape == "many_to_one":
        config.model = base.model_config("many_to_one", num_classes=10, step_size=16, **common)
        config.data.name = "usps"
    elif args.shape == "one_to_many":
        config.model = base.model_config("one_to_many", num_classes=len(composed.LETTERS),
                                         output_length=composed.SPELLING_LENGTH, **common)
        config.data.name = "spelled_digits"
        config.task = base.task_config("sequence_labeling")
    else:
        vocabulary = synthetic.COPY_SYMBOLS + 2
        config.model = base.model_config("many_to_many_aligned", num_classes=vocabulary, vocab_size=vocabulary,
                                         embedding_dim=16, **common)
        config.data.name = "copy"
        config.data.generator = {"sequence_length": 10, "num_train": 20_000, "num_test": 2_000, "seed": 0}
        config.task = base.task_config("sequence_labeling")
    config.optimizer.name = "adam"
    config.optimizer.grad_clip_norm = 1.0
    config.schedule.name = "cosine"
    config.schedule.learning_rate = 1e-3
    config.batch_size = 64
    config.train_epochs = 20.0
    if args.smoke:
        base.shrink_for_smoke(config)
        config.model.features = 16
    return config
