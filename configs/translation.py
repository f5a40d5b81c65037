"""English <-> Chinese translation on the Tatoeba pairs (the sequence deck's running example): the Transformer
(Vaswani et al. 2017) at the size of the speed benchmark (d_model 256, 4 heads, 3 + 3 layers, d_ff 1024), trained
with label smoothing 0.1, Adam (beta2 0.98, eps 1e-9) and the paper's warmup schedule, decoded with beam 4 and
length penalty 0.6, scored with sacreBLEU on 1,000 held-out source sentences never seen in training.

Target (issue 5): zh->en >= 25 BLEU. Work in progress: the recurrent encoder-decoders and the recorded
reproductions are not in yet, and this recipe has not been tuned by a full run.

    python launch.py --config=configs/translation.py:direction=zh-en --workdir=runs/transformer_zh_en

Arguments: direction=<zh-en|en-zh>; epochs; smoke. Any pairs file: --config.data.translation.pairs_file=my.xlsx
(or train_file, validation_file, test_file).
"""

from configs import arguments, base


def get_config(arg: str | None = None):
    args = arguments.parse(arg, smoke=False, direction="zh-en", epochs=30.0)
    config = base.base_config()
    vocab = 8000
    config.data.name = "translation"
    config.data.translation = {
        "pairs_file": "", "train_file": "", "validation_file": "", "test_file": "", "direction": args.direction,
        "source_tokenizer": "subword", "target_tokenizer": "subword", "source_vocab_size": vocab,
        "target_vocab_size": vocab, "max_length": 48, "seed": 0, "validation": 1000, "test": 1000,
    }
    config.data.eval_splits = ("validation", "test")
    config.model = base.model_config(
        "transformer", vocab_size=vocab, target_vocab_size=vocab, d_model=256, num_heads=4, num_encoder_layers=3,
        num_decoder_layers=3, d_ff=1024, dropout_rate=0.1, max_length=48, share_embeddings=False,
    )
    config.task = base.task_config("translation", label_smoothing=0.1, beam_size=4, length_penalty=0.6)
    config.optimizer.update(name="adam", b1=0.9, b2=0.98, eps=1e-9)
    config.schedule.name = "inverse_sqrt"
    config.schedule.learning_rate = 256 ** -0.5
    config.schedule.warmup_steps = 4000
    config.batch_size = 64
    config.eval_batch_size = 250
    config.train_epochs = args.epochs
    config.reference = {"test/bleu": 25.0}  # the zh->en target
    if args.smoke:
        base.shrink_for_smoke(config)
        config.schedule.warmup_steps = 4
        config.data.num_eval = 24
        config.eval_batch_size = 8
        config.data.translation.update(source_tokenizer="character", target_tokenizer="character",
                                       source_vocab_size=300, target_vocab_size=300, max_length=16)
        config.model.update(vocab_size=300, target_vocab_size=300, d_model=16, num_heads=2, num_encoder_layers=1,
                            num_decoder_layers=1, d_ff=32, max_length=16)
        config.task.beam_size = 2
    return config
