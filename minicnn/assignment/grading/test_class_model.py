"""Class model visualization (minicnn/viz/class_model.py): regularized_step against reference
arrays, under each preset of Yosinski et al.'s Table 1 and Simonyan's plain ascent, at a step
with and without the blur."""
import pytest

from grading import assert_matches, mistakes, reference
from minicnn.viz.class_model import PRESETS, regularized_step

REF = reference("class-model")
RUNS = [(name, it) for name in ("yosinski1", "yosinski2", "yosinski3", "yosinski4", "simonyan") for it in (0, 1)]


@pytest.mark.parametrize("run", RUNS, ids=[f"class-model: {name}, step {it}" for name, it in RUNS])
def test_regularized_step(run):
    name, it = run
    key = f"{name} step {it}"
    assert_matches("class-model", f"regularized_step(p, g, 0.5, PRESETS[{name!r}], {it}) on p and g of shape "
                   f"{REF['p'].shape}", regularized_step(REF["p"].copy(), REF["g"], 0.5, PRESETS[name], it), REF[key],
                   mistakes(REF, key), atol=1e-9)
