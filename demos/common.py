"""What every demo shares: the model, the demo photos, the output folder, and saving a figure
made of the techniques' own pictures (minicnn.display) with a sidecar of their results."""
import argparse
from pathlib import Path

import minicnn
from minicnn import display
from minicnn.images import load_image

PHOTOS = Path(__file__).resolve().parent / "photos"


def parser(description):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--model", default="squeezenet1_1", help="model name or file (default squeezenet1_1; "
                                                              "`minicnn fetch squeezenet1_1` gets it)")
    ap.add_argument("-o", "--out", default="out", help="folder for the PNGs (default out/)")
    return ap


def model(args):
    return minicnn.load(args.model)


def photo(net, name, whole=False):
    """x (1, C, H, W): a demo photo in the model's input space, as the model evaluates it (or,
    whole=True, all of it resized to the input size)."""
    return net.space.preprocess(load_image(PHOTOS / name), exact=whole)


def save(args, name, rows, results, **extra):
    """Rows of panels -> out/NAME, with the sidecars of the results that made them."""
    png = display.save(rows, Path(args.out) / name,
                       dict(extra, model=args.model, results=[r.sidecar() for r in results]))
    print(f"wrote {png}")
