"""The four teaching notebooks in demos/: in sync with demos/notebooks.py, and each runs top to
bottom on the default model without an error."""
import sys
from pathlib import Path

import pytest

DEMOS = Path(__file__).resolve().parents[1] / "demos"
nbformat = pytest.importorskip("nbformat", reason="the notebook tests need nbformat and nbclient (the dev extra)")
nbclient = pytest.importorskip("nbclient", reason="the notebook tests need nbclient (the dev extra)")
sys.path.insert(0, str(DEMOS))
import notebooks  # noqa: E402

NAMES = sorted(notebooks.NOTEBOOKS)


def test_the_notebooks_are_the_ones_the_script_writes():
    assert sorted(p.name for p in DEMOS.glob("*.ipynb")) == NAMES
    for name in NAMES:
        on_disk = nbformat.read(DEMOS / name, as_version=4)
        assert on_disk == notebooks.notebook(notebooks.NOTEBOOKS[name]), f"{name}: run python demos/notebooks.py"


@pytest.mark.parametrize("name", NAMES)
def test_each_notebook_runs_top_to_bottom(name, tmp_path):
    pytest.importorskip("ipykernel", reason="running a notebook needs a Python kernel (ipykernel, the dev extra)")
    nb = nbformat.read(DEMOS / name, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()                                   # raises CellExecutionError on any error
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs) or name.startswith("1_")
