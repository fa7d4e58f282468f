"""Forward passes written independently of minicnn, in each source framework's own conventions,
to check converted models against: with torch when it is installed, else plain NumPy.
Everything runs in float64."""
import numpy as np

try:
    import torch
    import torch.nn.functional as F
except ImportError:            # the NumPy reference is used instead
    torch = None


class NumpyOps:
    name = "numpy"

    @staticmethod
    def tensor(a):
        return np.asarray(a, np.float64)

    @staticmethod
    def conv(x, w, b, stride=1, pad=0):
        """NCHW x, OIHW w: a sum over kernel offsets of shifted-slice matrix products."""
        N, C, H, W = x.shape
        F_, _, kh, kw = w.shape
        xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        Ho, Wo = (H + 2 * pad - kh) // stride + 1, (W + 2 * pad - kw) // stride + 1
        out = np.zeros((N, F_, Ho, Wo)) + b.reshape(1, -1, 1, 1)
        for i in range(kh):
            for j in range(kw):
                patch = xp[:, :, i:i + stride * Ho:stride, j:j + stride * Wo:stride]
                out += np.einsum("nchw,fc->nfhw", patch, w[:, :, i, j], optimize=True)
        return out

    @staticmethod
    def relu(x):
        return np.maximum(x, 0)

    @staticmethod
    def maxpool(x, k, s, ceil_mode):
        N, C, H, W = x.shape
        out_size = (lambda n: -(-(n - k) // s) + 1) if ceil_mode else (lambda n: (n - k) // s + 1)
        Ho, Wo = out_size(H), out_size(W)
        xp = np.full((N, C, (Ho - 1) * s + k, (Wo - 1) * s + k), -np.inf)
        xp[:, :, :H, :W] = x[:, :, :xp.shape[2], :xp.shape[3]]
        out = np.full((N, C, Ho, Wo), -np.inf)
        for i in range(k):
            for j in range(k):
                out = np.maximum(out, xp[:, :, i:i + s * Ho:s, j:j + s * Wo:s])
        return out

    @staticmethod
    def global_avg(x):
        return x.mean(axis=(2, 3), keepdims=True)

    @staticmethod
    def linear(x, w, b):
        return x @ w.T + b

    @staticmethod
    def cat(xs):
        return np.concatenate(xs, axis=1)


class TorchOps:
    name = "torch"

    @staticmethod
    def tensor(a):
        return torch.as_tensor(np.asarray(a, np.float64))

    conv = staticmethod(lambda x, w, b, stride=1, pad=0: F.conv2d(x, w, b, stride, pad))
    relu = staticmethod(lambda x: F.relu(x))
    maxpool = staticmethod(lambda x, k, s, ceil_mode: F.max_pool2d(x, k, s, ceil_mode=ceil_mode))
    global_avg = staticmethod(lambda x: x.mean(dim=(2, 3), keepdim=True))
    linear = staticmethod(lambda x, w, b: F.linear(x, w, b))
    cat = staticmethod(lambda xs: torch.cat(xs, dim=1))


OPS = TorchOps if torch is not None else NumpyOps


def squeezenet(params, x, ops=OPS):
    """SqueezeNet v1.1 scores (before softmax) from torchvision-named parameters; x NCHW."""
    P = {k: ops.tensor(v) for k, v in params.items()}
    h = ops.relu(ops.conv(x, P["features.0.weight"], P["features.0.bias"], stride=2))
    for i in range(3, 13):
        if i in (5, 8):
            continue
        if i in (3, 6, 9):
            h = ops.maxpool(h, 3, 2, True)
        f = f"features.{i}"
        s = ops.relu(ops.conv(h, P[f"{f}.squeeze.weight"], P[f"{f}.squeeze.bias"]))
        h = ops.cat([ops.relu(ops.conv(s, P[f"{f}.expand1x1.weight"], P[f"{f}.expand1x1.bias"])),
                     ops.relu(ops.conv(s, P[f"{f}.expand3x3.weight"], P[f"{f}.expand3x3.bias"], pad=1))])
    h = ops.relu(ops.conv(h, P["classifier.1.weight"], P["classifier.1.bias"]))
    return ops.global_avg(h).reshape(x.shape[0], -1)


def keras_vgg(layers, x_nchw, ops=OPS):
    """VGG scores (before softmax) in Keras's own conventions: NHWC maps, HWIO kernels,
    Flatten in (h, w, c) order, Dense kernels (in, out). Without a top: the pool5 map, NCHW."""
    def conv_nhwc(x, k, b):
        # NHWC convolution with padding 1, as a sum over the 3x3 offsets of (C_in x C_out) products
        n, H, W, C = x.shape
        if ops is TorchOps:
            xp = torch.nn.functional.pad(x, (0, 0, 1, 1, 1, 1))
        else:
            xp = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
        out = 0
        for i in range(3):
            for j in range(3):
                out = out + xp[:, i:i + H, j:j + W, :] @ k[i, j]
        return out + b

    def pool_nhwc(x):
        n, H, W, C = x.shape
        x = x.reshape(n, H // 2, 2, W // 2, 2, C)
        return x.amax(dim=(2, 4)) if ops is TorchOps else x.max(axis=(2, 4))

    if ops is TorchOps:                                          # NCHW -> NHWC
        h = x_nchw.permute(0, 2, 3, 1)
    else:
        h = np.ascontiguousarray(np.asarray(x_nchw, np.float64).transpose(0, 2, 3, 1))
    for name, tensors in layers:
        if name.endswith("_pool"):
            h = pool_nhwc(h)
        elif "_conv" in name:
            h = ops.relu(conv_nhwc(h, ops.tensor(tensors[0]), ops.tensor(tensors[1])))
        elif name == "flatten":
            h = h.reshape(h.shape[0], -1)                        # (h, w, c) order
        elif tensors:
            h = h @ ops.tensor(tensors[0]) + ops.tensor(tensors[1])
            if name != "predictions":
                h = ops.relu(h)
    if h.ndim == 4:
        h = h.permute(0, 3, 1, 2) if ops is TorchOps else h.transpose(0, 3, 1, 2)
    return h


def check_against(reference, net, x, end, seed=0):
    """Relative errors of minicnn's forward (at ``end``) and input gradient against a reference.

    reference(x) -> scores. With torch the reference gradient comes from autograd; with NumPy
    it is checked along a random direction v: <dx, v> against a centered difference of the
    reference (exact for these piecewise-linear networks away from kinks).
    """
    rng = np.random.RandomState(seed)
    out = net.forward(x, end=end)
    r = rng.randn(*out.shape)
    dx = net.backward(r)
    if OPS is TorchOps:
        xt = torch.tensor(np.asarray(x, np.float64), requires_grad=True)
        ref = reference(xt)
        (ref.reshape(r.shape) * torch.as_tensor(r)).sum().backward()
        ref_out, ref_dx = ref.detach().numpy().reshape(out.shape), xt.grad.numpy()
        grad_err = np.abs(dx - ref_dx).max() / np.abs(ref_dx).max()
    else:
        ref_out = np.asarray(reference(np.asarray(x, np.float64))).reshape(out.shape)
        v, eps = rng.randn(*x.shape), 1e-6
        f = lambda z: float((np.asarray(reference(z)).reshape(r.shape) * r).sum())  # noqa: E731
        numeric = (f(x + eps * v) - f(x - eps * v)) / (2 * eps)
        analytic = float((dx * v).sum())
        grad_err = abs(analytic - numeric) / max(abs(numeric), 1e-12)
    out_err = np.abs(out - ref_out).max() / np.abs(ref_out).max()
    return out_err, grad_err


def torchvision_vgg(params, x, ops=OPS):
    """VGG scores (fc8, before softmax) from torchvision-named parameters: convs are the
    features.<i> entries that have weights (each followed by a ReLU); a 2x2 max pool ends each
    block, found where the features index skips; then classifier.0, .3, .6 with ReLUs."""
    P = {k: ops.tensor(v) for k, v in params.items()}
    convs = sorted(int(k.split(".")[1]) for k in params if k.startswith("features.") and k.endswith(".weight"))
    h = x
    for i, idx in enumerate(convs):
        h = ops.relu(ops.conv(h, P[f"features.{idx}.weight"], P[f"features.{idx}.bias"], pad=1))
        if i + 1 == len(convs) or convs[i + 1] != idx + 2:       # a pool sits between blocks
            h = ops.maxpool(h, 2, 2, False)
    h = h.reshape(h.shape[0], -1)
    h = ops.relu(ops.linear(h, P["classifier.0.weight"], P["classifier.0.bias"]))
    h = ops.relu(ops.linear(h, P["classifier.3.weight"], P["classifier.3.bias"]))
    return ops.linear(h, P["classifier.6.weight"], P["classifier.6.bias"])
