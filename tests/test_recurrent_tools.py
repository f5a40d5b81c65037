"""The tools used after training: reading zip codes (greedy and beam search, PNG), the gradient-flow plot."""

import json

import numpy as np
import pytest
from test_training import _config, _smoke_run

import train
from train import gradient_flow, read_codes, trained


def test_gradient_flow_vanishes_for_the_elman_rnn_at_initialisation(tmp_path):
    norms = {cell: gradient_flow.gradient_norms(cell, length=40, batch=16) for cell in ("rnn", "lstm")}
    for values in norms.values():
        assert values.shape == (40,) and np.all(np.isfinite(values)) and values[-1] > 0
    # 40 steps back both keep a small share of the last step's gradient at initialisation (about 3e-4 for the
    # Elman RNN, 3e-3 for the LSTM, whose forget bias of 1 gives a factor of about 0.73 per step).
    kept = {cell: values[0] / values[-1] for cell, values in norms.items()}
    assert kept["rnn"] < 0.01 and kept["lstm"] < 0.01 and kept["rnn"] < 0.5 * kept["lstm"]
    gradient_flow.plot({"at initialisation": norms}, str(tmp_path / "flow.png"))
    assert (tmp_path / "flow.png").read_bytes()[:4] == b"\x89PNG"


@pytest.fixture(scope="module")
def zip_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("zip_codes")
    train.train_and_evaluate(_config("zip_codes", "smoke"), str(workdir))
    return workdir


def test_read_codes_agrees_with_the_compiled_evaluation_and_draws_samples(zip_run, tmp_path):
    images, labels, greedy, beam = read_codes.read(str(zip_run))
    assert len(greedy) == len(beam) == len(labels) == len(images)
    evaluated = json.load(open(zip_run / "summary.json"))["final"]
    ours = read_codes.accuracy(greedy, labels)
    assert ours["sequence_accuracy"] == pytest.approx(evaluated["test/sequence_accuracy"])
    assert ours["symbol_accuracy"] == pytest.approx(evaluated["test/symbol_accuracy"])
    read_codes.plot_samples(images, labels, beam, str(tmp_path / "codes.png"))
    assert (tmp_path / "codes.png").read_bytes()[:4] == b"\x89PNG"


def test_trained_load_names_what_is_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="no config.json"):
        trained.load(str(tmp_path))


@pytest.mark.parametrize("model", ["transformer", "lstm_luong"])
def test_translate_new_sentences_and_draw_the_attention(model, tmp_path, request):
    from train import translate

    workdir = tmp_path / "run"
    workdir.mkdir()
    _smoke_run(_config("translation", f"smoke,model={model}"), workdir, request)
    translator = translate.Translator(str(workdir))
    outputs = translator.translate(["你好嗎?", "機器學習"])
    assert len(outputs) == 2 and all(isinstance(o, str) for o in outputs)
    source_pieces, output_pieces, weights = translator.attention("你好嗎?")
    assert weights.shape == (len(output_pieces), len(source_pieces))
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-4)
    translate.plot_attention(source_pieces, output_pieces, weights, str(tmp_path / "attention.png"))
    assert (tmp_path / "attention.png").read_bytes()[:4] == b"\x89PNG"
