"""Models as files: load, save, convert and fetch.

    net = minicnn.load("squeezenet1_1")        # weights/squeezenet1_1.h5 (or $MINICNN_HOME)
    net = minicnn.load("path/to/model.h5")
    minicnn.save(net, "copy.h5")
"""
import hashlib
import os
from pathlib import Path

import numpy as np

from ..errors import MinicnnError
from .modelfile import ModelFileError, read, save

CONVERTER_VERSION = "minicnn-convert 1"


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
    p = Path(text)
    if p.suffix or os.sep in text or "/" in text or p.exists():
        return p
    return model_dir() / f"{text}.h5"


def load(name_or_path, dtype=np.float32):
    """Build a Net from a model file, by name or path. A missing named model says how to get it."""
    path = resolve(name_or_path)
    if not path.exists():
        name = str(name_or_path)
        if path.parent == model_dir() and path.suffix == ".h5" and not Path(name).suffix:
            raise ModelFileError(f"model {name!r} is not in {model_dir()}: run `minicnn fetch {name}` "
                                 f"(or `minicnn convert SRC {path}` for a file you have)")
        raise ModelFileError(f"no such model file: {path}")
    return read(path, dtype=dtype)


def sha256(path, chunk=1 << 20):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def provenance(*sources, **extra):
    """What a converted file records about where it came from."""
    return {"sources": [{"file": Path(s).name, "sha256": sha256(s)} for s in sources],
            "converter": CONVERTER_VERSION, **extra}


def read_classes(path):
    """Class names from a text file: one per line, or Caffe's synset_words.txt ("n01440764 tench, ...")."""
    names = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line:
            first, _, rest = line.partition(" ")
            names.append(rest if rest and len(first) == 9 and first[0] == "n" and first[1:].isdigit() else line)
    return names


def default_classes(n):
    """ImageNet names for a 1000-way classifier, else "class 0", "class 1", ..."""
    from ..models import imagenet_classes
    return imagenet_classes() if n == 1000 else [f"class {i}" for i in range(n)]


__all__ = ["load", "save", "read", "resolve", "model_dir", "ModelFileError", "MinicnnError",
           "provenance", "sha256", "read_classes", "default_classes"]
