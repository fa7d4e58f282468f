"""Grad-CAM (Selvaraju et al. 2017), guided Grad-CAM and Grad-CAM++ (Chattopadhyay et al. 2018).

A class's evidence at a layer: the layer's K maps A_k (K, h, w), each weighted by how much the
class score S_c rises with it, summed and kept where positive, then enlarged to the image:

    Grad-CAM     alpha_k = mean over (i, j) of dS_c/dA_k[i, j]     map = ReLU(sum_k alpha_k A_k)
    Grad-CAM++   alpha_k = sum over (i, j) of a_k[i, j] ReLU(dS_c/dA_k[i, j]), with
                 a_k[i, j] = g^2 / (2 g^2 + (sum_ab A_k[a, b]) g^3), g = dS_c/dA_k[i, j]
                 (the paper's closed form when S_c is an exponential of the score; 0 where g = 0)

One forward to the scores and one backward that stops at the layer (Net.backward's ``until``)
give both. The map is as coarse as the layer (14x14 at the digits' relu2_2, 13x13 at
SqueezeNet's fire9/concat); guided Grad-CAM multiplies the enlarged map into guided backpropagation's image gradient, so the
picture is sharp where the class's evidence is.
"""
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ..backend import to_device, to_numpy
from . import technique
from .saliency import image_gradient, score_gradient
from .targets import ClassRef, class_ref, explained, in_numbers, map_layers, score_layer
from ..settings import option


def default_layer(net):
    """The last layer with a spatial map before the classifier: the last ReLU or concatenation
    whose output is (C, h, w) with h, w > 1 and C not the number of classes (a layer with one map
    per class is the classifier itself, as SqueezeNet's conv10 is)."""
    n_classes = int(np.prod(net.shapes[score_layer(net)]))
    spatial = [n for n in map_layers(net) if net.shapes[n][1] * net.shapes[n][2] > 1]
    below = [n for n in spatial if net.shapes[n][0] != n_classes] or spatial
    if not below:
        from ..errors import ArgumentError
        raise ArgumentError("Grad-CAM needs a layer with a spatial map (a ReLU or concatenation with a (C, h, w) "
                            "output); this model has none")
    return below[-1]


def has_map(net):
    """Whether the net has a layer Grad-CAM can weigh (default_layer finds one)."""
    return any(net.shapes[n][1] * net.shapes[n][2] > 1 for n in map_layers(net))


def layer_and_gradient(net, x, c, layer):
    """(A, dS_c/dA): the layer's output for the image x (1, C, H, W) and the gradient of class
    c's score there, each (K, h, w) float64 NumPy."""
    end = score_layer(net)
    scores = net.forward(to_device(x, net.dtype), end=end, keep=[layer])
    grad = net.backward(score_gradient(scores, c).astype(net.dtype), until=layer)
    return to_numpy(net.outputs[layer])[0].astype(np.float64), to_numpy(grad)[0].astype(np.float64)


def channel_weights(g):
    """(K,) Grad-CAM's weight of each of a layer's K maps: alpha_k from the score's gradient g
    (K, h, w) there (module docstring)."""
    return g.mean(axis=(1, 2))


def gradcam_map(A, g):
    """(h, w) Grad-CAM map from a layer's maps A and the score's gradient g there, (K, h, w) each."""
    return np.maximum(np.tensordot(channel_weights(g), A, axes=1), 0)


def gradcam_pp_map(A, g):
    """(h, w) Grad-CAM++ map (module docstring) from A and g, (K, h, w) each."""
    g2, g3 = g ** 2, g ** 3
    denominator = 2 * g2 + A.sum(axis=(1, 2), keepdims=True) * g3
    a = np.where(g != 0, g2 / np.where(denominator != 0, denominator, 1), 0)
    alpha = (a * np.maximum(g, 0)).sum(axis=(1, 2))
    return np.maximum(np.tensordot(alpha, A, axes=1), 0)


def enlarge(m, hw):
    """A coarse (h, w) map stretched to the image's (H, W) by bilinear interpolation (each map
    cell's value at the centre of the image region it stands for)."""
    return np.asarray(Image.fromarray(m.astype(np.float32), mode="F").resize((hw[1], hw[0]), Image.BILINEAR),
                      np.float64)


def guided_backprop(net, x, c):
    """(C, H, W) guided backpropagation of class c's score to the image x, in pixel units."""
    return image_gradient(net, x, c, mode="guided")[0]


@dataclass(frozen=True)
class Settings(technique.Settings):
    target: object = option(None, "class index or (part of) a class name (default: the predicted class)",
                            kind="target")
    layer: str = option(None, "the layer whose maps are weighted (default: the last spatial one before the "
                        "classifier)", kind="str")


@dataclass(frozen=True, kw_only=True)
class GradCAM(technique.Result):
    x: np.ndarray              # (1, C, H, W) the image, in input space
    cam: np.ndarray            # (H, W) Grad-CAM, enlarged to the image
    cam_pp: np.ndarray         # (H, W) Grad-CAM++, enlarged
    coarse: np.ndarray         # (h, w) Grad-CAM at the layer's resolution
    guided: np.ndarray         # (C, H, W) guided backpropagation of the class score, pixel units
    guided_cam: np.ndarray     # (C, H, W) guided Grad-CAM: guided * cam
    layer: str
    target: ClassRef
    probability: float
    predicted: ClassRef
    top_channels: list         # the layer's channels with positive Grad-CAM weights, largest first (at most 8)
    positive_weights: int      # how many of the layer's channels have a positive weight

    def summary(self):
        n = self.positive_weights
        return (f"Grad-CAM at {self.layer} ({self.coarse.shape[0]}x{self.coarse.shape[1]}) for "
                f"{in_numbers(self.target, self.probability, self.predicted)}; {n} channel{'s' * (n != 1)} weigh"
                f"{'s' * (n == 1)} for it" + (f", most {', '.join(map(str, self.top_channels[:5]))}" if n else
                                               ": the map is empty"))


def run(net, x, settings):
    layer = default_layer(net) if settings.layer is None else settings.layer
    net.arch.check_layer(layer, "gradcam")
    if len(net.shapes[layer]) != 3:
        raise_not_spatial(net, layer)
    c, probability, predicted = explained(net, x, settings.target)
    A, g = layer_and_gradient(net, x, c, layer)
    hw = net.input_shape[1:]
    coarse = gradcam_map(A, g)
    cam = enlarge(coarse, hw)
    guided = guided_backprop(net, x, c)
    alpha = channel_weights(g)
    return GradCAM(settings=settings, x=np.asarray(x), cam=cam, cam_pp=enlarge(gradcam_pp_map(A, g), hw),
                   coarse=coarse, guided=guided, guided_cam=guided * cam, layer=layer, target=class_ref(net, c),
                   probability=probability, predicted=class_ref(net, predicted),
                   top_channels=[int(k) for k in np.argsort(-alpha)[:8] if alpha[k] > 0],
                   positive_weights=int((alpha > 0).sum()))


def raise_not_spatial(net, layer):
    from ..errors import ArgumentError
    shape = net.shapes[layer]
    raise ArgumentError(f"{layer} has no spatial map (its output is {shape}): Grad-CAM needs a (C, h, w) layer, "
                        f"such as {default_layer(net)}")
