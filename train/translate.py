"""Translate sentences with a trained translation run, and draw the attention of one sentence as a heatmap (the
sequence deck's attention figure).

    python -m train.translate --workdir=runs/tf_zh_en "你好嗎?" "機器學習"
    python -m train.translate --workdir=runs/lstm_attention_zh_en --heatmap=attention.png "我喜歡茶。"

The tokenizers come from the run's workdir (where training stored them); decoding is the run's beam search.
"""

import os

import jax.numpy as jnp
import numpy as np
from absl import app, flags

from input_pipeline import tokenizers, translation
from input_pipeline.tokenizers import BOS
from models.transformer import Transformer
from train import tasks, trained
from train.tasks.translation import until_eos


class Translator:
    """A trained run's model, parameters, tokenizers and decoding."""

    def __init__(self, workdir: str):
        self.config, self.model, variables = trained.load(workdir)
        self.params = variables["params"]
        fields = translation.options(self.config.data.get("translation", {}))
        source_lang, target_lang = fields["direction"].split("-")
        directory = os.path.join(workdir, "tokenizers")
        self.source_tokenizer = tokenizers.load_or_train(
            directory, f"{source_lang}_{fields['source_tokenizer']}", fields["source_tokenizer"], None, 0)
        self.target_tokenizer = tokenizers.load_or_train(
            directory, f"{target_lang}_{fields['target_tokenizer']}", fields["target_tokenizer"], None, 0)
        self.max_length = fields["max_length"]
        self.task = tasks.build(self.config.task, self.target_tokenizer.vocab_size)

    def source_ids(self, sentences: list[str]) -> np.ndarray:
        return translation.encode(self.source_tokenizer, sentences, self.max_length, [], [tokenizers.EOS])

    def translate(self, sentences: list[str]) -> list[str]:
        ids = self.task.decode(self.model, self.params, self.source_ids(sentences), self.max_length)
        return [self.target_tokenizer.decode(until_eos(row)) for row in ids]

    def attention(self, sentence: str) -> tuple[list[str], list[str], np.ndarray]:
        """(source pieces, output pieces, weights (output, source)) for the model's own translation; for the
        Transformer, the last decoder layer's cross-attention averaged over heads."""
        source = self.source_ids([sentence])
        # BOS + the output must fit the model's positions.
        output = until_eos(self.task.decode(self.model, self.params, source, self.max_length)[0])
        output = output[: self.max_length - 1]
        target_inputs = jnp.array([[BOS, *output]], jnp.int32)
        if isinstance(self.model, Transformer):
            _, state = self.model.clone(sow_weights=True).apply(
                {"params": self.params}, source, target_inputs, mutable=["intermediates"])
            layers = state["intermediates"]
            last = max((k for k in layers if k.startswith("decoder_layers_")), key=lambda k: int(k.split("_")[-1]))
            weights = layers[last]["cross_attention"]["attention_weights"][0][0].mean(axis=0)
        else:
            weights = self.model.apply({"params": self.params}, source, target_inputs,
                                       method="attention_weights")[0]
        source_length = int(np.sum(source[0] > 0))
        source_pieces = [self.source_tokenizer.decode([i]) or "</s>" for i in source[0, :source_length]]
        output_pieces = [self.target_tokenizer.decode([i]) for i in output] + ["</s>"]
        return source_pieces, output_pieces, np.asarray(weights)[: len(output_pieces), :source_length]


def plot_attention(source_pieces, output_pieces, weights, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    # A CJK font where one is installed (e.g. fonts-noto-cjk); otherwise the Chinese labels draw as boxes.
    cjk = [f.name for f in font_manager.fontManager.ttflist if "CJK" in f.name or "WenQuanYi" in f.name]
    if cjk:
        plt.rcParams["font.family"] = cjk[0]
    fig, ax = plt.subplots(figsize=(0.6 * len(source_pieces) + 2, 0.5 * len(output_pieces) + 1.5))
    ax.imshow(weights, cmap="Greys", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(len(source_pieces)), source_pieces, rotation=60)
    ax.set_yticks(range(len(output_pieces)), output_pieces)
    ax.set_xlabel("source")
    ax.set_ylabel("translation")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv):
    sentences = argv[1:]
    if not sentences:
        raise app.UsageError("Give the sentences to translate after the flags.")
    translator = Translator(flags.FLAGS.workdir)
    for sentence, result in zip(sentences, translator.translate(sentences), strict=True):
        print(f"{sentence}\t{result}")
    if flags.FLAGS.heatmap:
        plot_attention(*translator.attention(sentences[0]), flags.FLAGS.heatmap)


if __name__ == "__main__":  # flags are defined only when run, so the tools import together
    flags.DEFINE_string("workdir", None, "The workdir of a configs/translation.py run.", required=True)
    flags.DEFINE_string("heatmap", "", "Where to draw the first sentence's attention (PNG).")
    app.run(main)
