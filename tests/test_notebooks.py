"""Every notebook in notebooks/ runs headless, top to bottom, in smoke mode (its default), and shows its table."""

import os

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import REPO

NOTEBOOKS = sorted(f for f in os.listdir(os.path.join(REPO, "notebooks")) if f.endswith(".ipynb"))
# The configs whose smoke run a notebook makes (so tests/test_training.py does not make it again).
SMOKE_RUN_BY_NOTEBOOK = ("alexnet_ablations", "alexnet_fig1", "cifar_resnet", "lecun1989", "lenet5", "lenet5_modern",
                         "translation", "vit_cifar")
NEEDS_DATA = {"lenet5.ipynb": "data_dir", "alexnet_fig1.ipynb": "cifar_dir", "resnet_table6.ipynb": "cifar_dir",
              "vit.ipynb": "cifar_dir"}


def test_there_is_a_notebook_per_paper_table():
    assert NOTEBOOKS == ["alexnet_fig1.ipynb", "lecun1989.ipynb", "lenet5.ipynb", "resnet_table6.ipynb",
                         "translation_ladder.ipynb", "vit.ipynb"]
    sources = "".join(open(os.path.join(REPO, "notebooks", name)).read() for name in NOTEBOOKS)
    for config in SMOKE_RUN_BY_NOTEBOOK:
        assert f"configs/{config}.py" in sources


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_headless_in_smoke_mode(name, tmp_path, monkeypatch, request):
    if name in NEEDS_DATA:
        monkeypatch.setenv("JAX_CLASSICS_DATA_DIR", request.getfixturevalue(NEEDS_DATA[name]))
    monkeypatch.setenv("JAX_CLASSICS_NOTEBOOK_RUNS", str(tmp_path))
    monkeypatch.setenv("XLA_FLAGS", "--xla_force_host_platform_device_count=1")  # the runs' processes
    notebook = nbformat.read(os.path.join(REPO, "notebooks", name), as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": os.path.join(REPO, "notebooks")}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    tables = [o["data"]["text/markdown"] for o in outputs if "text/markdown" in o.get("data", {})]
    assert tables and all(t.startswith("| ") for t in tables)
    figures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert figures  # the training curves
    assert any(os.path.exists(os.path.join(tmp_path, d, "summary.json")) for d in os.listdir(tmp_path)) or any(
        os.path.exists(os.path.join(root, "summary.json")) for root, _, _ in os.walk(tmp_path))
