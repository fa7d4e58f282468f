"""The arrays a student's copy is graded against: minicnn's own functions, run here on fixed
inputs, saved in the copy as tests/reference/PART.npz. Arrays only: the copy holds no code of
an answer. Where a common mistake is known, what it gives on the same inputs is saved too
(under "mistake: ..."), so that a failing test can say which mistake it is.

Each function returns {name: array}; the grading tests (grading/) read the same names.
"""
import io
from dataclasses import replace

import numpy as np

# (x shape, kh, kw, stride, pad, output size): odd sizes, strides, padding, a window that
# overhangs the bottom-right edge (ceil-mode pooling), a non-square kernel
IM2COL_GEOMETRIES = [((2, 3, 7, 7), 3, 3, (1, 1), (1, 1), (7, 7)),
                     ((1, 2, 9, 7), 3, 3, (2, 2), (1, 1), (5, 4)),
                     ((1, 2, 7, 7), 3, 3, (2, 2), (0, 0), (4, 4)),
                     ((2, 2, 8, 9), 3, 5, (2, 1), (0, 2), (3, 9)),
                     ((1, 1, 5, 5), 1, 1, (1, 1), (0, 0), (5, 5))]

# max pooling on inputs with many ties (small whole numbers): (N, C, H, W), size, stride, pad, ceil
TIE_POOLS = [((2, 2, 6, 6), 2, 2, 0, False), ((1, 3, 7, 7), 3, 2, 1, True), ((1, 2, 5, 6), 3, 1, 0, False)]


def im2col():
    from ..im2col import reference
    out = {}
    for g, (shape, kh, kw, stride, pad, hw) in enumerate(IM2COL_GEOMETRIES):
        rng = np.random.RandomState(g)
        x = rng.randn(*shape)
        cols = rng.randn(shape[0], shape[1] * kh * kw, hw[0] * hw[1])
        out[f"{g}/x"], out[f"{g}/cols"] = x, cols
        for fill in (0.0, -np.inf):
            out[f"{g}/im2col fill {fill}"] = reference.im2col(x, kh, kw, stride, pad, hw, fill)
        out[f"{g}/col2im"] = reference.col2im(cols, shape, kh, kw, stride, pad, hw)
        # mistakes: the padding filled with 0 whatever ``fill`` says; the rows in (i, j, c) order
        out[f"{g}/mistake: padding read as 0, not fill"] = reference.im2col(x, kh, kw, stride, pad, hw, 0.0)
        C = shape[1]
        out[f"{g}/mistake: rows ordered (i, j, c), not (c, i, j)"] = out[f"{g}/im2col fill 0.0"].reshape(
            shape[0], C, kh * kw, -1).transpose(0, 2, 1, 3).reshape(shape[0], C * kh * kw, -1)
        out[f"{g}/mistake: overlapping windows overwrite instead of adding up"] = _col2im_overwriting(
            cols, shape, kh, kw, stride, pad, hw)
    return out


def _col2im_overwriting(cols, shape, kh, kw, stride, pad, hw):
    """col2im with = instead of += across kernel offsets: the mistake, for its message."""
    from ..im2col.reference import _padded_extent
    N, C, H, W = shape
    (sh, sw), (ph, pw), (Ho, Wo) = stride, pad, hw
    dxp = np.zeros((N, C, _padded_extent(H, kh, sh, ph, Ho), _padded_extent(W, kw, sw, pw, Wo)))
    c = cols.reshape(N, C, kh, kw, Ho, Wo)
    for i in range(kh):
        for j in range(kw):
            dxp[:, :, i:i + sh * Ho:sh, j:j + sw * Wo:sw] = c[:, :, i, j]
    return dxp[:, :, ph:ph + H, pw:pw + W]


def relu():
    from ..layers import relu_backward, relu_forward
    rng = np.random.RandomState(0)
    x, dout = rng.randn(2, 3, 4, 5), rng.randn(2, 3, 4, 5)
    x[0, 0, 0, :2] = 0.0                                   # the derivative at 0 is taken to be 0
    _, cache = relu_forward(x)
    out = {"x": x, "dout": dout}
    for mode in ("backprop", "deconvnet", "guided"):
        out[mode] = relu_backward(dout, cache, mode=mode)
    return out


def maxpool():
    from ..im2col import reference
    from ..layers import maxpool_backward, maxpool_forward
    from ..layers.maxpool import _windows
    out = {}
    for g, (shape, size, stride, pad, ceil) in enumerate(TIE_POOLS):
        rng = np.random.RandomState(g)
        x = rng.randint(0, 3, shape).astype(np.float64)                # ties in almost every window
        y, cache = maxpool_forward(x, size, stride, pad, ceil)
        dout = rng.randn(*y.shape)
        out[f"{g}/x"], out[f"{g}/dout"], out[f"{g}/dx"] = x, dout, maxpool_backward(dout, cache)
        # the mistake: the gradient to every input equal to the window's max
        x_, _, k, s, p, hw = cache
        N, C, H, W = x.shape
        cols = _windows(x_, k, s, p, hw)
        every = (cols == y.reshape(N * C, 1, -1)) * dout.reshape(N * C, 1, -1)
        out[f"{g}/mistake: the gradient goes to every tied maximum, not the first"] = reference.col2im(
            every, (N * C, 1, H, W), k[0], k[1], s, p, hw).reshape(x.shape)
    return out


def optimizers():
    from ..train import optim
    w, g = np.array([1.0, -2.0, 0.5, 3.0]), np.array([0.5, -1.0, 0.0, 2.0])
    out = {"w": w, "g": g}

    def steps(update, **kw):
        w1, s = update(w, g, {}, **kw)
        w2, _ = update(w1, 2 * g, s, **kw)
        return np.stack([w1, w2])
    out["sgd momentum"] = steps(optim.sgd, lr=0.1, momentum=0.9)
    out["sgd nesterov weight decay"] = steps(optim.sgd, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)
    out["adam"] = steps(optim.adam, lr=0.01)
    out["adam weight decay"] = steps(optim.adam, lr=0.01, weight_decay=0.1)
    # mistakes, on the same steps
    out["sgd momentum/mistake: the velocity not kept from step to step"] = steps(optim.sgd, lr=0.1, momentum=0.0)
    out["adam/mistake: no bias correction"] = steps(_adam_uncorrected, lr=0.01)
    out["adam weight decay/mistake: weight decay added to the gradient (L2), not decoupled"] = steps(
        lambda w, g, s, lr: optim.adam(w, g + 0.1 * w, s, lr), lr=0.01)
    return out


def _adam_uncorrected(w, g, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    """Adam without its bias correction: the mistake, for its message."""
    m = beta1 * state.get("m", 0) + (1 - beta1) * g
    v = beta2 * state.get("v", 0) + (1 - beta2) * g * g
    return w - lr * m / (np.sqrt(v) + eps), {"m": m, "v": v}


def digits():
    """The default model in float64 (the copy ships it), and two of its sample images, their
    contrast lowered a little (to 90 %, inside the valid range) and noise of 1 % of the range
    added: a digit's flat background makes exact ties in max pooling, where no numerical
    gradient is the gradient. Of 20 noise draws, the one farthest from any ReLU or pooling kink."""
    from ..gradcheck import kink_distance
    from ..io.modelfile import load
    net = load(dtype=np.float64)
    low, high = (np.asarray(b, np.float64) for b in net.space.bounds())
    images = []
    for i in (0, 1):
        x0 = low + 0.9 * (net.space.preprocess(net.samples.images[i]).astype(np.float64) - low)
        draws = [x0 + (high - low) * (0.05 + 0.01 * np.random.RandomState(seed).randn(*x0.shape))
                 for seed in range(20)]
        images.append(max(draws, key=lambda x: (net.forward(x), kink_distance(net))[1]))
    return net, images


def saliency():
    from ..layers import softmax_forward
    from ..viz.saliency import class_gradient, saliency_map, score_gradient
    from ..viz.targets import score_layer
    net, (x, _) = digits()
    rng = np.random.RandomState(0)
    scores, g = rng.randn(2, 10), rng.randn(2, 3, 5, 6)
    p = softmax_forward(scores)[0]
    out = {"scores": scores, "g": g, "x": x}
    for objective in ("score", "logprob"):
        out[f"score_gradient {objective}"] = score_gradient(scores, 3, objective)
    prob = p * (np.eye(10)[3] - p[:, 3:4])                            # d p_3 / ds: the mistake
    out["score_gradient score/mistake: the probability's gradient, not the unnormalized score's"] = prob
    out["score_gradient logprob/mistake: the probability's gradient, not the log-probability's"] = prob
    out["score_gradient score/mistake: the log-probability's gradient, not the unnormalized score's"] = \
        out["score_gradient logprob"]
    for mode in ("backprop", "guided", "deconvnet"):
        out[f"class_gradient {mode}"] = class_gradient(net, x, 3, mode=mode)
    q = softmax_forward(net.forward(x, end=score_layer(net)))[0]
    out["class_gradient backprop/mistake: the probability's gradient, not the unnormalized score's"] = \
        net.backward(q * (np.eye(10)[3] - q[:, 3:4]))
    out["saliency_map"] = saliency_map(g)
    out["saliency_map/mistake: no absolute value (the largest signed gradient)"] = g.max(axis=1)
    out["saliency_map/mistake: the sum over the channels, not the largest"] = np.abs(g).sum(axis=1)
    return out


def fooling():
    from ..viz import adversarial as A
    net, (x, _) = digits()
    out = {"x": x}
    for toward, name in ((True, "toward"), (False, "away")):
        out[f"sign_step {name}"] = A.sign_step(net, x, 3, 2.0, toward=toward)
    unit, low, high = (np.asarray(a) for a in A.image_step.pixel_units(net.space))
    g = A.class_gradient(net, x, 3, "logprob")
    out["sign_step toward/mistake: the gradient itself, not its sign"] = np.clip(x + 2.0 * unit * g, low, high)
    out["sign_step toward/mistake: not clipped to valid pixels"] = x + 2.0 * unit * np.sign(g)
    out["sign_step toward/mistake: away from the class, not toward it"] = out["sign_step away"]
    out["sign_step away/mistake: toward the class, not away from it"] = out["sign_step toward"]
    image, steps = A.fool(net, x, 3, 1.0, 200)
    out["fool image"], out["fool steps"] = image, np.array(steps)
    return out


def class_model():
    from ..viz.class_model import PRESETS, regularized_step
    rng = np.random.RandomState(0)
    p, g = rng.randn(1, 3, 16, 16), rng.randn(1, 3, 16, 16)
    out = {"p": p, "g": g}
    for name in ("yosinski1", "yosinski2", "yosinski3", "yosinski4", "simonyan"):
        for it in (0, 1):
            out[f"{name} step {it}"] = regularized_step(p, g, 0.5, PRESETS[name], it)
            ascent = PRESETS[name]
            if ascent.decay:
                out[f"{name} step {it}/mistake: no L2 decay"] = regularized_step(p, g, 0.5, replace(ascent, decay=0.0), it)
            if ascent.blur_every > 1 and it % ascent.blur_every:
                out[f"{name} step {it}/mistake: the blur at every step, not every blur_every steps"] = \
                    regularized_step(p, g, 0.5, ascent, 0)
    return out


def deepdream():
    from ..objectives import l2_activation
    from ..viz.deepdream import make_step
    from ..viz.image_step import pixel_units
    net, (x, _) = digits()
    step = np.asarray(pixel_units(net.space)[0])
    p = x / step                                          # pixel-unit offsets from the mean image
    out = {"p": p}
    for jitter in (0, 2):
        new, value = make_step(net, p, step, "relu2_1", l2_activation, 1.5, jitter, np.random.RandomState(0))
        out[f"jitter {jitter}"], out[f"jitter {jitter} value"] = new, np.asarray(value)
    # the mistakes, on the same draws: the jitter kept; the raw gradient as the step
    oy, ox = np.random.RandomState(0).randint(-2, 3, size=2)
    unrolled, _ = make_step(net, np.roll(p, (oy, ox), axis=(2, 3)), step, "relu2_1", l2_activation, 1.5, 0, None)
    out["jitter 2/mistake: the jitter not undone"] = unrolled
    from ..viz.image_step import gradient
    _, g = gradient(net, p, l2_activation, "relu2_1", step)
    out["jitter 0/mistake: the step not normalized by the mean of |g|"] = p + 1.5 * g
    return out


def style():
    from .. import objectives as O
    rng = np.random.RandomState(0)
    f, target, dG = rng.randn(2, 3, 4, 5), rng.randn(2, 3, 4, 5), rng.randn(2, 3, 3)
    out = {"f": f, "target": target, "dG": dG}
    out["content_loss value"], out["content_loss gradient"] = (np.asarray(v) for v in O.content_loss(f, target))
    out["content_loss value/mistake: without the 1/2"] = 2 * out["content_loss value"]
    G, cache = O.gram_forward(f)
    out["gram_forward"], out["gram_backward"] = G, O.gram_backward(dG, cache)
    out["gram_forward/mistake: divided by the map's size H W (style_loss divides)"] = G / 20
    A = O.gram_forward(target)[0]
    out["style_loss value"], out["style_loss gradient"] = (np.asarray(v) for v in O.style_loss(f, A))
    out["style_loss value/mistake: not divided by 4 C^2 (H W)^2"] = ((G - A) ** 2).sum()
    for beta in (2.0, 1.5):
        out[f"tv_loss {beta} value"], out[f"tv_loss {beta} gradient"] = (np.asarray(v) for v in O.tv_loss(f, beta))
    return out


def occlusion():
    from ..viz.occlusion import occlude
    from ..viz.targets import probabilities
    net, (x, _) = digits()
    c = int(probabilities(net, x)[0].argmax())
    out = {"x": x, "c": np.array(c)}

    def measure(xs):
        return (probabilities(net, xs)[:, c],)
    out["map"] = occlude(x, 7, 3, measure, batch=5)[2][0]
    low = np.asarray(net.space.bounds()[0], np.float64)
    black = []
    for t in range(0, 28 - 7 + 1, 3):
        for l in range(0, 28 - 7 + 1, 3):
            xs = x.copy()
            xs[:, :, t:t + 7, l:l + 7] = low
            black.append(measure(xs)[0][0])
    out["map/mistake: the square filled with black, not the mean colour (0 in input space)"] = \
        np.array(black).reshape(out["map"].shape)
    out["map/mistake: the last row and column of positions left out"] = out["map"][:-1, :-1]
    return out


def inversion():
    from ..viz.image_step import pixel_units
    from ..viz.inversion import inversion_objective
    net, (x, _) = digits()
    step = np.asarray(pixel_units(net.space)[0])
    target = net.forward(x, end="relu2_1").copy()
    norm2 = float((target * target).sum())
    p = np.random.RandomState(0).randn(*x.shape) * 30
    settings = dict(sigma=40.0, alpha=6.0, lambda_alpha=1e-9, beta=2.0, lambda_tv=0.5)
    out = {"x": x, "p": p}
    value, grad = inversion_objective(net, p, step, "relu2_1", target, norm2, **settings)
    out["value"], out["gradient"] = np.asarray(value), grad
    code = (value - _prior(p, settings)) * norm2                              # |Phi(p) - Phi_0|^2
    out["value/mistake: the code's error not divided by |Phi_0|^2"] = np.asarray(code + _prior(p, settings))
    out["value/mistake: the priors not divided by 2 sigma^2"] = np.asarray(
        value - _prior(p, settings) + _prior(p, settings) * 2 * settings["sigma"] ** 2)
    return out


def _prior(p, s):
    from ..objectives import alpha_norm, tv_loss
    return (s["lambda_alpha"] * alpha_norm(p, s["alpha"])[0] + s["lambda_tv"] * tv_loss(p, s["beta"])[0]) / (
        2 * s["sigma"] ** 2)


def grad_cam():
    from ..viz.gradcam import channel_weights, gradcam_map, gradcam_pp_map, layer_and_gradient
    net, (x, _) = digits()
    rng = np.random.RandomState(0)
    A, g = np.abs(rng.randn(4, 5, 6)), rng.randn(4, 5, 6)
    out = {"x": x, "A": A, "g": g, "weights": channel_weights(g), "gradcam": gradcam_map(A, g),
           "gradcam++": gradcam_pp_map(A, g)}
    out["gradcam/mistake: no ReLU"] = np.tensordot(g.mean(axis=(1, 2)), A, axes=1)
    out["gradcam/mistake: the gradients summed over positions, not averaged"] = gradcam_map(A, g) * 30
    out["gradcam/mistake: gradient times activation at each position, not channel weights"] = np.maximum(
        (g * A).sum(axis=0), 0)
    out["layer A"], out["layer g"] = layer_and_gradient(net, x, 3, "relu2_2")
    return out


def integrated_gradients():
    from ..viz.integrated import path_average, quadrature
    net, (x, _) = digits()
    out = {"x": x}
    for rule in ("left", "right", "middle", "trapezoid", "gauss-legendre"):
        for m in (4, 5):
            a, w = quadrature(rule, m)
            out[f"{rule} {m} points"], out[f"{rule} {m} weights"] = a, w
    k = np.arange(5, dtype=np.float64)
    out["middle 5 points/mistake: the points at k/m, not the middles (k + 1/2)/m"] = k / 5
    out["trapezoid 5 weights/mistake: the end weights not halved"] = np.full(6, 1 / 5)
    t, w = np.polynomial.legendre.leggauss(5)
    out["gauss-legendre 5 points/mistake: Legendre's points on [-1, 1], not moved to [0, 1]"] = t
    x0 = np.full_like(x, float(np.asarray(net.space.bounds()[0]).ravel()[0]))      # black
    out["x0"] = x0
    a, w = quadrature("trapezoid", 16)
    out["path_average trapezoid 16"] = path_average(net, x, 0, x0, a, w, batch=5)
    out["path_average trapezoid 16/mistake: the gradients summed, not weighted by the rule"] = path_average(
        net, x, 0, x0, a, np.ones_like(w), batch=5)
    return out


PARTS = {"im2col": im2col, "relu": relu, "maxpool": maxpool, "optimizers": optimizers, "saliency": saliency,
         "fooling": fooling, "class-model": class_model, "deepdream": deepdream, "style": style,
         "occlusion": occlusion, "inversion": inversion, "grad-cam": grad_cam,
         "integrated-gradients": integrated_gradients}


def npz(part):
    """The part's arrays as the bytes of an .npz file."""
    buffer = io.BytesIO()
    np.savez(buffer, **PARTS[part]())
    return buffer.getvalue()
