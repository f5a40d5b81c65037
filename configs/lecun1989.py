"""LeCun et al. 1989, "Backpropagation Applied to Handwritten Zip Code Recognition", the paper's recipe.

Reproduces section 5.1 (Results): after 23 passes through the 7,291 training digits, 0.14% training error (10
mistakes) and 5.0% test error on the 2,007 test digits (102 mistakes, so 5.08%; mean-squared errors 2.5e-3 and
1.8e-2). Target: test error <= 5.0% (the issue's; 100 mistakes or fewer).

Recipe: the 9,760-parameter network of `models/lecun1989.py` (scaled tanh, +-1 targets, mean-squared error, weights
U(-2.4/F, 2.4/F)), per-example updates (batch 1), 23 passes over USPS scaled to [-1, 1].

The optimiser. The paper: "All experiments were done using a special version of Newton's algorithm that uses a
positive, diagonal approximation of the Hessian matrix" (LeCun 1987; Becker and LeCun 1988), updating after each
pattern. The issue asks for per-example SGD, and that is the default, with a constant learning rate of 0.02,
chosen among {0.01, 0.02, 0.03, 0.05, 0.1} on 2,000 held-out training digits (training on the other 5,291), seeds
0-9: mean held-out error 2.68, 2.58, 2.73, 2.99, 3.63%. On the test set, seeds 0-9: 5.48, 6.13, 5.23, 5.83, 5.63,
5.83, 5.48, 5.28, 4.63, 5.63% (mean 5.52%): the 5.0% target is missed, by seed 0 and on average. (Until
2026-12-02 the rate was 0.05, chosen by test error, where seed 0 gave 4.98%; its ten test seeds average 5.69%.)

The order. Karpathy's notes on the paper (2022) list "patterns presented in constant order" under its training;
the config draws a fresh order each pass, a named deviation: with the paper's (`--config.data.order=constant`) the
best rates (0.01 and 0.02, tied) gave 2.82% held-out error against 2.58%, worse by 4.8 +- 1.7 digits of 2,000
paired by seed (the same set-up, the rule written down before the runs), so the config stays shuffled.

`:sdlm` is the paper's own optimiser, a named variant: the per-example diagonal Levenberg-Marquardt of
`train/sdlm.py`, second derivatives back-propagated through the network's chain and re-estimated on 500 samples
before each pass, as LeCun et al. 1998 (Appendix C) later describe it. The 1989 paper gives neither mu nor eta;
mu = 0.02 and eta = 4e-4 were chosen among nine settings (mu 0.002, 0.02, 0.2; eta / mu 0.01, 0.02, 0.05) on the
same held-out digits: mean 2.53% against SGD's 2.58%, a difference within the noise (-1.0 +- 1.4 digits of
2,000), so SGD stays the default. Test seeds 0-9: 5.43, 5.93, 5.28, 5.73, 5.18, 4.88, 5.48, 4.93, 4.63, 5.93%
(mean 5.34%), also short of 5.0% on average (docs/results/foundation.md).

    python launch.py --config=configs/lecun1989.py --workdir=runs/lecun1989
    python launch.py --config=configs/lecun1989.py:sdlm --workdir=runs/lecun1989_sdlm

Arguments: smoke (a few seconds, for tests); sdlm (the paper's optimiser); learning_rate=<float> (SGD's rate, or
SDLM's eta; default 0.02 and 4e-4).
"""

from configs import arguments, base

# Section 5.1 gives its errors as counts too: 10 training and 102 test digits wrong (Karpathy's notes on the
# paper, 2022). The counts are exact and the percentages rounded: the test error is 102 / 2,007 = 5.08%.
PAPER_ERRORS = {"test/error": 102 / 2007, "train/error": 10 / 7291}
SGD_LEARNING_RATE = 0.02  # both chosen on held-out training digits (above)
SDLM_LEARNING_RATE = 0.0004  # eta, with mu = 0.02


def get_config(arg: str | None = None):
    args = arguments.parse(arg, smoke=False, sdlm=False, learning_rate=0.0)
    config = base.base_config()
    config.model = base.model_config("lecun1989")
    config.data.name = "usps"
    config.data.pixel_range = (-1.0, 1.0)
    config.data.eval_splits = ("test", "train")
    config.task.loss = "mse_tanh_targets"
    if args.sdlm:  # the paper's own optimiser, a named variant (above)
        config.optimizer.name = "sdlm"
        config.optimizer.mu = 0.02
        config.optimizer.curvature_samples = 500
        config.optimizer.curvature = "backpropagated"
    else:
        config.optimizer.name = "sgd"
    config.schedule.name = "constant"
    config.schedule.learning_rate = args.learning_rate or (SDLM_LEARNING_RATE if args.sdlm else SGD_LEARNING_RATE)
    config.batch_size = 1  # per-example updates, as in the paper
    config.num_devices = 1  # per-example updates are serial: one device
    config.eval_batch_size = 1000
    config.train_epochs = 23.0
    config.checkpoint_every_epochs = 23.0
    base.set_reference(config, PAPER_ERRORS, "usps")
    if args.smoke:
        base.shrink_for_smoke(config, num_train=128)
    return config


def get_sweep(arg: str | None = None) -> list[dict]:
    """Three seeds (`python -m train.sweep --config=configs/lecun1989.py --workdir=runs/lecun1989_seeds`;
    `configs/lecun1989.py:sdlm` for the paper's optimiser). The docs' ten: `--grid=config.seed=0,1,...,9`."""
    return [{"seed": seed} for seed in (0, 1, 2)]
