"""The one registry of known models: each architecture as data, and for every source of its
weights the input convention the weights were trained with and where to download them.

    from minicnn.models import MODELS, vgg16
    spec = vgg16()                                      # the layer list
    source = MODELS["vgg16"].sources["keras"]           # its Keras weights
    source.architecture(), source.space()               # Architecture (3, 224, 224), ImageSpace (BGR, ...)

Converters (minicnn.io) and `minicnn fetch` read everything they need to know about a model
from here; nothing about a known model is written anywhere else.
"""
from dataclasses import dataclass, field
from pathlib import Path

from ..architecture import Architecture
from ..images import CAFFE, KERAS_VGG, MNIST, TORCHVISION, ImageSpace
from .digits import digits
from .squeezenet import squeezenet1_1
from .vgg import vgg16, vgg19

IMAGENET_CLASSES_FILE = Path(__file__).with_name("imagenet_classes.txt")
IMAGENET_RESIZE = 256          # ImageNet models are evaluated on the centre crop of a 256-pixel shorter side
DEFAULT_MODEL = "digits"       # the model minicnn trains itself and ships in weights/
RANDOM_LABELS_MODEL = "digits_random_labels"     # the same, trained on permuted labels (`train --random-labels`)


@dataclass(frozen=True)
class Source:
    """Where one set of weights for a model comes from, and the input they expect."""
    layers: object                 # num_classes -> the layer list (a function in this package)
    convention: dict               # ImageSpace keywords: channels, pixel_max, mean, std
    input_size: tuple              # (H, W)
    url: str = None                # the official download, if there is one
    digest: str = None             # what its publisher gives: "md5:HEX", "sha256:HEX" or "sha256-prefix:HEX"
    resize: int = IMAGENET_RESIZE  # the shorter side photos are resized to before the centre crop
    num_classes: int = 1000

    def space(self):
        return ImageSpace(**self.convention, size=tuple(self.input_size), resize=self.resize)

    def architecture(self):
        return Architecture(self.layers(self.num_classes), (self.space().n_channels,) + tuple(self.input_size))


@dataclass(frozen=True)
class Model:
    sources: dict                                  # source name ("keras", "torchvision", "caffe") -> Source
    default_source: str
    description: str = field(default="")
    # Settings of the lecture's techniques that suit this model better than their defaults (which
    # were tuned on ImageNet networks): {technique: {setting: value}}, used where none was given.
    viz_defaults: dict = field(default_factory=dict)


KERAS_APPS = "https://storage.googleapis.com/tensorflow/keras-applications"
# classviz on ImageNet networks: feature visualization (Olah et al. 2017) with Lucid's render defaults.
FEATURE_VIS = {"param": "fourier"}
TORCH_MODELS = "https://download.pytorch.org/models"

MODELS = {
    "vgg16": Model({
        "keras": Source(vgg16, KERAS_VGG, (224, 224), f"{KERAS_APPS}/vgg16/vgg16_weights_tf_dim_ordering_tf_kernels.h5",
                        "md5:64373286793e3c8b2b4e3219cbf3544b"),
        "torchvision": Source(vgg16, TORCHVISION, (224, 224), f"{TORCH_MODELS}/vgg16-397923af.pth",
                              "sha256-prefix:397923af"),
    }, "keras", "VGG16 (Simonyan & Zisserman 2014), ImageNet", viz_defaults={"classviz": FEATURE_VIS}),
    "vgg19": Model({
        "keras": Source(vgg19, KERAS_VGG, (224, 224), f"{KERAS_APPS}/vgg19/vgg19_weights_tf_dim_ordering_tf_kernels.h5",
                        "md5:cbe5617147190e668d6c5d5026f83318"),
        "torchvision": Source(vgg19, TORCHVISION, (224, 224), f"{TORCH_MODELS}/vgg19-dcbb9e9d.pth",
                              "sha256-prefix:dcbb9e9d"),
    }, "keras", "VGG19 (Simonyan & Zisserman 2014), ImageNet", viz_defaults={"classviz": FEATURE_VIS}),
    "squeezenet1_1": Model({
        "torchvision": Source(squeezenet1_1, TORCHVISION, (224, 224), f"{TORCH_MODELS}/squeezenet1_1-b8a52dc0.pth",
                              "sha256-prefix:b8a52dc0"),
        "caffe": Source(squeezenet1_1, CAFFE, (227, 227)),       # DeepScale's release: prototxt + caffemodel
    }, "torchvision", "SqueezeNet v1.1 (Iandola et al. 2016), ImageNet", viz_defaults={"classviz": FEATURE_VIS}),
    DEFAULT_MODEL: Model({
        "minicnn": Source(digits, MNIST, (28, 28), resize=None, num_classes=10),     # `minicnn train`
    }, "minicnn", "a small VGG-style digit classifier trained by minicnn on 4,000 MNIST digits",
        # Its pixel gradients are ~1e-5 (a constant step barely moves the image), and sharp strokes on
        # 28x28 pixels make a natural image's TV prior blur them away. Without the L1 prior the
        # render fills the image with strokes; with it, they are drawn on the dark background.
        viz_defaults={"classviz": {"param": "fourier", "l1": 0.1, "preset": "progress"}, "invert": {"tv_scale": 0.05},
                      # 28x28 digits: fewer, stronger octaves; steps of whole grey levels
                      "deepdream": {"octaves": 2, "step_size": 4.0}, "adversarial": {"step": 2.0},
                      "fgsm": {"epsilon": 64.0},            # 0.25 of the range, Goodfellow et al.'s MNIST epsilon
                      "style": {"style_weight": 1e5}}),     # the Gram matrices of thin strokes are small
}
# The same architecture, input and settings, trained on randomly permuted labels: saliency maps that
# look alike on both models explain the digits, not the model (Adebayo et al. 2018's sanity check).
MODELS[RANDOM_LABELS_MODEL] = Model(MODELS[DEFAULT_MODEL].sources, "minicnn",
                                    "the digit classifier's architecture trained by minicnn on 4,000 MNIST digits "
                                    "with their labels permuted at random (a saliency sanity check)",
                                    viz_defaults=MODELS[DEFAULT_MODEL].viz_defaults)
FETCHABLE = sorted(n for n, m in MODELS.items() if any(s.url for s in m.sources.values()))   # `minicnn fetch NAME`


def imagenet_space(convention, input_size):
    """The ImageSpace of an ImageNet classifier trained with ``convention`` at ``input_size``."""
    return ImageSpace(**convention, size=tuple(input_size), resize=IMAGENET_RESIZE)


def default_classes(n_outputs):
    """The class names a converted classifier gets: ImageNet's for 1000 outputs, else none."""
    return imagenet_classes() if n_outputs == 1000 else []


def imagenet_classes():
    """The 1000 ImageNet class names in the order of the classifiers' outputs (Caffe, Keras and
    torchvision agree), e.g. 285 -> "Egyptian cat"."""
    lines = IMAGENET_CLASSES_FILE.read_text(encoding="utf-8").splitlines()
    return [line.split(" ", 1)[1] for line in lines if line.strip()]


__all__ = ["MODELS", "FETCHABLE", "DEFAULT_MODEL", "RANDOM_LABELS_MODEL", "Model", "Source", "digits", "vgg16",
           "vgg19", "squeezenet1_1", "imagenet_classes", "imagenet_space", "default_classes"]
