"""Read a PyTorch state_dict (.pth) without importing torch, and without trusting it.

A .pth file is a Python pickle, and unpickling can call any function the file names; a hostile
file could run ``os.system``. This reader's unpickler accepts only the few names a state_dict
contains (OrderedDict, the tensor rebuild functions, the typed storage classes) and refuses
anything else before it is called. Two containers exist:

* zip (PyTorch >= 1.6): ``<archive>/data.pkl`` plus one raw little-endian file per storage;
* legacy (older files, e.g. torchvision's 2017 VGG and SqueezeNet weights): a sequence of
  pickles (magic number, protocol, system info, the state_dict, the storage keys) followed by
  each storage as an int64 element count and its raw bytes.

Tensors come back as NumPy arrays: {name: ndarray}.
"""
import collections
import os
import pickle
import zipfile

import numpy as np

from ..errors import MinicnnError

LEGACY_MAGIC = 0x1950a86a20f9469cfc6c

STORAGE_DTYPES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
    "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_,
}


class PthError(MinicnnError):
    """A .pth file that is not a plain state_dict of tensors (or is damaged)."""


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
            raise PthError("a tensor refers to a storage that the file does not contain")
        if not self.size:
            return data[self.offset:self.offset + 1].reshape(()).copy()
        extent = self.offset + sum((n - 1) * s for n, s in zip(self.size, self.stride)) + 1
        if min(self.size) > 0 and (extent > data.size or min(self.stride) < 0):
            raise PthError(f"a tensor of size {self.size} reaches past its storage of {data.size} elements")
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
        raise PthError(f"refused to load: the file's pickle asks for {module}.{name}, which a "
                       "state_dict of tensors never needs (the file may be hostile)")

    def persistent_load(self, pid):
        if self._persistent is None:
            raise PthError("unexpected persistent reference in a .pth header")
        return self._persistent(pid)


def _storage_from_pid(pid, storages):
    if not isinstance(pid, tuple) or len(pid) < 5 or pid[0] != "storage" or not isinstance(pid[1], _StorageType):
        raise PthError(f"unexpected persistent reference {pid!r:.80}")
    _, kind, key, _location, numel = pid[:5]
    if key not in storages:
        storages[key] = _Storage(kind.dtype, numel)
    view = pid[5] if len(pid) > 5 else None
    if view is not None:
        raise PthError("storage views are not supported in a state_dict")
    return storages[key]


def _materialize(obj):
    if isinstance(obj, _TensorRef):
        return obj.array()
    if isinstance(obj, dict):
        return collections.OrderedDict((k, _materialize(v)) for k, v in obj.items())
    raise PthError(f"expected a state_dict (a dict of tensors), found {type(obj).__name__}")


def _load_zip(path):
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        pkl = [n for n in names if n.endswith("/data.pkl") or n == "data.pkl"]
        if len(pkl) != 1:
            raise PthError(f"{path}: a zip without a single data.pkl is not a PyTorch file")
        prefix = pkl[0][:-len("data.pkl")]
        storages = {}
        with z.open(pkl[0]) as f:
            obj = _Unpickler(f, lambda pid: _storage_from_pid(pid, storages)).load()
        for key, st in storages.items():
            raw = z.read(f"{prefix}data/{key}")
            if len(raw) < st.numel * st.dtype.itemsize:
                raise PthError(f"{path}: storage {key} holds {len(raw)} bytes, needs {st.numel * st.dtype.itemsize}")
            st.array = np.frombuffer(raw, st.dtype.newbyteorder("<"), st.numel)
    return obj


def _load_legacy(path):
    storages = {}
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        if _Unpickler(f).load() != LEGACY_MAGIC:
            raise PthError(f"{path}: not a PyTorch file (wrong magic number)")
        _Unpickler(f).load()                                    # protocol version
        info = _Unpickler(f).load()                             # system info
        if isinstance(info, dict) and not info.get("little_endian", True):
            raise PthError(f"{path}: big-endian files are not supported")
        obj = _Unpickler(f, lambda pid: _storage_from_pid(pid, storages)).load()
        keys = _Unpickler(f).load()
        for key in keys:
            st = storages.get(key)
            if st is None:
                raise PthError(f"{path}: storage {key!r} is listed but never used")
            count = np.frombuffer(f.read(8), "<i8")
            if count.size != 1 or int(count[0]) != st.numel:
                raise PthError(f"{path}: storage {key!r} is damaged or truncated")
            if st.numel * st.dtype.itemsize > size - f.tell():     # never allocate more than the file holds
                raise PthError(f"{path}: the file ends inside storage {key!r} (truncated download?)")
            raw = f.read(st.numel * st.dtype.itemsize)
            if len(raw) != st.numel * st.dtype.itemsize:
                raise PthError(f"{path}: the file ends inside storage {key!r} (truncated download?)")
            st.array = np.frombuffer(raw, st.dtype.newbyteorder("<"), st.numel)
    return obj


def load_state_dict(path):
    """{parameter name: ndarray} from a .pth file; refuses anything but tensors in dicts."""
    try:
        obj = _load_zip(path) if zipfile.is_zipfile(path) else _load_legacy(path)
        return _materialize(obj)
    except PthError as e:
        raise e if str(path) in str(e) else PthError(f"{path}: {e}") from None
    except (pickle.UnpicklingError, EOFError, zipfile.BadZipFile, KeyError, ValueError,
            TypeError, AttributeError, IndexError, OSError) as e:
        raise PthError(f"{path}: not a readable PyTorch state_dict ({type(e).__name__}: {e})") from None
