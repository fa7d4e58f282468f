"""Cross-checks against PyTorch in float64 (skipped where torch is not installed)."""
import numpy as np
import pytest

from minicnn.gradcheck import rel_error
from minicnn.layers import (avgpool_backward, avgpool_forward, conv_backward, conv_forward,
                            linear_backward, linear_forward, maxpool_backward, maxpool_forward)

from conftest import torch_or_skip

CONFIGS = []
_rng = np.random.RandomState(5)
for _ in range(25):
    k = (_rng.randint(1, 6), _rng.randint(1, 6))
    p = (_rng.randint(0, k[0] // 2 + 1), _rng.randint(0, k[1] // 2 + 1))
    s = (_rng.randint(1, 4), _rng.randint(1, 4))
    H, W = _rng.randint(k[0], 14), _rng.randint(k[1], 14)
    CONFIGS.append(((_rng.randint(1, 3), _rng.randint(1, 5), H, W), k, s, p, bool(_rng.randint(2))))


def ids(c):
    return f"x{c[0]}-k{c[1]}-s{c[2]}-p{c[3]}-{'ceil' if c[4] else 'floor'}"


def torch_grads(fn, *arrays, dout):
    torch = torch_or_skip()
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*ts)
    out.backward(torch.tensor(dout))
    return out.detach().numpy(), [t.grad.numpy() for t in ts]


@pytest.mark.parametrize("config", CONFIGS, ids=ids)
def test_conv_against_torch(config):
    F = torch_or_skip().nn.functional
    shape, k, s, p, _ = config
    rng = np.random.RandomState(0)
    x, w, b = rng.randn(*shape), rng.randn(3, shape[1], *k), rng.randn(3)
    out, cache = conv_forward(x, w, b, s, p)
    d = rng.randn(*out.shape)
    ref, grads = torch_grads(lambda x, w, b: F.conv2d(x, w, b, s, p), x, w, b, dout=d)
    assert rel_error(out, ref) < 1e-12, ids(config)
    for mine, theirs in zip(conv_backward(d, cache), grads):
        assert rel_error(mine, theirs) < 1e-12, ids(config)


@pytest.mark.parametrize("config", CONFIGS, ids=ids)
def test_maxpool_against_torch(config):
    F = torch_or_skip().nn.functional
    shape, k, s, p, ceil_mode = config
    x = np.random.RandomState(1).permutation(int(np.prod(shape))).reshape(shape).astype(np.float64)
    out, cache = maxpool_forward(x, k, s, p, ceil_mode)
    d = np.random.RandomState(2).randn(*out.shape)
    ref, (grad,) = torch_grads(lambda x: F.max_pool2d(x, k, s, p, ceil_mode=ceil_mode), x, dout=d)
    assert out.shape == ref.shape and rel_error(out, ref) == 0, ids(config)
    assert rel_error(maxpool_backward(d, cache), grad) < 1e-12, ids(config)


@pytest.mark.parametrize("config", CONFIGS, ids=ids)
def test_avgpool_against_torch(config):
    F = torch_or_skip().nn.functional
    shape, k, s, p, ceil_mode = config
    x = np.random.RandomState(3).randn(*shape)
    out, cache = avgpool_forward(x, k, s, p, ceil_mode)
    d = np.random.RandomState(4).randn(*out.shape)
    ref, (grad,) = torch_grads(lambda x: F.avg_pool2d(x, k, s, p, ceil_mode=ceil_mode), x, dout=d)
    assert out.shape == ref.shape and rel_error(out, ref) < 1e-12, ids(config)
    assert rel_error(avgpool_backward(d, cache), grad) < 1e-12, ids(config)


@pytest.mark.parametrize("x_shape", [(4, 9), (2, 3, 4, 5)])
def test_linear_against_torch(x_shape):
    torch = torch_or_skip()
    rng = np.random.RandomState(6)
    D = int(np.prod(x_shape[1:]))
    x, w, b = rng.randn(*x_shape), rng.randn(7, D), rng.randn(7)
    out, cache = linear_forward(x, w, b)
    d = rng.randn(*out.shape)
    ref, grads = torch_grads(lambda x, w, b: torch.nn.functional.linear(x.flatten(1), w, b), x, w, b, dout=d)
    assert rel_error(out, ref) < 1e-12
    for mine, theirs in zip(linear_backward(d, cache), grads):
        assert rel_error(mine, theirs) < 1e-12
