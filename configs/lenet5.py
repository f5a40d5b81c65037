"""LeNet-5 (LeCun, Bottou, Bengio, Haffner 1998, "Gradient-Based Learning Applied to Document Recognition"), the
paper's recipe on MNIST.

Reproduces section III.C.1 / Figure 14: LeNet-5 trained on the regular (undistorted) 60,000 MNIST training images
reaches 0.95% test error after 20 passes (training error 0.35% at the end). Target: test error <= 0.95%.

Recipe (section III.C.1 and Appendix C): the 60,000-parameter network of `models/lenet5.py` on 28x28 digits
centred in 32x32 with background -0.1 and ink 1.175; per-example updates; the MAP criterion of eq. 9 on the RBF
penalties; stochastic diagonal Levenberg-Marquardt with mu = 0.02, the curvature re-estimated on 500 samples
before each pass, and the global learning rate 5e-4 for the first 2 passes, 2e-4 for the next 3, 1e-4 for the
next 3, 5e-5 for the next 4 and 1e-5 thereafter. The constant j of eq. 9 is not given in the paper; we use 10
(on 10,000 held-out training digits, four seeds each, 30 was not distinguishable from it and 1 and 3 were worse;
10 is the value whose training error matches the paper's; docs/results/foundation.md).

Named deviation: the curvature h_kk is the exact diagonal of the Gauss-Newton matrix (train/sdlm.py,
"gauss_newton"), not Appendix C's estimate ("backpropagated": second derivatives back-propagated through the chain
of layers, for a shared weight the sum over its connections, which drops the cross terms between them;
`--config.optimizer.curvature=backpropagated`). Appendix C's, with this initialisation, reproduces the one figure
the paper gives from inside its run, the first pass's step sizes (0.00012 to 0.017, `python -m train.sdlm_rates`,
against "approximately 7 x 10^-5 and 0.016"), and it was this config's for part of 2026-12-02. But in a quarter
to a third of seeds its step sizes jump when the curvature is re-estimated on the trained network at the second pass
(C1's kernel 15x), and the network under-fits for the rest of the run. The rule fixed before the runs: Appendix
C's stays unless its mean error on 10,000 held-out training digits exceeds the exact diagonal's by more than two
standard errors of the paired difference. Seeds 0-3 and then 0-9 kept it (+0.44 +- 0.23 points, by 0.02); a
third look, prompted by the README's command under-fitting on a new host (5.35% test), added seeds 10-19: over
all twenty, held-out error 1.61% against 1.23%, +0.38 +- 0.16, beyond two standard errors, so the exact diagonal
is back. On the test set, seeds 0-9 (one core each): the exact diagonal 0.98, 1.13, 0.98, 0.99, 1.13, 1.16, 0.92,
0.91, 0.97, 1.11% on an AMD EPYC with AVX-512 (mean 1.03%, two of ten <= 0.95%) and 1.09, 1.08, 0.94, 0.98, 0.92,
1.19, 0.83, 0.96, 0.95, 1.74% on an AVX2-only one (mean 1.07%, four of ten <= 0.95%); Appendix C's on the latter
1.89, 0.99, 1.10, 1.91, 2.46, 1.25, 1.21, 1.07, 1.49, 1.27% (mean 1.46%) (docs/results/foundation.md).

Named deviation: weights start as the LeCun lab's own software starts LeNet-5, not as Appendix A prints it.
EBLearn (the C++ successor of Lush's gblearn2) initialises its MNIST LeNet-5 demos with
`forget_param_linear(1, 0.5)`: kernels U(-1/sqrt(F), 1/sqrt(F)), F the fan-in (kernel area times the input maps a
map reads), S2's and S4's coefficients the constant 1/sqrt(4) = 0.5, biases 0. Appendix A prints U(-2.4/F, 2.4/F).
With that every layer shrinks the signal by about 1/sqrt(F): F6 starts at +-0.001, all ten penalties at 84.00.
The curvature estimated there is below mu in almost every layer (C1's kernel 1e-4, C5's 2e-5), so every step
takes the ceiling eta / mu; within ten examples C1's and C3's kernels grow 12x and 61x, C5 and F6 saturate and
stay so. One pass leaves the network at chance (89.7% test error, measured), as do all 20 (91.08%, seed 0).
`--config.model.initializer=lecun_2.4_over_fan_in --config.model.subsampling_initializer=` restores the printed
form (coefficients drawn like the kernels). Until 2026-12-02 this config used U(-2.4/sqrt(F), 2.4/sqrt(F)) for
kernels and coefficients alike, our guess that kept the printed 2.4 (`initializer=lecun_2.4_over_sqrt_fan_in`,
`subsampling_initializer=` empty). The lab's scheme replaced it by a rule written down before either was run:
on 10,000 held-out training digits (training on the other 50,000), seeds 0-3, held-out error 1.38, 1.21, 1.10,
1.25% (mean 1.24%) against 1.30, 1.58, 1.32, 1.36% (mean 1.39%), so it was not worse (docs/results/foundation.md).
On the test set, with the exact diagonal, the earlier scheme's ten seeds averaged 1.11% on an AVX2-only host, this
one's 1.07% there (above).

    python launch.py --config=configs/lenet5.py --workdir=runs/lenet5 --config.data.data_dir=../shared/data

Arguments: smoke (a few seconds, for tests).
"""

from configs import arguments, base


def get_config(arg: str | None = None):
    args = arguments.parse(arg, smoke=False)
    config = base.base_config()
    config.model = base.model_config(  # a named deviation, above
        "lenet5", initializer="eblearn_1_over_sqrt_fan_in",
        subsampling_initializer="eblearn_constant_1_over_sqrt_fan_in")
    config.data.name = "mnist"
    config.data.pad_to = 32
    config.data.pixel_range = (-0.1, 1.175)
    config.data.eval_splits = ("test", "train")
    config.task.loss = "rbf_map"
    config.task.rbf_j = 10.0
    config.optimizer.name = "sdlm"
    config.optimizer.mu = 0.02
    config.optimizer.curvature_samples = 500
    config.optimizer.curvature = "gauss_newton"  # a named deviation (above); Appendix C's: "backpropagated"
    config.optimizer.curvature_method = "features"  # for "gauss_newton": the F6 state the RBF units compare with
    config.schedule.name = "step"
    config.schedule.values = (5e-4, 2e-4, 1e-4, 5e-5, 1e-5)
    config.schedule.boundaries_epochs = (2.0, 5.0, 8.0, 12.0)
    config.batch_size = 1
    config.num_devices = 1  # per-example updates are serial: one device
    config.train_epochs = 20.0
    config.log_every_steps = 20_000
    config.eval_every_epochs = 4.0
    base.set_reference(config, {"test/error": 0.0095, "train/error": 0.0035}, "mnist")
    if args.smoke:
        base.shrink_for_smoke(config, num_train=128)
        config.optimizer.curvature_samples = 32
    return config


def get_sweep(arg: str | None = None) -> list[dict]:
    """Five seeds, the spread docs/results/foundation.md reports (`python -m train.sweep --config=configs/lenet5.py
    --workdir=runs/lenet5_seeds --set=data.data_dir=../shared/data`)."""
    return [{"seed": seed} for seed in range(5)]
