"""Numerical gradient checks: the same functions the tests and ``minicnn gradcheck`` use.

A backward pass is checked by comparing it with centered differences of the forward pass:

    d/dx_i sum(f(x) * dout)  ~=  (sum(f(x + h e_i) * dout) - sum(f(x - h e_i) * dout)) / 2h

Weighting by a random upstream gradient ``dout`` checks the whole Jacobian-vector product that
backward computes, not just the gradient of a sum. In float64 with h = 1e-5 a correct backward
agrees to about 1e-9 relative; an indexing mistake gives errors near 1.

ReLU and max pooling are not differentiable at a kink (x == 0) or a tie (two equal maxima), and
a difference quotient straddling one is meaningless, so inputs are first moved away from them.
"""
from dataclasses import dataclass

import numpy as np

from .backend import get_array_module, to_device, to_numpy
from . import layers as L

THRESHOLD = 1e-7     # the largest relative error accepted in float64


def numerical_gradient(f, x, dout=None, h=1e-5, entries=None):
    """Centered-difference gradient of sum(f(x) * dout) with respect to x (or of f(x) if dout is None).

    f: function of x returning an array shaped like dout (or a scalar). x is changed in place
    one entry at a time and restored; f is called 2 * x.size times. Returns an array shaped like x.
    entries: flat indices to probe (the others stay 0), for a spot check of a large x.
    """
    xp = get_array_module(x)
    grad = xp.zeros_like(x)
    if not x.flags.c_contiguous:
        raise ValueError("numerical_gradient: x must be C-contiguous (it is changed through a flat view)")
    flat, gflat = x.reshape(-1), grad.reshape(-1)

    def value():
        out = f(x)
        return float(out) if dout is None else float((out * dout).sum())

    for i in (range(flat.size) if entries is None else entries):
        old = flat[i].item()
        flat[i] = old + h
        plus = value()
        flat[i] = old - h
        minus = value()
        flat[i] = old
        gflat[i] = (plus - minus) / (2 * h)
    return grad


def rel_error(a, b):
    """max |a - b| / (max |a| + max |b|): the worst error measured against the gradient's scale.

    Unlike an entry-by-entry |a - b| / (|a| + |b|), a correct but tiny entry (1e-12 vs 1.1e-12)
    does not count as a failure; a single wrong entry still shows at the scale of the largest.
    Returns 0.0 when both are all zeros.
    """
    a, b = to_numpy(a).astype(np.float64), to_numpy(b).astype(np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error: shapes differ, {a.shape} vs {b.shape}")
    scale = np.abs(a).max(initial=0.0) + np.abs(b).max(initial=0.0)
    return 0.0 if scale == 0 else float(np.abs(a - b).max() / scale)


def away_from_kinks(x, margin=1e-2):
    """x with every entry closer than ``margin`` to 0 pushed out to +-margin (keeping its sign)."""
    xp = get_array_module(x)
    near = xp.abs(x) < margin
    return xp.where(near, xp.where(x < 0, -margin, margin), x).astype(x.dtype)


def distinct_values(rng, shape, spacing=1e-2, dtype=np.float64):
    """Random array whose entries are all at least ``spacing`` apart (no ties for max pooling)."""
    n = int(np.prod(shape))
    return ((rng.permutation(n) - n / 2) * spacing).reshape(shape).astype(dtype)


# ---- one forward/backward pair --------------------------------------------------------------

def _compare(forward, backward, inputs, h, seed, config=""):
    """{input name: (analytic gradient, numerical gradient)} for a random upstream gradient.
    Runs on the current device, always in float64 (the inputs are moved and cast first)."""
    inputs = {k: to_device(v, np.float64) for k, v in inputs.items()}
    out, cache = forward(**inputs)
    dout = to_device(np.random.RandomState(seed).randn(*out.shape), np.float64)
    analytic = backward(dout, cache)
    for name, value in inputs.items():       # what came back, checked before it is compared
        if not isinstance(analytic, dict) or name not in analytic:
            raise AssertionError(f"no gradient d{name} came back for {config or 'this configuration'}")
        shape = getattr(analytic[name], "shape", None)
        if shape != value.shape:
            got = f"shape {shape}" if shape is not None else f"a {type(analytic[name]).__name__}"
            raise AssertionError(f"d{name} should have {name}'s shape {value.shape}, but it has {got} "
                                 f"(for {config or 'this configuration'})")
    pairs = {}
    for name, value in inputs.items():
        def f(v, name=name):
            return forward(**{**inputs, name: v})[0]
        pairs[name] = (analytic[name], numerical_gradient(f, value, dout, h))
    return pairs


def backward_errors(forward, backward, inputs, h=1e-5, seed=0):
    """{input name: relative error} of a layer's backward against centered differences.

    forward(**inputs) -> (out, cache); backward(dout, cache) -> {input name: gradient}, for a
    random upstream gradient dout drawn from ``seed``. See rel_error for the measure.
    """
    return {name: rel_error(a, n) for name, (a, n) in _compare(forward, backward, inputs, h, seed).items()}


def assert_backward(forward, backward, inputs, config="", h=1e-5, threshold=THRESHOLD, seed=0):
    """Assert that backward is the gradient of forward, for every input, to ``threshold``.

    The same contract as backward_errors. On failure the message says everything needed to
    reproduce and locate the mistake: the configuration, each input's shape and error, and the
    entry where analytic and numerical gradients differ most, with both values.
    """
    report, failed = [], False
    for name, (a, n) in _compare(forward, backward, inputs, h, seed, config).items():
        a, n = to_numpy(a).astype(np.float64), to_numpy(n).astype(np.float64)
        err = rel_error(a, n)
        worst = np.unravel_index(int(np.abs(a - n).argmax()), a.shape) if a.size else ()
        report.append(f"  d{name}: shape {a.shape}, relative error {err:.2e}"
                      + (f"; worst at {tuple(int(i) for i in worst)}: backward {a[worst]:.6g}, "
                         f"numerical {n[worst]:.6g}, largest |gradient| {np.abs(n).max():.3g}" if a.size else ""))
        failed |= not err <= threshold
    if failed:
        raise AssertionError(f"backward disagrees with numerical gradients (threshold {threshold:.0e}, "
                             f"h {h:g}, seed {seed}) for {config or 'this configuration'}:\n" + "\n".join(report))


# ---- whole networks ------------------------------------------------------------------------

def kink_distance(net):
    """How close the last forward came to a point where the network is not differentiable:
    the smallest |input| of any ReLU and the smallest gap between the two largest values of any
    max-pooling window. A numerical check with step h is only meaningful if this exceeds h.
    """
    from .im2col import reference
    from .layers.pool_common import pool_geometry
    nearest = np.inf
    for name, spec in net.layers.items():
        if name not in net.outputs:
            continue
        x = to_numpy(net.outputs[spec["inputs"][0]])
        if spec["type"] == "relu":
            nearest = min(nearest, float(np.abs(x).min()))
        elif spec["type"] == "maxpool":
            k, s, p, out_hw = pool_geometry("kink_distance", x, spec["size"], spec["stride"],
                                            spec["pad"], spec["ceil_mode"])
            N, C, H, W = x.shape
            cols = reference.im2col(x.reshape(N * C, 1, H, W), k[0], k[1], s, p, out_hw, fill=-np.inf)
            top2 = np.sort(cols, axis=1)[:, -2:]
            gaps = top2[:, 1] - top2[:, 0]          # inf where a window holds a single real pixel
            # Zeros from ReLUs whose input is away from the kink stay exactly zero under a small
            # step, so a tie between two of them cannot flip: leave those windows out.
            gaps = gaps[(top2[:, 1] != 0) | (top2[:, 0] != 0)]
            nearest = min(nearest, float(gaps.min(initial=np.inf)))
    return nearest


def check_net(net, x, end=None, params=True, h=1e-5, seed=0, dropout_seed=None, entries=None):
    """Relative errors of net.backward against numerical gradients of a float64 net.

    Checks the gradient with respect to the input x and, with params=True, every parameter.
    Returns {"data": error, "conv1/W": error, ...}. Raises ValueError if x puts a ReLU or a
    max-pooling window closer than 10 h to its kink (choose another x).
    dropout_seed: an int turns dropout on, with the same masks in every forward pass.
    entries: check only this many random entries of each array (a spot check of a large net).
    """
    if net.dtype != np.float64:
        raise ValueError("check_net: use a float64 net (net.astype(np.float64)); float32 is too coarse")
    x = to_device(x, np.float64)
    rng = np.random.RandomState(seed)
    train = dropout_seed is not None

    def forward(v):
        return net.forward(v, end=end, train=train, seed=dropout_seed)

    def probe(a):
        return None if entries is None or entries >= a.size else rng.choice(a.size, entries, replace=False)

    def compare(analytic, numerical, where):
        """The relative error over the probed entries only."""
        if where is None:
            return rel_error(analytic, numerical)
        return rel_error(to_numpy(analytic).reshape(-1)[where], to_numpy(numerical).reshape(-1)[where])

    out = forward(x)
    nearest = kink_distance(net)
    if nearest < 10 * h:
        raise ValueError(f"check_net: this input lies within {nearest:.1e} of a ReLU kink "
                         "or a pooling tie; numerical gradients would be meaningless there")
    dout = to_device(rng.randn(*out.shape), np.float64)
    dx = net.backward(dout, params=params)
    analytic = {"data": dx}
    if params:
        analytic.update({f"{n}/{k}": g for n, gs in net.grads.items() for k, g in gs.items()})
    where = probe(x)
    errors = {"data": compare(dx, numerical_gradient(forward, x, dout, h, where), where)}
    if params:
        for name, ps in net.params.items():
            for key, value in ps.items():
                where = probe(value)
                num = numerical_gradient(lambda _: forward(x), value, dout, h, where)
                errors[f"{name}/{key}"] = compare(analytic[f"{name}/{key}"], num, where)
    return errors


# ---- the table printed by `minicnn gradcheck` ----------------------------------------------

@dataclass
class Case:
    """A layer, a configuration, its inputs and how to run it.

    forward(**inputs) -> (out, cache); backward(dout, cache) -> {input name: gradient}.
    """
    layer: str
    config: str
    inputs: dict
    forward: object
    backward: object


def check_case(case, seed=0, h=1e-5):
    """{input name: relative error between backward's gradient and the numerical one}."""
    return backward_errors(case.forward, case.backward, case.inputs, h, seed)


def named(fn, names, result):
    """A backward pass's tuple as {input name: gradient}; a wrong count is refused by a message
    that says what was expected (conv_backward returns dx, dw, db)."""
    expected = ", ".join(f"d{n}" for n in names)
    if not isinstance(result, (tuple, list)) or len(result) != len(names):
        got = ("None" if result is None else f"{len(result)} values" if isinstance(result, (tuple, list))
               else f"one {type(result).__name__}")
        raise AssertionError(f"{fn} returned {got}; it should return {len(names)}: ({expected})")
    return dict(zip(names, result))


def _conv(rng, N, C, H, W, F, k, stride, pad):
    kh, kw = (k, k) if isinstance(k, int) else k
    inputs = {"x": rng.randn(N, C, H, W), "w": rng.randn(F, C, kh, kw), "b": rng.randn(F)}
    return Case("conv", f"x {N}x{C}x{H}x{W}  w {F}x{C}x{kh}x{kw}  stride {stride} pad {pad}", inputs,
                lambda x, w, b: L.conv_forward(x, w, b, stride, pad),
                lambda d, c: named("conv_backward", "xwb", L.conv_backward(d, c)))


def _relu(rng, shape, mode):
    x = away_from_kinks(rng.randn(*shape))
    return Case("relu", f"x {'x'.join(map(str, shape))}  mode {mode}", {"x": x}, L.relu_forward,
                lambda d, c: {"x": L.relu_backward(d, c, mode)})


def _pool(rng, kind, N, C, H, W, size, stride, pad, ceil_mode):
    fwd, bwd = {"max": (L.maxpool_forward, L.maxpool_backward),
                "avg": (L.avgpool_forward, L.avgpool_backward)}[kind]
    x = distinct_values(rng, (N, C, H, W)) if kind == "max" else rng.randn(N, C, H, W)
    what = "global" if size is None else f"size {size} stride {stride} pad {pad}" + (" ceil" if ceil_mode else "")
    return Case(f"{kind}pool", f"x {N}x{C}x{H}x{W}  {what}", {"x": x},
                lambda x: fwd(x, size, stride, pad, ceil_mode) if size else fwd(x),
                lambda d, c: {"x": bwd(d, c)})


def _linear(rng, x_shape, M):
    D = int(np.prod(x_shape[1:]))
    inputs = {"x": rng.randn(*x_shape), "w": rng.randn(M, D), "b": rng.randn(M)}
    return Case("linear", f"x {'x'.join(map(str, x_shape))}  w {M}x{D}", inputs, L.linear_forward,
                lambda d, c: named("linear_backward", "xwb", L.linear_backward(d, c)))


def _concat(rng, channels, H, W):
    inputs = {f"x{i}": rng.randn(2, c, H, W) for i, c in enumerate(channels)}
    return Case("concat", f"channels {'+'.join(map(str, channels))}  {H}x{W}", inputs,
                lambda **xs: L.concat_forward(list(xs.values())),
                lambda d, c: {f"x{i}": g for i, g in enumerate(L.concat_backward(d, c))})


def _dropout(rng, shape, p):
    return Case("dropout", f"x {'x'.join(map(str, shape))}  p {p} train", {"x": rng.randn(*shape)},
                lambda x: L.dropout_forward(x, p, train=True, seed=7),
                lambda d, c: {"x": L.dropout_backward(d, c)})


def _softmax(rng, shape):
    return Case("softmax", f"x {'x'.join(map(str, shape))}", {"x": rng.randn(*shape)},
                L.softmax_forward, lambda d, c: {"x": L.softmax_backward(d, c)})


def _softmax_loss(rng, N, K):
    y = rng.randint(K, size=N)

    def forward(scores):
        loss, dscores = L.softmax_loss(scores, y)
        return get_array_module(scores).asarray(loss), dscores
    return Case("softmax_loss", f"scores {N}x{K}", {"scores": rng.randn(N, K)}, forward,
                lambda d, dscores: {"scores": dscores * d})


def _objective(rng, name, shape, **kw):
    """An objective (value, gradient) of one array, as a Case: forward gives the value as an array."""
    from . import objectives as O
    x = rng.randn(*shape)
    other = rng.randn(*shape) if name in ("content_loss", "style_loss") else None
    fn = getattr(O, name)

    def forward(x):
        xp = get_array_module(x)                       # the targets go where x is (the GPU, say)
        # style_loss's target Gram matrix is made here, not before: in an assignment's copy
        # gram_forward may not be written yet when the cases are listed
        others = () if other is None else (xp.asarray(other),) if name == "content_loss" else (
            O.gram_forward(xp.asarray(other))[0],)
        value, grad = fn(x, *others, **kw)
        return xp.asarray(value), grad
    what = " ".join(f"{k} {v}" for k, v in kw.items())
    return Case(name, f"x {'x'.join(map(str, shape))}" + (f"  {what}" if what else ""), {"x": x}, forward,
                lambda d, grad: {"x": grad * d})


def _gram(rng, shape):
    from . import objectives as O
    return Case("gram", f"f {'x'.join(map(str, shape))}", {"f": rng.randn(*shape)}, O.gram_forward,
                lambda d, c: {"f": O.gram_backward(d, c)})


def cases(seed=0):
    """The configurations `minicnn gradcheck` runs: every layer, with odd sizes, strides, pads,
    ceil mode, 1x1 and non-square kernels, and every ReLU mode that is a gradient; then every
    objective (objectives.py)."""
    rng = np.random.RandomState(seed)
    return [
        _conv(rng, 2, 3, 7, 7, 4, 3, 1, 1),
        _conv(rng, 1, 2, 9, 7, 3, 3, 2, 1),
        _conv(rng, 2, 5, 6, 5, 4, 1, 1, 0),
        _conv(rng, 1, 3, 7, 7, 2, 1, 2, 0),
        _conv(rng, 2, 2, 8, 9, 3, (3, 5), (2, 1), (0, 2)),
        _conv(rng, 1, 2, 5, 5, 2, 5, 1, 2),
        _relu(rng, (2, 3, 5, 5), "backprop"),
        _pool(rng, "max", 2, 3, 8, 8, 2, 2, 0, False),
        _pool(rng, "max", 1, 2, 7, 7, 3, 2, 0, True),
        _pool(rng, "max", 2, 2, 9, 8, 3, 2, 1, True),
        _pool(rng, "max", 1, 3, 6, 7, 3, 1, 1, False),
        _pool(rng, "max", 1, 2, 7, 9, (2, 3), (1, 2), 0, True),
        _pool(rng, "avg", 2, 3, 8, 8, 2, 2, 0, False),
        _pool(rng, "avg", 1, 2, 7, 7, 3, 2, 1, True),
        _pool(rng, "avg", 2, 2, 9, 8, 3, 2, 0, True),
        _pool(rng, "avg", 2, 3, 5, 7, None, None, 0, False),
        _linear(rng, (3, 7), 5),
        _linear(rng, (2, 3, 4, 5), 6),
        _concat(rng, (2, 3, 1), 4, 5),
        _dropout(rng, (3, 4, 5), 0.4),
        _softmax(rng, (3, 7)),
        _softmax(rng, (2, 6, 1, 1)),
        _softmax_loss(rng, 5, 7),
        _objective(rng, "content_loss", (2, 3, 4, 5)),
        _gram(rng, (2, 3, 4, 6)),
        _objective(rng, "style_loss", (2, 3, 5, 4)),
        _objective(rng, "tv_loss", (2, 3, 5, 6), beta=2.0),
        _objective(rng, "tv_loss", (1, 2, 6, 5), beta=1.5),
        _objective(rng, "alpha_norm", (2, 3, 4, 4), alpha=6.0),
        _objective(rng, "l2_activation", (2, 3, 4, 5)),
        *_feature_vis(rng),
    ]


def _feature_vis(rng):
    """Feature visualization's steps (viz/param.py, viz/transforms.py, viz/feature_vis.py): the
    image parameterizations, the transforms, and the objectives with their diversity term."""
    from .images import CAFFE, ImageSpace
    from .viz import feature_vis as FV
    from .viz import param as P
    from .viz import transforms as T
    out = []
    for h, w in ((6, 8), (7, 5)):
        scale = P.fourier_scale(h, w)
        out.append(Case("fourier", f"{h}x{w}", {"spectrum": rng.randn(2, 3, 2, h, w // 2 + 1)},
                        lambda spectrum, scale=scale, hw=(h, w): P.fourier_forward(spectrum, scale, hw),
                        lambda d, c: {"spectrum": P.fourier_backward(d, c)}))
    out.append(Case("decorrelate", "x 2x3x4x5", {"t": rng.randn(2, 3, 4, 5)}, P.decorrelate_forward,
                    lambda d, c: {"t": P.decorrelate_backward(d, c)}))
    out.append(Case("sigmoid", "x 2x3x4x5", {"t": rng.randn(2, 3, 4, 5)}, P.sigmoid_forward,
                    lambda d, c: {"t": P.sigmoid_backward(d, c)}))
    for kind in P.PARAMS:
        param = P.Param(kind, ImageSpace(**CAFFE, size=(6, 7)))
        out.append(Case("image param", f"{kind}, BGR", {"p": rng.randn(*param.shape(2, (6, 7)))},
                        lambda p, param=param: param.forward(p, (6, 7)), lambda d, c, param=param: {"p": param.backward(d, c)}))
    out.append(Case("pad", "x 2x3x5x6 by 2", {"x": rng.randn(2, 3, 5, 6)}, lambda x: T.pad_forward(x, 2, 0.5),
                    lambda d, c: {"x": T.pad_backward(d, c)}))
    out.append(Case("crop", "x 2x3x7x6 to 4x3", {"x": rng.randn(2, 3, 7, 6)},
                    lambda x: T.crop_forward(x, 1, 2, (4, 3)), lambda d, c: {"x": T.crop_backward(d, c)}))
    for scale, degrees, hw in ((1.1, 7.0, (7, 6)), (0.9, -10.0, (9, 8))):
        grid = T.affine_grid((7, 6), hw, scale, degrees)
        out.append(Case("resample", f"7x6 -> {hw[0]}x{hw[1]}, scale {scale}, {degrees:g} degrees",
                        {"x": rng.randn(2, 3, 7, 6)}, lambda x, grid=grid: T.resample_forward(x, *grid),
                        lambda d, c: {"x": T.resample_backward(d, c)}))
    for name, objective in (("channel", FV.channel("f", 1)), ("neuron", FV.neuron("f", 2)),
                            ("direction", FV.direction("f", rng.randn(3))), ("diversity", FV.diversity("f")),
                            ("channel - 2 diversity", FV.channel("f", 0) - 2 * FV.diversity("f"))):
        def forward(f, objective=objective):
            value, grads = objective({"f": f})
            return get_array_module(f).asarray(value), grads["f"]
        out.append(Case("objective", name, {"f": rng.randn(3, 3, 4, 5)}, forward, lambda d, g: {"f": g * d}))
    l1 = FV.l1(rng.uniform(size=3))

    def l1_forward(u):
        value, grads = l1({FV.INPUT: u})
        return get_array_module(u).asarray(value), grads[FV.INPUT]
    out.append(Case("objective", "L1 to a colour (the image)", {"u": rng.randn(2, 3, 4, 5)}, l1_forward,
                    lambda d, g: {"u": g * d}))
    return out


def run(seed=0):
    """Check every case; return rows (layer, config, {input: error}) and whether all passed."""
    rows = [(c.layer, c.config, _written(check_case, c, seed + 1 + i)) for i, c in enumerate(cases(seed))]
    ok = all(e <= THRESHOLD for _, _, errors in rows if isinstance(errors, dict) for e in errors.values())
    return rows, ok


def _written(check, case, seed):
    """check(case, seed), or the name of the function it runs that is not written yet (in an
    assignment's copy the table shows what is written)."""
    try:
        return check(case, seed)
    except NotImplementedError as e:
        return str(e).split()[0] if str(e) else "?"


def format_table(rows):
    """The rows of run() as text: one line per configuration, the error of every gradient."""
    head = ["layer", "configuration", "relative errors (float64)", "ok"]
    body = []
    for layer, config, errors in rows:
        if isinstance(errors, str):
            body.append([layer, config, f"not written yet: {errors}", "-"])
            continue
        worst = max(errors.values())
        body.append([layer, config, "  ".join(f"d{k} {e:.1e}" for k, e in errors.items()),
                     "yes" if worst <= THRESHOLD else "FAIL"])
    widths = [max(len(r[i]) for r in [head] + body) for i in range(len(head))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in [head] + body]
    lines.insert(1, "-" * len(lines[0]))
    lines.append(f"threshold {THRESHOLD:.0e}. The deconvnet and guided ReLU rules are not gradients of "
                 "anything, so they have no row here; the tests check them against their definitions.")
    return "\n".join(lines)
