"""Every backward pass against centered differences of its forward pass, in float64, over odd
sizes, strides, padding, ceil mode and non-square kernels (the configurations of
`python -m minicnn gradcheck`). A failure names the configuration, each input's relative
error, and the entry where your gradient and the numerical one differ most. The ReLU rules
that are not gradients, and max pooling's ties, are compared with reference arrays."""
import pytest

from grading import assert_matches, chosen_parts, mistakes, needs_im2col, reference
from minicnn.gradcheck import assert_backward, cases

# which part of the assignment each configuration tests: the Gram matrix's backward (and the
# style loss, which runs it) is the gram part's, or the style part's where the copy has it
STYLE = "style" if "style" in chosen_parts() else "gram"
PART = {"conv": "conv", "relu": "relu", "maxpool": "maxpool", "avgpool": "avgpool", "linear": "linear",
        "concat": "concat", "dropout": "dropout", "softmax": "softmax", "gram": STYLE, "style_loss": STYLE,
        "content_loss": "style", "tv_loss": "style"}
CASES = [c for c in cases() if c.layer in PART]


@pytest.mark.parametrize("case", CASES, ids=[f"{PART[c.layer]}: {c.layer} {c.config}" for c in CASES])
def test_backward(case):
    if case.layer in ("conv", "maxpool", "avgpool"):
        needs_im2col()
    assert_backward(case.forward, case.backward, case.inputs, config=f"{case.layer} {case.config}")


RELU = reference("relu")


@pytest.mark.parametrize("mode", ["backprop", "deconvnet", "guided"],
                         ids=["relu: backprop rule", "relu: deconvnet rule", "relu: guided rule"])
def test_relu_rules(mode):
    """The deconvnet and guided backprop rules are not gradients of anything: they are checked
    against reference arrays (on an input with zeros, where the ReLU's derivative is 0)."""
    from minicnn.layers import relu_backward, relu_forward
    _, cache = relu_forward(RELU["x"])
    others = [(f"that is the {other} rule, not the {mode} rule", RELU[other])
              for other in ("backprop", "deconvnet", "guided") if other != mode]
    assert_matches("relu", f"relu_backward(mode={mode!r}) on x and dout of shape {RELU['x'].shape}",
                   relu_backward(RELU["dout"], cache, mode=mode), RELU[mode], others)


MAXPOOL = reference("maxpool")
TIES = [((2, 2, 6, 6), 2, 2, 0, False), ((1, 3, 7, 7), 3, 2, 1, True), ((1, 2, 5, 6), 3, 1, 0, False)]


@pytest.mark.parametrize("g", range(len(TIES)), ids=[f"maxpool: ties, x {'x'.join(map(str, t[0]))} size {t[1]} "
                                                     f"stride {t[2]} pad {t[3]}{' ceil' * t[4]}" for t in TIES])
def test_maxpool_ties(g):
    """Where several inputs share a window's maximum, the gradient goes to the first of them in
    row-major order (maxpool.py's docstring); the inputs are small whole numbers, full of ties."""
    from minicnn.layers import maxpool_backward, maxpool_forward
    needs_im2col()
    shape, size, stride, pad, ceil = TIES[g]
    _, cache = maxpool_forward(MAXPOOL[f"{g}/x"], size, stride, pad, ceil)
    assert_matches("maxpool", f"maxpool_backward with ties, x {shape}, size {size}, stride {stride}, pad {pad}, "
                   f"ceil mode {ceil}", maxpool_backward(MAXPOOL[f"{g}/dout"], cache), MAXPOOL[f"{g}/dx"],
                   mistakes(MAXPOOL, str(g)))
