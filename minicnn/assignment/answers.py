"""Where else minicnn writes a part's answer, and what a student's copy has instead.

A blanked function's body is not the only place its answer can be read: a module docstring
gives the formula, a fast kernel computes the same thing, the Winograd code computes a
convolution's dx. For each part of the assignment:

    EDITS         file -> [(text, replacement)]: docstring lines that state the answer
    REMOVED       file -> functions deleted from the copy (nothing in the copy calls them)
    STAND_INS     file -> a module that hands on the student's own function
    FINGERPRINTS  texts that give the answer away: no file of a copy that blanks the part may
                  hold one (tests/test_assignment.py checks, with every statement of the
                  blanked bodies)

Every text to edit must be found, so that a change to the package cannot slip past unnoticed.
"""

EDITS = {
    "conv": {
        "layers/conv.py": [
            ("The backward pass is two more products:\n"
             "    dcols = w^T @ dout   (then col2im adds the columns back onto the pixels -> dx)\n"
             "    dw    = dout @ cols^T\n", "The backward pass is yours to write (conv_backward).\n"),
            ("    R_in = x * (w'^T @ (R / z'))  with z' = conv_forward(x, w', b') for the rule's weights w'\n",
             "    (relevance.py)\n")],
        "fast/winograd/reference.py": [
            ("The gradient with respect to the input is itself a 3x3 stride-1 convolution: of dout, with\n"
             "each filter rotated by 180 degrees and the roles of input and output channels swapped, padded\n"
             "by 2 - pad. So the backward pass is the same algorithm again.\n", "")],
        "fast/winograd/cpu.py": [
            ("    (of g rotated by 180 degrees when ``rotated``, for the backward)", "    (not in this copy: ``rotated``)")],
        "fast/winograd/__init__.py": [
            ("rotated = cpu.rotated\n", ""), ("conv_backward_input = cpu.conv_backward_input\n", ""),
            (" (so that the backward's 2 - pad is a padding too)", "")],
    },
    "linear": {
        "layers/linear.py": [
            ("Backward: dx = dout @ w.\n", ""),
            ("Relevance (LRP, relevance.py): R_in = x * ((R / z') @ w'), z' = x w'^T + b' (the rule's w').\n",
             "Relevance (LRP): relevance.py.\n")],
    },
    "relu": {
        "layers/relu.py": [
            ("    backprop   dx = (x > 0) * dout               the true gradient: the forward mask\n"
             "    deconvnet  dx = (dout > 0) * dout            Zeiler & Fergus: ignores the forward mask,\n"
             "                                                 passes only positive upstream signal\n"
             "    guided     dx = (x > 0) * (dout > 0) * dout  Springenberg et al.: both masks at once\n",
             "    backprop   the true gradient of out = max(x, 0)\n"
             "    deconvnet  Zeiler & Fergus's rule (the lecture's \"backward pass of a deconvnet\")\n"
             "    guided     Springenberg et al.'s guided backpropagation\n")],
    },
    "softmax": {
        "layers/softmax.py": [
            ("Backward of the layer, for any upstream gradient g:  ds = p * (g - sum(g * p)).\n",
             "Backward of the layer, for any upstream gradient g: softmax_backward (yours to write).\n")],
    },
    "style": {
        "objectives.py": [
            ("1/2 sum (f - target)^2 over every entry; the gradient is f - target.",
             "1/2 sum (f - target)^2 over every entry, and its gradient.")],
    },
    "optimizers": {
        "train/optim.py": [
            ("    v = momentum * v - lr * (dw + wd * w)          SGD with momentum; Nesterov looks ahead:\n"
             "    w = w + v                                      w = w + momentum * v - lr * (dw + wd * w)\n"
             "\n"
             "    m = b1 m + (1 - b1) dw;  v = b2 v + (1 - b2) dw^2           Adam (Kingma & Ba 2015), with\n"
             "    w = w - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)   decoupled weight decay (AdamW),\n"
             "    w = w - lr * wd * w                                           applied after the step\n",
             "    SGD with momentum (the velocity starts at 0), or Nesterov's look-ahead; weight decay wd\n"
             "    adds wd * w to the gradient.\n"
             "    Adam (Kingma & Ba 2015, Algorithm 1, with its bias correction), with decoupled weight\n"
             "    decay (AdamW): w shrinks by lr * wd * w after the step.\n")],
    },
}

REMOVED = {
    "conv": {"fast/winograd/reference.py": ["conv_backward_input"],
             "fast/winograd/cpu.py": ["conv_backward_input", "rotated"]},
}

_IM2COL_STAND_IN = '''"""The fast {what} kernels that were here would give im2col and col2im away: in this copy
they are yours to write (im2col/reference.py), and this hands yours on."""
from .reference import col2im, im2col  # noqa: F401
'''
STAND_INS = {
    "im2col": {"im2col/cpu.py": _IM2COL_STAND_IN.format(what="CPU"),
               "im2col/cuda.py": _IM2COL_STAND_IN.format(what="CUDA")},
}

FINGERPRINTS = {
    "conv": ["w^T @ dout", "dout @ cols^T", "rotated by 180", "w.reshape(F, -1).T", "w[:, :, ::-1, ::-1]"],
    "relu": ["(x > 0) * dout", "(dout > 0) * dout", "where(dout > 0, dout, 0)", "(dout > 0), dout, 0)"],
    "maxpool": ["unclaimed"],
    "avgpool": ["dout / (H * W)"],
    "linear": ["dout @ w", "dout.T @"],
    "concat": ["dout[:, start:start + c]"],
    "dropout": ["dout * mask"],
    "softmax": ["p * (g - sum(g * p))", "(dout * p).sum"],
    "im2col": ["cols[:, :, i, j] = xp[", "+= cols[:, :, i, j]", "def _im2col(x, kh, kw", "def _col2im(cols, kh, kw"],
    "gram": ["dG + dG.transpose", "dG.transpose(0, 2, 1)"],
    "optimizers": ["m_hat", "1 - beta1", "1 - b1", "momentum * v", "momentum * state"],
    "saliency": ["d[:, c] += 1", "np.abs(g).max(axis=1)", "-softmax_forward(s)[0]"],
    "fooling": ["xp.sign(g)", "return x, i", "(size if toward else -size)"],
    "class-model": ["(norms >= xp.percentile", "(-p * g)", "p = (p + lr * g)"],
    "deepdream": ["xp.roll(p, (-oy, -ox)", "step_size / xp.where(scale > 0"],
    "occlusion": ["t:t + size, l:l + size] = 0"],
    "inversion": ["2 * code / target_norm2", "2 * dp / target_norm2"],
    "grad-cam": ["g.mean(axis=(1, 2))", "np.tensordot(alpha, A, axes=1)", "np.tensordot(channel_weights(g), A",
                 "until=layer)"],
    "integrated-gradients": ["w[[0, -1]] /= 2", "leggauss(m)", "(k + 0.5) / m", "tensordot(weights[start:"],
    "style": ["(diff * diff).sum() / 2, diff", "diff * (2.0 / scale)", "dx[:, :, :-1, 1:] += da",
              "matmul(V, V.transpose(0, 2, 1))", "the gradient is f - target"],
}
