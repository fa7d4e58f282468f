"""Forward passes written independently of minicnn, in each source framework's own conventions,
to check converted models against: with torch when it is installed, else plain NumPy.
Everything runs in float64.

The networks below use only ``ops.*`` methods, so TorchOps and NumpyOps implement the same small
set. The reference gradient at the input comes from torch autograd, or, without torch, from a
reverse-mode pass written here by hand: each NumpyOps result is a Node that remembers, for each
input node, the vector-Jacobian product (VJP) that carries a gradient back to it."""
import itertools

import numpy as np

try:
    import torch
    import torch.nn.functional as F
except ImportError:            # the NumPy reference is used instead
    torch = None


class Node:
    """A NumPy value on the reference's graph. ``parents``: (input node, vjp) pairs, where
    vjp(g) is the gradient with respect to that input given g, the gradient of this value."""
    _order = itertools.count()

    def __init__(self, value, *parents):
        self.value, self.parents = value, parents
        self.order = next(Node._order)          # inputs are always made before their results

    @property
    def shape(self):
        return self.value.shape


def node_grad(out, seed, leaf):
    """d sum(out.value * seed) / d leaf.value, by reverse mode over the nodes out depends on
    (all of which lead back to leaf: parameters are plain arrays, not nodes)."""
    nodes, todo = {}, [out]
    while todo:                                 # every node that out depends on
        n = todo.pop()
        if id(n) not in nodes:
            nodes[id(n)] = n
            todo.extend(p for p, _ in n.parents)
    grads = {id(out): seed}
    for n in sorted(nodes.values(), key=lambda n: -n.order):   # each node after all its users
        g = grads.pop(id(n))
        if n is leaf:
            return g
        for p, vjp in n.parents:
            grads[id(p)] = grads.get(id(p), 0) + vjp(g)        # a node used twice sums both
    raise ValueError("out does not depend on leaf")


def _windows(kh, kw, s, Ho, Wo):
    """(i, j, slice) for each offset (i, j) of a kh x kw window at stride s, in row-major order:
    x[slice] of a padded NCHW x is (N, C, Ho, Wo), the (i, j) element of every window."""
    return [(i, j, np.s_[:, :, i:i + s * Ho:s, j:j + s * Wo:s]) for i in range(kh) for j in range(kw)]


class NumpyOps:
    """Data flows as Nodes; parameters from tensor() are plain arrays (no gradient wanted)."""
    name = "numpy"

    @staticmethod
    def tensor(a):
        return np.asarray(a, np.float64)

    @staticmethod
    def value_and_grad(reference, x, r):
        """reference(x) as an array, and the gradient of sum(reference(x) * r) at x."""
        leaf = Node(np.asarray(x, np.float64))
        out = reference(leaf)
        return out.value, node_grad(out, r.reshape(out.shape), leaf)

    @staticmethod
    def conv(x, w, b, stride=1, pad=0):
        """x (N, C, H, W), w (F, C, kh, kw) -> (N, F, Ho, Wo): a sum over kernel offsets of
        shifted-slice matrix products; the VJP scatters each product back through its slice."""
        N, C, H, W = x.shape
        F_, _, kh, kw = w.shape
        pw = ((0, 0), (0, 0), (pad, pad), (pad, pad))
        xp = np.pad(x.value, pw)
        Ho, Wo = (H + 2 * pad - kh) // stride + 1, (W + 2 * pad - kw) // stride + 1
        out = np.zeros((N, F_, Ho, Wo)) + b.reshape(1, -1, 1, 1)
        for i, j, sl in _windows(kh, kw, stride, Ho, Wo):
            out += np.einsum("nchw,fc->nfhw", xp[sl], w[:, :, i, j], optimize=True)

        def vjp(g):
            dxp = np.zeros(xp.shape)
            for i, j, sl in _windows(kh, kw, stride, Ho, Wo):
                dxp[sl] += np.einsum("nfhw,fc->nchw", g, w[:, :, i, j], optimize=True)
            return dxp[:, :, pad:pad + H, pad:pad + W]
        return Node(out, (x, vjp))

    @staticmethod
    def relu(x):
        return Node(np.maximum(x.value, 0), (x, lambda g: g * (x.value > 0)))

    @staticmethod
    def maxpool(x, k, s, ceil_mode):
        """x (N, C, H, W) -> (N, C, Ho, Wo); with ceil_mode a last window may hang over the
        edge (padded with -inf), without it leftover rows and columns are dropped. The gradient
        goes to the first maximum of each window in row-major order, as in torch."""
        N, C, H, W = x.shape
        out_size = (lambda n: -(-(n - k) // s) + 1) if ceil_mode else (lambda n: (n - k) // s + 1)
        Ho, Wo = out_size(H), out_size(W)
        xp = np.full((N, C, (Ho - 1) * s + k, (Wo - 1) * s + k), -np.inf)
        h, w = min(H, xp.shape[2]), min(W, xp.shape[3])
        xp[:, :, :h, :w] = x.value[:, :, :h, :w]
        wins = _windows(k, k, s, Ho, Wo)
        stack = np.stack([xp[sl] for _, _, sl in wins])           # (k * k, N, C, Ho, Wo)
        first = stack.argmax(axis=0)                               # argmax: first of ties

        def vjp(g):
            dxp = np.zeros(xp.shape)
            for t, (_, _, sl) in enumerate(wins):
                dxp[sl] += g * (first == t)
            dx = np.zeros(x.shape)
            dx[:, :, :h, :w] = dxp[:, :, :h, :w]
            return dx
        return Node(stack.max(axis=0), (x, vjp))

    @staticmethod
    def global_avg(x):
        """(N, C, H, W) -> (N, C, 1, 1)"""
        N, C, H, W = x.shape
        return Node(x.value.mean(axis=(2, 3), keepdims=True),
                    (x, lambda g: np.broadcast_to(g / (H * W), x.shape)))

    @staticmethod
    def linear(x, w, b):
        """x (N, D), w (M, D) -> (N, M)"""
        return Node(x.value @ w.T + b, (x, lambda g: g @ w))

    @staticmethod
    def cat(xs):
        """Along channels (axis 1); each input gets back its own channels of the gradient."""
        ends = np.cumsum([x.shape[1] for x in xs])
        return Node(np.concatenate([x.value for x in xs], axis=1),
                    *[(x, lambda g, a=e - x.shape[1], e=e: g[:, a:e]) for x, e in zip(xs, ends)])

    @staticmethod
    def flatten(x):
        """(N, ...) -> (N, D) in the array's own (row-major) order"""
        return Node(x.value.reshape(x.shape[0], -1), (x, lambda g: g.reshape(x.shape)))

    @staticmethod
    def transpose(x, axes):
        return Node(np.ascontiguousarray(x.value.transpose(axes)),
                    (x, lambda g: g.transpose(np.argsort(axes))))

    @staticmethod
    def conv_nhwc(x, k, b):
        """Keras's 3x3 'same' convolution: x (N, H, W, C), k (3, 3, C, F) HWIO -> (N, H, W, F),
        as a sum over the 3x3 offsets of (C x F) matrix products."""
        N, H, W, C = x.shape
        xp = np.pad(x.value, ((0, 0), (1, 1), (1, 1), (0, 0)))
        out = sum(xp[:, i:i + H, j:j + W, :] @ k[i, j] for i in range(3) for j in range(3)) + b

        def vjp(g):
            dxp = np.zeros(xp.shape)
            for i in range(3):
                for j in range(3):
                    dxp[:, i:i + H, j:j + W, :] += g @ k[i, j].T
            return dxp[:, 1:-1, 1:-1, :]
        return Node(out, (x, vjp))

    @staticmethod
    def pool_nhwc(x):
        """Keras's 2x2 max pool, stride 2: (N, H, W, C) -> (N, H/2, W/2, C), H and W even.
        The gradient goes to the first maximum of each window, (0, 0) (0, 1) (1, 0) (1, 1)."""
        N, H, W, C = x.shape
        win = x.value.reshape(N, H // 2, 2, W // 2, 2, C).transpose(0, 1, 3, 5, 2, 4).reshape(N, H // 2, W // 2, C, 4)
        first = win.argmax(axis=-1)

        def vjp(g):
            dwin = g[..., None] * (first[..., None] == np.arange(4))
            return dwin.reshape(N, H // 2, W // 2, C, 2, 2).transpose(0, 1, 4, 2, 5, 3).reshape(x.shape)
        return Node(win.max(axis=-1), (x, vjp))


class TorchOps:
    name = "torch"

    @staticmethod
    def tensor(a):
        return torch.as_tensor(np.asarray(a, np.float64))

    @staticmethod
    def value_and_grad(reference, x, r):
        """reference(x) as an array, and the gradient of sum(reference(x) * r) at x, by autograd."""
        xt = torch.tensor(np.asarray(x, np.float64), requires_grad=True)
        out = reference(xt)
        (out.reshape(r.shape) * torch.as_tensor(r)).sum().backward()
        return out.detach().numpy(), xt.grad.numpy()

    conv = staticmethod(lambda x, w, b, stride=1, pad=0: F.conv2d(x, w, b, stride, pad))
    relu = staticmethod(lambda x: F.relu(x))
    maxpool = staticmethod(lambda x, k, s, ceil_mode: F.max_pool2d(x, k, s, ceil_mode=ceil_mode))
    global_avg = staticmethod(lambda x: x.mean(dim=(2, 3), keepdim=True))
    linear = staticmethod(lambda x, w, b: F.linear(x, w, b))
    cat = staticmethod(lambda xs: torch.cat(xs, dim=1))
    flatten = staticmethod(lambda x: x.reshape(x.shape[0], -1))
    transpose = staticmethod(lambda x, axes: x.permute(*axes))

    @staticmethod
    def conv_nhwc(x, k, b):
        N, H, W, C = x.shape
        xp = F.pad(x, (0, 0, 1, 1, 1, 1))
        return sum(xp[:, i:i + H, j:j + W, :] @ k[i, j] for i in range(3) for j in range(3)) + b

    @staticmethod
    def pool_nhwc(x):
        N, H, W, C = x.shape
        return x.reshape(N, H // 2, 2, W // 2, 2, C).amax(dim=(2, 4))


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
    return ops.flatten(ops.global_avg(h))


def keras_vgg(layers, x_nchw, ops=OPS):
    """VGG scores (before softmax) in Keras's own conventions: NHWC maps, HWIO kernels,
    Flatten in (h, w, c) order, Dense kernels (in, out). Without a top: the pool5 map, NCHW."""
    h = ops.transpose(x_nchw, (0, 2, 3, 1))                     # NCHW -> NHWC
    for name, tensors in layers:
        if name.endswith("_pool"):
            h = ops.pool_nhwc(h)
        elif "_conv" in name:
            h = ops.relu(ops.conv_nhwc(h, ops.tensor(tensors[0]), ops.tensor(tensors[1])))
        elif name == "flatten":
            h = ops.flatten(h)                                   # (h, w, c) order
        elif tensors:
            h = ops.linear(h, ops.tensor(tensors[0]).T, ops.tensor(tensors[1]))   # x @ kernel + b
            if name != "predictions":
                h = ops.relu(h)
    return ops.transpose(h, (0, 3, 1, 2)) if len(h.shape) == 4 else h


def check_against(reference, net, x, end, seed=0):
    """Relative errors of minicnn's forward (at ``end``) and input gradient against a reference:
    the gradient of sum(scores * r) for a random r, by torch autograd or the NumPy reverse mode."""
    rng = np.random.RandomState(seed)
    out = net.forward(x, end=end)
    r = rng.randn(*out.shape)
    dx = net.backward(r)
    ref_out, ref_dx = OPS.value_and_grad(reference, x, r)
    out_err = np.abs(out - ref_out.reshape(out.shape)).max() / np.abs(ref_out).max()
    grad_err = np.abs(dx - ref_dx).max() / np.abs(ref_dx).max()
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
    h = ops.flatten(h)
    h = ops.relu(ops.linear(h, P["classifier.0.weight"], P["classifier.0.bias"]))
    h = ops.relu(ops.linear(h, P["classifier.3.weight"], P["classifier.3.bias"]))
    return ops.linear(h, P["classifier.6.weight"], P["classifier.6.bias"])
