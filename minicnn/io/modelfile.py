"""The model file: one HDF5 file holds one whole model, and nothing in it is ever executed.

    /                     attributes (all JSON text or plain numbers):
        format            "minicnn-model"
        format_version    1
        name              e.g. "squeezenet1_1"
        architecture      the layer list the Net is built from (JSON)
        input_shape       [C, H, W]
        space             the ImageSpace (JSON)
        provenance        {"sources": [{"file", "sha256"}], "converter": ..., ...} (JSON)
    /classes              the class names, one UTF-8 string per output (or none)
    /params/<layer>/W     every parameter, under its layer's name (fire2/squeeze1x1/W ...)
    /params/<layer>/b
    /samples/images       optional example inputs, uint8 pixels (N, H, W) or (N, H, W, 3)
    /samples/labels       and their labels (N,): the default model's held-out digits

Loading builds the Net from the file alone: the architecture says which parameters must
exist and their shapes, and any disagreement is refused naming the layer and both shapes.
Named models ("vgg16") live in one folder: model_dir().
"""
import json
import os
from pathlib import Path

import h5py
import numpy as np

from ..architecture import Architecture
from ..backend import to_numpy
from ..errors import ArgumentError, MinicnnError, ModelFileError, ShapeError
from ..files import atomic_write
from ..images import ImageSpace, Samples
from ..net import Net

FORMAT, VERSION = "minicnn-model", 1


def model_dir():
    """Where named models live: $MINICNN_HOME, else the weights/ folder of a source checkout,
    else ~/.minicnn."""
    if os.environ.get("MINICNN_HOME"):
        return Path(os.environ["MINICNN_HOME"])
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "weights").is_dir() and (checkout / "setup.py").is_file():
        return checkout / "weights"
    return Path.home() / ".minicnn"


def resolve(name_or_path):
    """A model name ("vgg16") or a path -> the path of its file (which may not exist yet)."""
    text = str(name_or_path)
    if not text.strip():
        raise ModelFileError("no model given (a model name such as squeezenet1_1, or a model file)")
    p = Path(text)
    if p.suffix or os.sep in text or "/" in text or p.exists():
        return p
    return model_dir() / f"{text}.h5"


def load(name_or_path=None, dtype=np.float32):
    """Build a Net from a model file, by name or path (default: the model minicnn ships,
    weights/digits.h5). A missing named model says how to get it."""
    from ..models import DEFAULT_MODEL
    path = resolve(DEFAULT_MODEL if name_or_path is None else name_or_path)
    if not path.exists():
        raise ModelFileError(missing_model(path))
    return read(path, dtype=dtype)


def missing_model(path):
    """What to say about a model file that is not there: for a model of the model directory
    (asked for by name, or by its path there), how to get it."""
    from ..models import FETCHABLE as fetchable
    if path.absolute().parent != model_dir().absolute() or path.suffix != ".h5":
        hint = (f" (`minicnn fetch {path.stem}` writes {model_dir() / path.name}, or give -o {path})"
                if path.stem in fetchable and path.suffix == ".h5" else "")
        return f"no such model file: {path}{hint}"
    name = path.stem
    if name.lower() in fetchable and name not in fetchable:
        return f"no model named {name!r}: model names are lower case, `--model {name.lower()}`"
    if name in fetchable:
        return (f"model {name!r} is not in {model_dir()}: run `minicnn fetch {name}` to download it (or "
                f"`minicnn convert SRC {path}` for weights you have)")
    there = sorted(p.stem for p in model_dir().glob("*.h5"))
    return (f"no model named {name!r} in {model_dir()} (there: {', '.join(there) or 'none'}); `minicnn fetch` "
            f"downloads {', '.join(fetchable)}, `minicnn convert` converts weights you have")


def save(net, path, name=None, provenance=None):
    """Write ``net`` (architecture, parameters, ImageSpace, classes, provenance) to an HDF5 file,
    atomically. Returns the path."""
    meta = dict(net.meta)

    def write(tmp):
        with h5py.File(tmp, "w") as f:
            f.attrs["format"] = FORMAT
            f.attrs["format_version"] = VERSION
            f.attrs["name"] = name or meta.get("name") or Path(path).stem
            f.attrs["architecture"] = json.dumps(net.spec)
            f.attrs["input_shape"] = json.dumps(list(net.input_shape))
            f.attrs["space"] = net.space.to_json()
            f.attrs["provenance"] = json.dumps(provenance if provenance is not None else meta.get("provenance", {}))
            f.create_dataset("classes", data=np.array(net.classes, dtype=object), dtype=h5py.string_dtype("utf-8"))
            for layer, params in net.params.items():
                for key, value in params.items():
                    f.create_dataset(f"params/{layer}/{key}", data=to_numpy(value))
            if net.samples is not None:
                f.create_dataset("samples/images", data=net.samples.images, compression="gzip", compression_opts=9)
                f.create_dataset("samples/labels", data=net.samples.labels.astype(np.uint16))
    return atomic_write(path, write)


class _Reader:
    """Typed access to a model file's attributes: every bad value is a ModelFileError naming it."""

    def __init__(self, f, path):
        self.f, self.path = f, path

    def fail(self, message):
        return ModelFileError(f"{self.path}: {message}")

    def text(self, key):
        if key not in self.f.attrs:
            raise self.fail(f"not a minicnn model file (attribute {key!r} is missing)")
        value = self.f.attrs[key]
        value = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        if isinstance(value, np.ndarray) or not isinstance(value, (str, np.integer, int)):
            raise self.fail(f"attribute {key!r} has an unexpected type {type(value).__name__}")
        return value

    def json(self, key, kind):
        try:
            value = json.loads(self.text(key))
        except (json.JSONDecodeError, TypeError) as e:
            raise self.fail(f"attribute {key!r} is not valid JSON ({e})") from None
        if not isinstance(value, kind):
            raise self.fail(f"attribute {key!r} must be a JSON {kind.__name__}, got {type(value).__name__}")
        return value

    def version(self):
        value = self.text("format_version")
        try:
            version = int(value)
        except (TypeError, ValueError):
            version = 0
        if version < 1:
            raise self.fail(f"format_version must be a whole number >= 1, got {value!r}")
        return version


def read(path, dtype=np.float32):
    """Load a model file into a Net (on the current device, cast to ``dtype``)."""
    path = Path(path)
    if path.is_dir():
        raise ModelFileError(f"{path} is a folder, not a model file")
    try:
        f = h5py.File(path, "r")
    except FileNotFoundError:
        raise ModelFileError(missing_model(Path(path))) from None
    except OSError as e:
        raise ModelFileError(f"{path}: not a readable HDF5 file (truncated or corrupt?): {e}") from None
    with f:
        r = _Reader(f, path)
        if r.text("format") != FORMAT:
            raise r.fail(f"not a minicnn model file (format {r.text('format')!r})")
        version = r.version()
        if version > VERSION:
            raise r.fail(f"format version {version} is newer than this minicnn reads ({VERSION})")
        spec, input_shape = r.json("architecture", list), r.json("input_shape", list)
        provenance = r.json("provenance", dict)
        try:
            arch = Architecture(spec, input_shape)
            space = _space(r.json("space", dict), arch)
        except MinicnnError as e:
            raise r.fail(f"its architecture or input convention is invalid: {e}") from None
        params = _params(f, r, arch)
        try:
            classes = [c.decode("utf-8") if isinstance(c, bytes) else str(c) for c in f["classes"][()]] \
                if "classes" in f else []
        except (OSError, TypeError, ValueError) as e:
            raise r.fail(f"its class names cannot be read: {e}") from None
        meta = {"name": str(r.text("name")), "provenance": provenance, "path": str(path)}
        samples = _samples(f, r, arch)
    try:
        return Net(arch, params=params, dtype=dtype, space=space, classes=classes, meta=meta, samples=samples)
    except (ShapeError, ArgumentError) as e:              # not a device problem: the file's contents
        raise ModelFileError(f"{path}: {e}") from None


def _space(data, arch):
    """The file's ImageSpace. Files written before ``resize`` existed held ImageNet classifiers
    (1000 outputs), whose standard evaluation crop is from a 256-pixel shorter side."""
    from ..models import IMAGENET_RESIZE
    if "resize" not in data and int(np.prod(arch.output_shape)) == 1000:
        data = dict(data, resize=IMAGENET_RESIZE)
    return ImageSpace.from_dict(data)


def _samples(f, r, arch):
    """The example inputs stored with the model, checked against its input size and outputs."""
    if "samples" not in f:
        return None
    try:
        images, labels = f["samples/images"][()], f["samples/labels"][()]
        samples = Samples(images, labels)
    except (KeyError, OSError, TypeError, ValueError, MinicnnError) as e:
        raise r.fail(f"its samples cannot be read: {e}") from None
    n_out, labels = int(np.prod(arch.output_shape)), samples.labels
    fits = samples.images.shape[1:3] == arch.input_shape[1:] and (not len(labels) or
                                                                   0 <= labels.min() <= labels.max() < n_out)
    if not fits:
        raise r.fail(f"its samples (images {samples.images.shape}) do not fit the input {arch.input_shape} "
                     f"and its {n_out} outputs")
    return samples


def _params(f, r, arch):
    """Every parameter the architecture needs, with its shape checked; nothing else may be stored."""
    stored = f.get("params")
    stored_layers = set()
    if isinstance(stored, h5py.Group):
        stored.visit(lambda n: stored_layers.add(n.rsplit("/", 1)[0]) if isinstance(stored[n], h5py.Dataset) else None)
    extra = stored_layers - set(arch.param_shapes)
    if extra:
        raise r.fail(f"holds parameters for layers its architecture does not have or that take none: {sorted(extra)}")
    params = {}
    try:
        for layer, wanted in arch.param_shapes.items():
            params[layer] = {}
            for key, shape in wanted.items():
                ds = f.get(f"params/{layer}/{key}")
                if not isinstance(ds, h5py.Dataset):
                    raise r.fail(f"layer {layer!r} has no parameter {key}")
                if tuple(ds.shape) != tuple(shape):
                    raise r.fail(f"layer {layer!r} parameter {key} has shape {tuple(ds.shape)} in the file, "
                                 f"the architecture needs {tuple(shape)}")
                if not np.issubdtype(ds.dtype, np.floating):
                    raise r.fail(f"layer {layer!r} parameter {key} holds {ds.dtype}, not floating-point numbers")
                params[layer][key] = ds[()]
    except OSError as e:
        raise r.fail(f"the file is damaged (truncated?): {e}") from None
    return params
