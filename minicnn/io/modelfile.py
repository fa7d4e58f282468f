"""The model file: one HDF5 file holds one whole model, and nothing in it is ever executed.

    /                     attributes (all JSON text or plain numbers):
        format            "minicnn-model"
        format_version    1
        name              e.g. "squeezenet1_1"
        architecture      the layer list the Net is built from (JSON)
        input_shape       [C, H, W]
        space             the ImageSpace (JSON)
        provenance        {"source": file name, "sha256": ..., "converter": ..., ...} (JSON)
    /classes              the class names, one UTF-8 string per output
    /params/<layer>/W     every parameter, under its layer's name (fire2/squeeze1x1/W ...)
    /params/<layer>/b

Loading builds the Net from the file alone: the architecture says which parameters must
exist and their shapes, and any disagreement is refused naming the layer and both shapes.
"""
import json
import os
from pathlib import Path

import h5py
import numpy as np

from ..errors import MinicnnError
from ..images import ImageSpace
from ..net import Net

FORMAT, VERSION = "minicnn-model", 1


class ModelFileError(MinicnnError):
    """A model file that cannot be loaded or written."""


def save(net, path, name=None, provenance=None):
    """Write ``net`` (architecture, parameters, ImageSpace, classes) to an HDF5 file.

    The file is written under a temporary name and renamed when complete.
    """
    from ..backend import to_numpy
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    meta = dict(net.meta)
    try:
        with h5py.File(tmp, "w") as f:
            f.attrs["format"] = FORMAT
            f.attrs["format_version"] = VERSION
            f.attrs["name"] = name or meta.get("name") or path.stem
            f.attrs["architecture"] = json.dumps(net.spec)
            f.attrs["input_shape"] = json.dumps(list(net.input_shape))
            f.attrs["space"] = net.space.to_json() if net.space else "null"
            f.attrs["provenance"] = json.dumps(provenance if provenance is not None else meta.get("provenance", {}))
            f.create_dataset("classes", data=np.array(net.classes, dtype=object),
                             dtype=h5py.string_dtype("utf-8"))
            for layer, params in net.params.items():
                for key, value in params.items():
                    f.create_dataset(f"params/{layer}/{key}", data=to_numpy(value))
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def _attr(f, key, path):
    if key not in f.attrs:
        raise ModelFileError(f"{path}: not a minicnn model file (attribute {key!r} is missing)")
    value = f.attrs[key]
    return value.decode() if isinstance(value, bytes) else value


def _json(f, key, path):
    try:
        return json.loads(_attr(f, key, path))
    except json.JSONDecodeError as e:
        raise ModelFileError(f"{path}: attribute {key!r} is not valid JSON ({e})") from None


def read(path, dtype=np.float32):
    """Load a model file into a Net (on the current device, cast to ``dtype``)."""
    path = Path(path)
    try:
        f = h5py.File(path, "r")
    except FileNotFoundError:
        raise ModelFileError(f"no such model file: {path}") from None
    except OSError as e:
        raise ModelFileError(f"{path}: not a readable HDF5 file (truncated or corrupt?): {e}") from None
    with f:
        if _attr(f, "format", path) != FORMAT:
            raise ModelFileError(f"{path}: not a minicnn model file (format {_attr(f, 'format', path)!r})")
        version = int(_attr(f, "format_version", path))
        if version > VERSION:
            raise ModelFileError(f"{path}: format version {version} is newer than this minicnn reads ({VERSION})")
        spec, input_shape = _json(f, "architecture", path), _json(f, "input_shape", path)
        space_json = _attr(f, "space", path)
        space = None if space_json == "null" else ImageSpace.from_json(space_json)
        meta = {"name": _attr(f, "name", path), "provenance": _json(f, "provenance", path), "path": str(path)}
        try:
            shapes = Net(spec, input_shape, allocate=False).param_shapes
        except MinicnnError as e:
            raise ModelFileError(f"{path}: its architecture is invalid: {e}") from None
        stored = f.get("params")
        stored_layers = set()
        if stored is not None:
            stored.visit(lambda n: stored_layers.add(n.rsplit("/", 1)[0]) if isinstance(stored[n], h5py.Dataset) else None)
        extra = stored_layers - set(shapes)
        if extra:
            raise ModelFileError(f"{path}: holds parameters for layers its architecture does not have "
                                 f"or that take none: {sorted(extra)}")
        params = {}
        try:
            for layer, wanted in shapes.items():
                params[layer] = {}
                for key, shape in wanted.items():
                    ds = f.get(f"params/{layer}/{key}")
                    if not isinstance(ds, h5py.Dataset):
                        raise ModelFileError(f"{path}: layer {layer!r} has no parameter {key}")
                    if tuple(ds.shape) != tuple(shape):
                        raise ModelFileError(f"{path}: layer {layer!r} parameter {key} has shape {tuple(ds.shape)} "
                                             f"in the file, the architecture needs {tuple(shape)}")
                    params[layer][key] = ds[()]
            classes = [c.decode() if isinstance(c, bytes) else str(c) for c in f["classes"][()]] if "classes" in f else []
        except OSError as e:
            raise ModelFileError(f"{path}: the file is damaged (truncated?): {e}") from None
    try:
        return Net(spec, input_shape, params=params, dtype=dtype, space=space, classes=classes, meta=meta)
    except MinicnnError as e:
        raise ModelFileError(f"{path}: {e}") from None
