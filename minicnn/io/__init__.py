"""Models as files: the HDF5 model file, readers for other frameworks' files, and downloads.

    modelfile.py    load / save / read a minicnn model file; where named models live
    convert.py      any supported file -> model file, through one of the readers:
    keras_h5.py       Keras VGG .h5            pth.py    torchvision .pth (no torch needed)
    caffe.py          .caffemodel / .npz + prototxt.py (deploy.prototxt) + protobuf.py (wire format)
    fetch.py        download official weights, verify their checksum, convert
    provenance.py   what a converted file records about its sources
"""
from .convert import convert
from .fetch import fetch
from .modelfile import load, model_dir, read, resolve, save

__all__ = ["load", "save", "read", "resolve", "model_dir", "convert", "fetch"]
