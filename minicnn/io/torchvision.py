"""torchvision state_dicts (vgg16-397923af.pth, vgg19-dcbb9e9d.pth, squeezenet1_1-b8a52dc0.pth)
-> minicnn parameters.

torchvision's conv weights are (out, in, kh, kw) and its Linear weights (out, in), as in
minicnn, and it flattens in C, H, W order too: nothing is transposed, only renamed. The names:

    VGG:        features.<i>  -> the i-th layer of conv1_1 ... pool5 (convs, ReLUs and pools in order)
                classifier.<i> -> the i-th layer of fc6, relu6, drop6, fc7, relu7, drop7, fc8
    SqueezeNet: features.0 -> conv1; features.3, 4, 6, 7, 9, 10, 11, 12 -> fire2 ... fire9, whose
                squeeze / expand1x1 / expand3x3 -> fireN/squeeze1x1, fireN/expand1x1, fireN/expand3x3;
                classifier.1 -> conv10

ImageSpace: RGB, 0..1, ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225).
"""
import numpy as np

from ..errors import MinicnnError
from ..models import squeezenet1_1, vgg16, vgg19
from ..net import Net

SQUEEZENET_FEATURES = {3: "fire2", 4: "fire3", 6: "fire4", 7: "fire5", 9: "fire6", 10: "fire7", 11: "fire8", 12: "fire9"}


def detect_arch(state):
    """vgg16, vgg19 or squeezenet1_1, from the names and shapes of a state_dict."""
    keys = set(state)
    if any("running_mean" in k for k in keys):
        raise MinicnnError("this state_dict has batch normalisation (e.g. vgg16_bn), which minicnn does not support")
    if "features.3.squeeze.weight" in keys:
        if state.get("features.0.weight", np.zeros(0)).shape != (64, 3, 3, 3):
            raise MinicnnError("this SqueezeNet is not v1.1 (conv1 is not 64x3x3x3); only squeezenet1_1 is supported")
        return "squeezenet1_1"
    convs = [k for k in keys if k.startswith("features.") and k.endswith(".weight")]
    if {"classifier.0.weight", "classifier.6.weight"} <= keys and len(convs) in (13, 16):
        return {13: "vgg16", 16: "vgg19"}[len(convs)]
    raise MinicnnError("cannot tell the architecture of this state_dict (expected torchvision's vgg16, vgg19 "
                       "or squeezenet1_1); pass --arch")


def names(arch):
    """{torchvision parameter prefix: minicnn layer name} for one architecture."""
    if arch == "squeezenet1_1":
        out = {"features.0": "conv1", "classifier.1": "conv10"}
        for i, fire in SQUEEZENET_FEATURES.items():
            for part, ours in (("squeeze", "squeeze1x1"), ("expand1x1", "expand1x1"), ("expand3x3", "expand3x3")):
                out[f"features.{i}.{part}"] = f"{fire}/{ours}"
        return out
    spec = {"vgg16": vgg16, "vgg19": vgg19}[arch]()
    cut = [s["name"] for s in spec].index("fc6")
    out = {f"features.{i}": s["name"] for i, s in enumerate(spec[:cut]) if s["type"] == "conv"}
    out.update({f"classifier.{i}": s["name"] for i, s in enumerate(spec[cut:]) if s["type"] == "linear"})
    return out


def architecture(arch):
    """(layer list, input shape): torchvision runs these at 224x224."""
    spec = {"vgg16": vgg16, "vgg19": vgg19, "squeezenet1_1": squeezenet1_1}[arch]()
    return spec, (3, 224, 224)


def params_from_state_dict(state, arch):
    """Rename a torchvision state_dict to minicnn parameters, asserting every shape."""
    spec, input_shape = architecture(arch)
    wanted = Net(spec, input_shape, allocate=False).param_shapes
    mapping = names(arch)
    used, params = set(), {}
    for prefix, layer in mapping.items():
        for theirs, ours in (("weight", "W"), ("bias", "b")):
            key = f"{prefix}.{theirs}"
            if key not in state:
                raise MinicnnError(f"the state_dict has no {key} (for {layer}/{ours})")
            value = np.asarray(state[key])
            if value.shape != wanted[layer][ours]:
                raise MinicnnError(f"{key} has shape {value.shape}, {layer}/{ours} needs {wanted[layer][ours]}")
            params.setdefault(layer, {})[ours] = value.astype(np.float32)
            used.add(key)
    unused = set(state) - used
    if unused:
        raise MinicnnError(f"the state_dict has entries {arch} does not use: {sorted(unused)[:5]}")
    return spec, input_shape, params
