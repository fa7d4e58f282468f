"""Reader for PyTorch .pth files of torchvision's models: read(path, arch=None) -> Net.

The state_dict is read without importing torch, and without trusting it.

A .pth file is a Python pickle, and unpickling can call any function the file names; a hostile
file could run ``os.system``. This reader's unpickler accepts only the few names a state_dict
contains (OrderedDict, the tensor rebuild functions, the typed storage classes) and refuses
anything else before it is called. Two containers exist:

* zip (PyTorch >= 1.6): ``<archive>/data.pkl`` plus one raw little-endian file per storage;
* legacy (older files, e.g. torchvision's 2017 VGG and SqueezeNet weights): a sequence of
  pickles (magic number, protocol, system info, the state_dict, the storage keys) followed by
  each storage as an int64 element count and its raw bytes.

Tensors come back as NumPy arrays: {name: ndarray}. torchvision's conv weights are
(out, in, kh, kw) and its Linear weights (out, in), as in minicnn, and it flattens in C, H, W
order too: nothing is transposed, only renamed (see torchvision_names).
"""
import collections
import os
import pickle
import zipfile

import numpy as np

from ..errors import FormatError
from ..models import MODELS, default_classes
from ..net import Net
from .provenance import provenance

SUFFIXES = (".pth", ".pt")

LEGACY_MAGIC = 0x1950a86a20f9469cfc6c

STORAGE_DTYPES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
    "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_,
}


class _StorageType:
    """Stands in for torch.FloatStorage etc.: only its element type matters."""
    def __init__(self, name):
        self.name, self.dtype = name, np.dtype(STORAGE_DTYPES[name])


class _Storage:
    """A flat array of one dtype; filled from the file when its bytes are reached."""
    def __init__(self, dtype, numel):
        self.dtype, self.numel, self.array = dtype, int(numel), None


class _TensorRef:
    """A tensor as (storage, offset, size, stride); made into an array once storages are read."""
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, int(offset), tuple(size), tuple(stride)

    def array(self):
        data = self.storage.array
        if data is None:
            raise FormatError("a tensor refers to a storage that the file does not contain")
        if not self.size:
            return data[self.offset:self.offset + 1].reshape(()).copy()
        extent = self.offset + sum((n - 1) * s for n, s in zip(self.size, self.stride)) + 1
        if min(self.size) > 0 and (extent > data.size or min(self.stride) < 0):
            raise FormatError(f"a tensor of size {self.size} reaches past its storage of {data.size} elements")
        view = np.lib.stride_tricks.as_strided(data[self.offset:], self.size,
                                               [s * data.itemsize for s in self.stride], writeable=False)
        return np.array(view)


def _rebuild_tensor(storage, storage_offset, size, stride, *unused):
    return _TensorRef(storage, storage_offset, size, stride)


def _rebuild_parameter(data, requires_grad=False, backward_hooks=None, *unused):
    return data


ALLOWED = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
}
ALLOWED.update({("torch", name): _StorageType(name) for name in STORAGE_DTYPES})


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, persistent_load=None):
        super().__init__(file)
        self._persistent = persistent_load

    def find_class(self, module, name):
        if (module, name) in ALLOWED:
            return ALLOWED[(module, name)]
        raise FormatError(f"refused to load: the file's pickle asks for {module}.{name}, which a "
                       "state_dict of tensors never needs (the file may be hostile)")

    def persistent_load(self, pid):
        if self._persistent is None:
            raise FormatError("unexpected persistent reference in a .pth header")
        return self._persistent(pid)


def _storage_from_pid(pid, storages):
    if not isinstance(pid, tuple) or len(pid) < 5 or pid[0] != "storage" or not isinstance(pid[1], _StorageType):
        raise FormatError(f"unexpected persistent reference {pid!r:.80}")
    _, kind, key, _location, numel = pid[:5]
    if key not in storages:
        storages[key] = _Storage(kind.dtype, numel)
    view = pid[5] if len(pid) > 5 else None
    if view is not None:
        raise FormatError("storage views are not supported in a state_dict")
    return storages[key]


def _materialize(obj):
    if isinstance(obj, _TensorRef):
        return obj.array()
    if isinstance(obj, dict):
        return collections.OrderedDict((k, _materialize(v)) for k, v in obj.items())
    raise FormatError(f"expected a state_dict (a dict of tensors), found {type(obj).__name__}")


def _load_zip(path):
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        pkl = [n for n in names if n.endswith("/data.pkl") or n == "data.pkl"]
        if len(pkl) != 1:
            raise FormatError(f"{path}: a zip without a single data.pkl is not a PyTorch file")
        prefix = pkl[0][:-len("data.pkl")]
        storages = {}
        with z.open(pkl[0]) as f:
            obj = _Unpickler(f, lambda pid: _storage_from_pid(pid, storages)).load()
        for key, st in storages.items():
            raw = z.read(f"{prefix}data/{key}")
            if len(raw) < st.numel * st.dtype.itemsize:
                raise FormatError(f"{path}: storage {key} holds {len(raw)} bytes, needs {st.numel * st.dtype.itemsize}")
            st.array = np.frombuffer(raw, st.dtype.newbyteorder("<"), st.numel)
    return obj


def _load_legacy(path):
    storages = {}
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        if _Unpickler(f).load() != LEGACY_MAGIC:
            raise FormatError(f"{path}: not a PyTorch file (wrong magic number)")
        _Unpickler(f).load()                                    # protocol version
        info = _Unpickler(f).load()                             # system info
        if isinstance(info, dict) and not info.get("little_endian", True):
            raise FormatError(f"{path}: big-endian files are not supported")
        obj = _Unpickler(f, lambda pid: _storage_from_pid(pid, storages)).load()
        keys = _Unpickler(f).load()
        for key in keys:
            st = storages.get(key)
            if st is None:
                raise FormatError(f"{path}: storage {key!r} is listed but never used")
            count = np.frombuffer(f.read(8), "<i8")
            if count.size != 1 or int(count[0]) != st.numel:
                raise FormatError(f"{path}: storage {key!r} is damaged or truncated")
            if st.numel * st.dtype.itemsize > size - f.tell():     # never allocate more than the file holds
                raise FormatError(f"{path}: the file ends inside storage {key!r} (truncated download?)")
            raw = f.read(st.numel * st.dtype.itemsize)
            if len(raw) != st.numel * st.dtype.itemsize:
                raise FormatError(f"{path}: the file ends inside storage {key!r} (truncated download?)")
            st.array = np.frombuffer(raw, st.dtype.newbyteorder("<"), st.numel)
    return obj


def load_state_dict(path):
    """{parameter name: ndarray} from a .pth file; refuses anything but tensors in dicts."""
    try:
        obj = _load_zip(path) if zipfile.is_zipfile(path) else _load_legacy(path)
        return _materialize(obj)
    except FormatError as e:
        raise e if str(path) in str(e) else FormatError(f"{path}: {e}") from None
    except (pickle.UnpicklingError, EOFError, zipfile.BadZipFile, KeyError, ValueError,
            TypeError, AttributeError, IndexError, OSError) as e:
        raise FormatError(f"{path}: not a readable PyTorch state_dict ({type(e).__name__}: {e})") from None


# ---- torchvision's names ------------------------------------------------------------------------

SQUEEZENET_FEATURES = {3: "fire2", 4: "fire3", 6: "fire4", 7: "fire5",
                       9: "fire6", 10: "fire7", 11: "fire8", 12: "fire9"}


def detect_arch(state):
    """vgg16, vgg19 or squeezenet1_1, from the names and shapes of a state_dict."""
    keys = set(state)
    if any("running_mean" in k for k in keys):
        raise FormatError("this state_dict has batch normalisation (e.g. vgg16_bn), which minicnn does not support")
    if "features.3.squeeze.weight" in keys:
        if state.get("features.0.weight", np.zeros(0)).shape != (64, 3, 3, 3):
            raise FormatError("this SqueezeNet is not v1.1 (conv1 is not 64x3x3x3); only squeezenet1_1 is supported")
        return "squeezenet1_1"
    convs = [k for k in keys if k.startswith("features.") and k.endswith(".weight")]
    if {"classifier.0.weight", "classifier.6.weight"} <= keys and len(convs) in (13, 16):
        return {13: "vgg16", 16: "vgg19"}[len(convs)]
    raise FormatError("cannot tell the architecture of this state_dict (expected torchvision's vgg16, vgg19 "
                      "or squeezenet1_1); pass --arch")


def torchvision_names(arch):
    """{torchvision parameter prefix: minicnn layer name} for one architecture:

    VGG:        features.<i>  -> the i-th layer of conv1_1 ... pool5 (convs, ReLUs and pools in order)
                classifier.<i> -> the i-th layer of fc6, relu6, drop6, fc7, relu7, drop7, fc8
    SqueezeNet: features.0 -> conv1; features.3, 4, 6, 7, 9, 10, 11, 12 -> fire2 ... fire9, whose
                squeeze / expand1x1 / expand3x3 -> fireN/squeeze1x1, fireN/expand1x1, fireN/expand3x3;
                classifier.1 -> conv10
    """
    if arch == "squeezenet1_1":
        out = {"features.0": "conv1", "classifier.1": "conv10"}
        for i, fire in SQUEEZENET_FEATURES.items():
            for part, ours in (("squeeze", "squeeze1x1"), ("expand1x1", "expand1x1"), ("expand3x3", "expand3x3")):
                out[f"features.{i}.{part}"] = f"{fire}/{ours}"
        return out
    spec = MODELS[arch].sources["torchvision"].layers()
    cut = [s["name"] for s in spec].index("fc6")
    out = {f"features.{i}": s["name"] for i, s in enumerate(spec[:cut]) if s["type"] == "conv"}
    out.update({f"classifier.{i}": s["name"] for i, s in enumerate(spec[cut:]) if s["type"] == "linear"})
    return out


def params_from_state_dict(state, arch):
    """Rename a torchvision state_dict to minicnn parameters, asserting every shape.
    Returns (Architecture, ImageSpace, params)."""
    if arch not in MODELS or "torchvision" not in MODELS[arch].sources:
        raise FormatError(f"minicnn reads torchvision's vgg16, vgg19 and squeezenet1_1, not {arch!r}")
    source = MODELS[arch].sources["torchvision"]
    architecture = source.architecture()
    wanted = architecture.param_shapes
    used, params = set(), {}
    for prefix, layer in torchvision_names(arch).items():
        for theirs, ours in (("weight", "W"), ("bias", "b")):
            key = f"{prefix}.{theirs}"
            if key not in state:
                raise FormatError(f"the state_dict has no {key} (for {layer}/{ours})")
            value = np.asarray(state[key])
            if value.shape != wanted[layer][ours]:
                raise FormatError(f"{key} has shape {value.shape}, {layer}/{ours} needs {wanted[layer][ours]}")
            params.setdefault(layer, {})[ours] = value.astype(np.float32)
            used.add(key)
    unused = set(state) - used
    if unused:
        raise FormatError(f"the state_dict has entries {arch} does not use: {sorted(unused)[:5]}")
    return architecture, source.space(), params


def read(path, arch=None):
    """A torchvision state_dict (.pth) -> Net named after its architecture."""
    state = load_state_dict(path)
    arch = arch or detect_arch(state)
    architecture, space, params = params_from_state_dict(state, arch)
    return Net(architecture, params=params, space=space, classes=default_classes(1000),
               meta={"name": arch, "provenance": provenance(path, format="torchvision", arch=arch)})
