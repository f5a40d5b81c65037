"""CRNN (Shi, Bai & Yao 2015) reading whole five-digit zip codes made of USPS digits (LeCun et al. 1989's own
data) with random spacing, scale and vertical jitter and no segmentation (input_pipeline/composed.py): training
codes from training digits, test codes from test digits only. CTC loss, greedy decoding in the evaluation;
beam search and a PNG of sample codes with their readings from `python -m train.read_codes`.

Target: >= 97% of test-digit codes read exactly right; per-digit accuracy (1 - edit distance / 5) reported.

    python launch.py --config=configs/zip_codes.py --workdir=runs/zip_codes
    python -m train.read_codes --workdir=runs/zip_codes --png=runs/zip_codes/samples.png

Arguments: epochs; smoke. Recipe: `crnn_small` (a quarter of the paper's convolution widths, BiLSTMs of 128),
Adam (lr 1e-3, cosine decay, 1 epoch warmup), batch 64, gradient norm clipped at 5 (CTC's early gradients are
large), 50,000 training codes, 5,000 test codes; random translations of up to 3 pixels.
"""

from configs import arguments, base


def get_config(arg: str | None = None):
    args = arguments.parse(arg, smoke=False, epochs=6.0)
    config = base.base_config()
    config.model = base.model_config("crnn_small")
    config.data.name = "zip_codes"
    config.data.generator = {"code_length": 5, "num_train": 50_000, "num_test": 5_000, "seed": 0}
    config.data.augment = {"max_translation": 3}
    config.task = base.task_config("ctc")
    config.optimizer.name = "adam"
    config.optimizer.grad_clip_norm = 5.0
    config.schedule.name = "cosine"
    config.schedule.learning_rate = 1e-3
    config.schedule.warmup_epochs = 1.0
    config.batch_size = 64
    config.eval_batch_size = 500
    config.train_epochs = args.epochs
    config.compiler_options = base.CPU_CONV_NET_OPTIONS
    base.set_reference(config, {"test/sequence_accuracy": 0.97}, "zip_codes", kind="target")
    if args.smoke:
        base.shrink_for_smoke(config)
        config.data.generator.update(num_train=256, num_test=200)
        config.model.widths = (4, 4, 8, 8, 8, 8, 8)
        config.model.lstm_features = 8
    return config
