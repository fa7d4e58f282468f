"""The optimizers' first two steps (minicnn/train/optim.py) against reference arrays, and a
quadratic minimized."""
import numpy as np
import pytest

from grading import assert_matches, mistakes, reference
from minicnn.train import optim

REF = reference("optimizers")
RUNS = {"sgd momentum": (optim.sgd, dict(lr=0.1, momentum=0.9)),
        "sgd nesterov weight decay": (optim.sgd, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
        "adam": (optim.adam, dict(lr=0.01)),
        "adam weight decay": (optim.adam, dict(lr=0.01, weight_decay=0.1))}


@pytest.mark.parametrize("run", RUNS, ids=[f"optimizers: {r}" for r in RUNS])
def test_two_steps(run):
    """Step 1 from an empty state with gradient g, then step 2 with gradient 2 g."""
    update, settings = RUNS[run]
    w, g = REF["w"], REF["g"]
    w1, state = update(w, g, {}, **settings)
    w2, _ = update(w1, 2 * g, state, **settings)
    assert_matches("optimizers", f"{update.__name__}({', '.join(f'{k}={v}' for k, v in settings.items())}), "
                   f"two steps from w = {w.tolist()}, g = {g.tolist()}", np.stack([w1, w2]), REF[run],
                   mistakes(REF, run), atol=1e-12)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"], ids=["optimizers: sgd", "optimizers: adam"])
def test_a_quadratic_is_minimized(optimizer):
    """200 steps on 1/2 |w - 3|^2 end near w = 3."""
    w, state = np.zeros(4), {}
    for _ in range(200):
        w, state = optim.update(optimizer, w, w - 3.0, state, lr=0.1)
    assert np.allclose(w, 3.0, atol=1e-3), f"optimizers: {optimizer} ends at {w} after 200 steps on |w - 3|^2 / 2"
