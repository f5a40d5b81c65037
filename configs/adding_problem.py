"""The adding problem (Hochreiter & Schmidhuber 1997, section 5.4, experiment 4; in the two-channel form of
Le, Jaitly & Hinton 2015, section 4.1): read T (value, marker) pairs, output the sum of the two marked values.
A network that forgets scores the variance of the sum, MSE 1/6 = 0.167. Target: LSTM and GRU below 0.01 at
T = 200, while the Elman RNN stays near 0.167 (its gradient vanishes over 100+ steps).

    python launch.py --config=configs/adding_problem.py:cell=lstm --workdir=runs/adding_lstm

Arguments: cell=<rnn|lstm|gru> (default lstm); length=<T> (default 200); steps=<training steps>; smoke.
Recipe: 128 hidden units, Adam (lr 1e-3), batch 64, gradient norm clipped at 1, 100,000 training sequences,
10,000 test sequences, all generated from the seed.
"""

from configs import arguments, base


def get_config(arg: str | None = None):
    args = arguments.parse(arg, smoke=False, cell="lstm", length=200, steps=6000)
    config = base.base_config()
    config.model = base.model_config("many_to_one", cell=args.cell, features=128, num_classes=1)
    base.use_synthetic_sequences(config, "adding", args.length, args.steps)
    config.task = base.task_config("regression")
    # The memoryless predictor's; the target is < 0.01 for LSTM and GRU.
    base.set_reference(config, {"test/mse": 0.167}, "adding", kind="baseline")
    if args.smoke:
        base.shrink_for_smoke(config)
        config.data.generator.update(sequence_length=20, num_train=256, num_test=200)
        config.model.features = 16
    return config
