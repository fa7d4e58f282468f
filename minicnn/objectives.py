"""Objectives on activations and images, each with its gradient written out by hand.

Every function takes arrays and returns (value, gradient), like ``softmax_loss``; the gradient
has the shape of the first argument. The value is a NumPy float on the CPU and a 0-d CuPy array
on the GPU, where it stays until someone reads it (float(value) waits for the device): a loop of
steps need not stop the GPU at every step. They are what feature inversion, DeepDream and neural
style minimize or maximize:

    content_loss(f, target)      1/2 sum (f - target)^2                      Gatys et al. eq. 1
    gram_forward(f)              G[n] = V V^T, V = f[n] as (C, H*W)          (unnormalized)
    style_loss(f, target_gram)   sum_n sum_ij (G_ij - A_ij)^2 / (4 C^2 (HW)^2)   Gatys et al. eq. 4
    tv_loss(x, beta)             total variation TV^beta                     Mahendran & Vedaldi
    alpha_norm(x, alpha)         sum |x|^alpha                               Mahendran & Vedaldi
    l2_activation(f)             1/2 sum f^2: its gradient is f itself       DeepDream ("dx = x")

Shapes: f, target, x (N, C, H, W); target_gram, G (N, C, C). float32 or float64, NumPy or CuPy.
"""
from . import checks
from .backend import get_array_module
from .errors import ArgumentError


def content_loss(f, target):
    """1/2 sum (f - target)^2 over every entry; the gradient is f - target."""
    checks.same_shape("content_loss", "target", target, f.shape)
    diff = f - target
    return (diff * diff).sum() / 2, diff


def gram_forward(f):
    """f (N, C, H, W) -> G (N, C, C) with G[n] = V V^T, V = f[n] reshaped (C, H*W); cache for backward."""
    checks.rank("gram_forward", "f", f, 4)
    N, C, H, W = f.shape
    V = f.reshape(N, C, H * W)
    return get_array_module(f).matmul(V, V.transpose(0, 2, 1)), (V, f.shape)


def gram_backward(dG, cache):
    """dG (N, C, C) -> df (N, C, H, W), for G = V V^T with V = f[n] as (C, H*W)."""
    V, shape = cache              # G_ij = sum_k V_ik V_jk: each V_ik meets dG in row i and column i
    checks.same_shape("gram_backward", "dG", dG, (shape[0], shape[1], shape[1]))
    xp = get_array_module(dG)
    return xp.matmul(dG + dG.transpose(0, 2, 1), V).reshape(shape)


def style_loss(f, target_gram):
    """sum_n sum_ij (G[n]_ij - A[n]_ij)^2 / (4 C^2 (H W)^2) with G the Gram matrices of f and A
    ``target_gram`` (N, C, C): one layer's term of Gatys et al.'s eq. 4 (weights w_l apart)."""
    G, cache = gram_forward(f)
    checks.same_shape("style_loss", "target_gram", target_gram, G.shape)
    N, C, H, W = f.shape
    scale = 4.0 * C * C * (H * W) ** 2
    diff = G - target_gram
    return (diff * diff).sum() / scale, gram_backward(diff * (2.0 / scale), cache)


def tv_loss(x, beta=2.0):
    """Total variation sum_{n,c} sum_{i<H-1, j<W-1} ((x[i,j+1] - x[i,j])^2 + (x[i+1,j] - x[i,j])^2)^(beta/2).

    beta = 2 penalizes every gradient quadratically; beta < 2 lets edges through (Mahendran &
    Vedaldi use 1..2). Where both differences are 0 the gradient is taken as 0.
    """
    checks.rank("tv_loss", "x", x, 4)
    if not beta > 0:
        raise ArgumentError(f"tv_loss: beta must be > 0, got {beta!r}")
    xp = get_array_module(x)
    corner = x[:, :, :-1, :-1]
    a = x[:, :, :-1, 1:] - corner                   # to the right
    b = x[:, :, 1:, :-1] - corner                   # downwards
    s = a * a + b * b
    value = (s ** (beta / 2)).sum()
    # d s^(beta/2) / ds, 0 where s is 0 (for beta < 2 it would be infinite there)
    positive = s > 0
    w = xp.where(positive, (beta / 2) * xp.where(positive, s, 1) ** (beta / 2 - 1), 0)
    da, db = 2 * w * a, 2 * w * b
    dx = xp.zeros_like(x)
    dx[:, :, :-1, 1:] += da
    dx[:, :, 1:, :-1] += db
    dx[:, :, :-1, :-1] -= da + db
    return value, dx


def alpha_norm(x, alpha=6.0):
    """sum |x|^alpha (Mahendran & Vedaldi's bounded-range prior); the gradient is alpha |x|^(alpha-1) sign(x)."""
    if not alpha >= 1:
        raise ArgumentError(f"alpha_norm: alpha must be >= 1, got {alpha!r}")
    xp = get_array_module(x)
    mag = xp.abs(x)
    return (mag ** alpha).sum(), alpha * mag ** (alpha - 1) * xp.sign(x)


def l2_activation(f):
    """1/2 sum f^2, DeepDream's objective: its gradient is f itself."""
    return (f * f).sum() / 2, f
