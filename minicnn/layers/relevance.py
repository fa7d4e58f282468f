"""Layer-wise relevance propagation (Bach et al. 2015; Montavon et al. 2019): the rules that
share relevance out through a layer that sums weighted inputs (convolution, fully connected).

Backward sends a gradient back through such a layer's weights. A relevance rule sends the
relevance R of each output back in proportion to what each input contributed to it:

    R_in = x * W'^T (R / z')        z' = x W' + b'   (the layer's forward with weights W')

so the relevance of the inputs adds up to that of the outputs, less what the biases (and the
stabilizer) took. The rules differ only in W', b' and z':

    "0"          W' = W, b' = b                         the gradient times the input, per layer
    "epsilon"    as "0", z' = z + eps * sign(z)          small, noisy contributions absorbed
                 (rms=True: eps times the root mean square of the example's z, as in
                 Montavon et al.'s tutorial, so one eps suits layers of any scale)
    "gamma"      W' = W + gamma W+, b' = b + gamma b+   positive contributions favoured
    "alphabeta"  alpha R+ - beta R- (alpha - beta = 1): positive and negative contributions
                 shared out apart, each without biases; "zplus" is alpha=1, beta=0
    "zb"         for pixels bounded by low <= x <= high (the first layer on images):
                 R_in = x W^T s - low W+^T s - high W-^T s,  s = R / (x W - low W+ - high W-)

W+ = max(W, 0), W- = min(W, 0). A zero denominator passes no relevance (it is absorbed). Without
biases, "0", "gamma", "zplus" and "zb" hand on all they receive; alpha-beta hands on alpha R
where an output has no negative contribution (beta's share has nowhere to go), so it can create
relevance.
Every rule is written with the layer's own forward and the input half of its backward, so
conv_relevance and linear_relevance (beside their backward passes) only say which those are.
"""
from .. import checks
from ..backend import get_array_module

WEIGHTED_RULES = ("0", "epsilon", "gamma", "zplus", "alphabeta", "zb")
POOL_RULES = ("wta", "proportional")      # max pooling: winner-take-all, or shared like average pooling


def divide(R, z):
    """R / z, and 0 where z is 0 (that relevance goes nowhere: it is counted as absorbed)."""
    xp = get_array_module(z)
    return xp.where(z == 0, 0, R / xp.where(z == 0, 1, z))


def weighted_relevance(R, x, w, b, forward, transpose, rule="0", eps=0.25, gamma=0.25, alpha=2.0,
                       low=None, high=None, rms=False):
    """Relevance at the input x of a layer out = forward(x, w, b), from the relevance R at its
    output (shaped like out). transpose(s, w): the backward pass to x of s, shaped like x.
    Returns R_in, shaped like x."""
    checks.choice("weighted_relevance", "rule", rule, WEIGHTED_RULES)
    xp = get_array_module(x)
    pos, neg = (lambda a: xp.maximum(a, 0)), (lambda a: xp.minimum(a, 0))
    zero = xp.zeros_like(b)
    if rule in ("0", "epsilon"):
        z = forward(x, w, b)
        if rule == "epsilon":
            scale = xp.sqrt((z.reshape(len(z), -1) ** 2).mean(axis=1)).reshape((-1,) + (1,) * (z.ndim - 1)) \
                if rms else 1.0
            z = z + eps * scale * xp.where(z >= 0, 1, -1)
        return x * transpose(divide(R, z), w)
    if rule == "gamma":
        w2, b2 = w + gamma * pos(w), b + gamma * pos(b)
        return x * transpose(divide(R, forward(x, w2, b2)), w2)
    if rule in ("zplus", "alphabeta"):
        alpha = 1.0 if rule == "zplus" else alpha
        beta = alpha - 1.0
        xp_, xn, wp, wn = pos(x), neg(x), pos(w), neg(w)
        sp = divide(R, forward(xp_, wp, zero) + forward(xn, wn, zero))   # positive contributions
        shared = alpha * (xp_ * transpose(sp, wp) + xn * transpose(sp, wn))
        if beta == 0:
            return shared
        sn = divide(R, forward(xp_, wn, zero) + forward(xn, wp, zero))   # negative contributions
        return shared - beta * (xp_ * transpose(sn, wn) + xn * transpose(sn, wp))
    lo, hi = xp.broadcast_to(low, x.shape), xp.broadcast_to(high, x.shape)
    wp, wn = pos(w), neg(w)                                            # "zb"
    s = divide(R, forward(x, w, zero) - forward(lo, wp, zero) - forward(hi, wn, zero))
    return x * transpose(s, w) - lo * transpose(s, wp) - hi * transpose(s, wn)
