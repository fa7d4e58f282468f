"""Winograd's minimal filtering F(m x m, 3x3) in NumPy: the definition the fast kernels follow.

A 3x3, stride-1 convolution makes each m x m block of outputs from an (m+2) x (m+2) block
("tile") of its input. Done directly that is m*m*9 multiplications per channel. Winograd's
algorithm (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016) needs
(m+2)^2:

    Y = A^T [ (G g G^T) * (B^T d B) ] A        g: 3x3 filter, d: tile, *: elementwise

Summed over input channels, the elementwise product turns into (m+2)^2 matrix products, one per
position (a, b) of the transformed tile, each over all channels and all tiles at once:

    M[a, b] (K, T) = U[a, b] (K, C) @ V[a, b] (C, T)     U: filters, V: tiles, T: number of tiles

Tiles start every m pixels, so neighbouring tiles overlap by 2. Two sizes are used:

    F(2x2, 3x3): 4x4 tiles, 16 multiplications for 2*2*9 = 36, 2.25x fewer. B^T, G and A^T
                 hold only 0, +-1 and 1/2 (the polynomial points 0, 1, -1 and infinity).
    F(4x4, 3x3): 6x6 tiles, 36 multiplications for 4*4*9 = 144, 4x fewer (points 0, +-1, +-2,
                 infinity). The transforms take more additions, the transformed filters U are
                 4x the filters instead of 1.8x, and float32 rounding grows about 20x.

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

BT4 = np.array([[4, 0, -5, 0, 1, 0],
                [0, -4, -4, 1, 1, 0],
                [0, 4, -4, -1, 1, 0],
                [0, -2, -1, 2, 1, 0],
                [0, 2, -1, -2, 1, 0],
                [0, 4, 0, -5, 0, 1]], dtype=np.float64)
G4 = np.array([[1 / 4, 0, 0],
               [-1 / 6, -1 / 6, -1 / 6],
               [-1 / 6, 1 / 6, -1 / 6],
               [1 / 24, 1 / 12, 1 / 6],
               [1 / 24, -1 / 12, 1 / 6],
               [0, 0, 1]], dtype=np.float64)
AT4 = np.array([[1, 1, 1, 1, 1, 0],
                [0, 1, -1, 2, -2, 0],
                [0, 1, 1, 4, 4, 0],
                [0, 1, -1, 8, -8, 1]], dtype=np.float64)

MATRICES = {2: (BT2, G2, AT2), 4: (BT4, G4, AT4)}     # m -> (B^T, G, A^T)


def positions(m):
    """(m+2)^2: the number of positions of a transformed tile, i.e. of products."""
    return (m + 2) ** 2


def tile_grid(H, W, pad, m):
    """Output size (Ho, Wo) of a 3x3 stride-1 convolution with padding pad = (ph, pw) on an
    H x W input, and the number of m x m output tiles down and across (th, tw), rounded up."""
    Ho, Wo = H + 2 * pad[0] - 2, W + 2 * pad[1] - 2
    return (Ho, Wo), (-(-Ho // m), -(-Wo // m))


def transform_filters(w, m):
    """w (K, C, 3, 3) -> U ((m+2)^2, K, C): G g G^T for every filter, position-major."""
    K, C = w.shape[:2]
    G = MATRICES[m][1].astype(w.dtype)
    U = G @ w @ G.T                                              # (K, C, m+2, m+2)
    return np.ascontiguousarray(U.transpose(2, 3, 0, 1).reshape(positions(m), K, C))


def transform_input(x, pad, m):
    """x (N, C, H, W) -> V ((m+2)^2, C, N*th*tw): B^T d B for every tile d, tiles in (n, ty, tx) order."""
    N, C, H, W = x.shape
    _, (th, tw) = tile_grid(H, W, pad, m)
    # Zero-pad by `pad` before and by as much as the last tile needs after.
    after = (m * th + 2 - H - pad[0], m * tw + 2 - W - pad[1])
    xpad = np.pad(x, ((0, 0), (0, 0), (pad[0], after[0]), (pad[1], after[1])))
    d = np.lib.stride_tricks.sliding_window_view(xpad, (m + 2, m + 2), axis=(2, 3))[:, :, ::m, ::m]
    BT = MATRICES[m][0].astype(x.dtype)
    V = BT @ d @ BT.T                                            # (N, C, th, tw, m+2, m+2)
    return np.ascontiguousarray(V.transpose(4, 5, 1, 0, 2, 3).reshape(positions(m), C, N * th * tw))


def transform_output(M, out_shape, m):
    """M ((m+2)^2, K, N*th*tw) -> Y (N, K, Ho, Wo) = out_shape: A^T M A for every tile, cropped to the output."""
    N, K, Ho, Wo = out_shape
    th, tw = -(-Ho // m), -(-Wo // m)
    M = M.reshape(m + 2, m + 2, K, N, th, tw).transpose(3, 2, 4, 5, 0, 1)   # (N, K, th, tw, m+2, m+2)
    AT = MATRICES[m][2].astype(M.dtype)
    y = AT @ M @ AT.T                                                        # (N, K, th, tw, m, m)
    return y.transpose(0, 1, 2, 4, 3, 5).reshape(N, K, m * th, m * tw)[:, :, :Ho, :Wo]


def conv_forward(x, w, b, pad, m=2):
    """x (N, C, H, W), w (K, C, 3, 3), b (K,), pad (ph, pw) -> out (N, K, Ho, Wo), the same
    numbers as layers.conv_forward with stride 1 (up to rounding), with m x m output tiles."""
    (Ho, Wo), _ = tile_grid(x.shape[2], x.shape[3], pad, m)
    M = transform_filters(w, m) @ transform_input(x, pad, m)            # (m+2)^2 products (K, C) @ (C, T)
    return transform_output(M, (x.shape[0], w.shape[0], Ho, Wo), m) + b.reshape(-1, 1, 1)


def conv_backward_input(dout, w, pad, m=2):
    """dout (N, K, Ho, Wo), w (K, C, 3, 3) -> dx (N, C, H, W): the convolution of dout with the
    rotated, channel-swapped filters, padded by 2 - pad."""
    w_back = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)                 # (C, K, 3, 3)
    zeros = np.zeros(w.shape[1], dtype=dout.dtype)
    return conv_forward(dout, w_back, zeros, (2 - pad[0], 2 - pad[1]), m)
