"""Winograd's minimal filtering F(2x2, 3x3) in NumPy: the definition the fast kernels follow.

A 3x3, stride-1 convolution makes each 2x2 block of outputs from a 4x4 block ("tile") of its
input. Done directly that is 2*2*9 = 36 multiplications per channel. Winograd's algorithm
(Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016) needs 16:

    Y = A^T [ (G g G^T) * (B^T d B) ] A        g: 3x3 filter, d: tile, *: elementwise

Summed over input channels, the elementwise product turns into 16 matrix products, one per
position (a, b) of the transformed tile, each over all channels and all tiles at once:

    M[a, b] (K, T) = U[a, b] (K, C) @ V[a, b] (C, T)     U: filters, V: tiles, T: number of tiles

Tiles start every 2 pixels, so neighbouring tiles overlap by 2. B^T, G and A^T hold only 0, +-1
and 1/2 (the polynomial points 0, 1, -1 and infinity), so float32 rounds about as im2col's
products do. Larger tiles make fewer products (F(4x4, 3x3): 36 for 144) but need larger points
(+-2, or +-1/2), and the products of the transformed values then round many times further from
the exact result than im2col's: enough to flip ReLUs and pooling winners near a tie, and so
the image gradient (docs/speed.md). minicnn uses F(2x2) alone.

The gradient with respect to the input is itself a 3x3 stride-1 convolution: of dout, with
each filter rotated by 180 degrees and the roles of input and output channels swapped, padded
by 2 - pad. So the backward pass is the same algorithm again.
"""
import numpy as np

BT2 = np.array([[1, 0, -1, 0],
                [0, 1, 1, 0],
                [0, -1, 1, 0],
                [0, 1, 0, -1]], dtype=np.float64)
G2 = np.array([[1, 0, 0],
               [0.5, 0.5, 0.5],
               [0.5, -0.5, 0.5],
               [0, 0, 1]], dtype=np.float64)
AT2 = np.array([[1, 1, 1, 0],
                [0, 1, -1, -1]], dtype=np.float64)


def tile_grid(H, W, pad):
    """Output size (Ho, Wo) of a 3x3 stride-1 convolution with padding pad = (ph, pw) on an
    H x W input, and the number of 2x2 output tiles down and across (th, tw), rounded up."""
    Ho, Wo = H + 2 * pad[0] - 2, W + 2 * pad[1] - 2
    return (Ho, Wo), (-(-Ho // 2), -(-Wo // 2))


def transform_filters(w):
    """w (K, C, 3, 3) -> U (16, K, C): G g G^T for every filter, position-major."""
    K, C = w.shape[:2]
    G = G2.astype(w.dtype)
    U = G @ w @ G.T                                              # (K, C, 4, 4)
    return np.ascontiguousarray(U.transpose(2, 3, 0, 1).reshape(16, K, C))


def transform_input(x, pad):
    """x (N, C, H, W) -> V (16, C, N*th*tw): B^T d B for every tile d, tiles in (n, ty, tx) order."""
    N, C, H, W = x.shape
    _, (th, tw) = tile_grid(H, W, pad)
    # Zero-pad by `pad` before and by as much as the last tile needs after.
    after = (2 * th + 2 - H - pad[0], 2 * tw + 2 - W - pad[1])
    xpad = np.pad(x, ((0, 0), (0, 0), (pad[0], after[0]), (pad[1], after[1])))
    d = np.lib.stride_tricks.sliding_window_view(xpad, (4, 4), axis=(2, 3))[:, :, ::2, ::2]
    BT = BT2.astype(x.dtype)
    V = BT @ d @ BT.T                                            # (N, C, th, tw, 4, 4)
    return np.ascontiguousarray(V.transpose(4, 5, 1, 0, 2, 3).reshape(16, C, N * th * tw))


def transform_output(M, out_shape):
    """M (16, K, N*th*tw) -> Y (N, K, Ho, Wo) = out_shape: A^T M A for every tile, cropped to the output."""
    N, K, Ho, Wo = out_shape
    th, tw = -(-Ho // 2), -(-Wo // 2)
    M = M.reshape(4, 4, K, N, th, tw).transpose(3, 2, 4, 5, 0, 1)           # (N, K, th, tw, 4, 4)
    AT = AT2.astype(M.dtype)
    y = AT @ M @ AT.T                                                        # (N, K, th, tw, 2, 2)
    return y.transpose(0, 1, 2, 4, 3, 5).reshape(N, K, 2 * th, 2 * tw)[:, :, :Ho, :Wo]


def conv_forward(x, w, b, pad):
    """x (N, C, H, W), w (K, C, 3, 3), b (K,), pad (ph, pw) -> out (N, K, Ho, Wo), the same
    numbers as layers.conv_forward with stride 1 (up to rounding)."""
    (Ho, Wo), _ = tile_grid(x.shape[2], x.shape[3], pad)
    M = transform_filters(w) @ transform_input(x, pad)                  # 16 products (K, C) @ (C, T)
    return transform_output(M, (x.shape[0], w.shape[0], Ho, Wo)) + b.reshape(-1, 1, 1)


def conv_backward_input(dout, w, pad):
    """dout (N, K, Ho, Wo), w (K, C, 3, 3) -> dx (N, C, H, W): the convolution of dout with the
    rotated, channel-swapped filters, padded by 2 - pad."""
    w_back = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)                 # (C, K, 3, 3)
    zeros = np.zeros(w.shape[1], dtype=dout.dtype)
    return conv_forward(dout, w_back, zeros, (2 - pad[0], 2 - pad[1]))
