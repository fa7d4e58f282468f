"""Turning other frameworks' files into minicnn model files.

    convert(src, out, arch=None, prototxt=None, classes=None, name=None)

Every reader has the same interface, read(path, arch=None, ...) -> Net, and is chosen by the
file's suffix: keras_h5 (.h5), pth (.pth), caffe (.caffemodel, .npz, with a prototxt). The
output is written atomically, so a failed conversion leaves nothing at ``out``.
"""
from pathlib import Path

import numpy as np

from ..errors import FormatError
from ..files import check_output
from . import caffe, keras_h5, pth
from .modelfile import save

READERS = (keras_h5, pth, caffe)


def read_classes(path):
    """Class names from a text file: one per line, or Caffe's synset_words.txt ("n01440764 tench, ...")."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise FormatError(f"cannot read class names from {path}: {e}") from None
    names = []
    for line in text.splitlines():
        line = line.strip()
        if line:
            first, _, rest = line.partition(" ")
            names.append(rest if rest and len(first) == 9 and first[0] == "n" and first[1:].isdigit() else line)
    return names


def reader_for(src, prototxt=None):
    """The reader module for a source file (by suffix; a prototxt means Caffe)."""
    if prototxt is not None:
        return caffe
    for reader in READERS:
        if src.suffix.lower() in reader.SUFFIXES:
            return reader
    raise FormatError(f"{src}: unrecognised model file (expected a Keras .h5, a torchvision .pth, "
                      "or Caffe weights with --prototxt)")


def convert(src, out, arch=None, prototxt=None, classes=None, name=None):
    """Convert any supported file to a minicnn model file at ``out``; returns its path."""
    src = Path(src)
    check_output(out, inputs=[src, prototxt, classes])
    for path, what in ((src, "file"), (prototxt, "prototxt file"), (classes, "class-name file")):
        if path is not None and not Path(path).is_file():
            raise FormatError(f"no such {what}: {path}" if not Path(path).exists() else f"{path} is not a file")
    names = None if classes is None else read_classes(classes)
    reader = reader_for(src, prototxt)
    options = {"prototxt": prototxt} if reader is caffe else {}
    net = reader.read(src, arch=arch, **options)
    if names is not None:
        n_out = int(np.prod(net.arch.output_shape))
        if len(names) != n_out:
            raise FormatError(f"{classes} holds {len(names)} class names; the model has {n_out} outputs")
        net.classes = names
    return save(net, out, name=name or Path(out).stem)
