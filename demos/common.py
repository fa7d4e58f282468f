"""What every demo shares: the model, the demo photos, the output folder, labelled figures."""
import argparse
from pathlib import Path

import minicnn
from minicnn.figures import plt, save_figure
from minicnn.images import load_image

IMAGES = Path(__file__).resolve().parent / "images"


def parser(description):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--model", default="squeezenet1_1", help="model name or file (default squeezenet1_1; "
                                                              "`minicnn fetch squeezenet1_1` gets it)")
    ap.add_argument("-o", "--out", default="out", help="folder for the PNGs (default out/)")
    return ap


def model(args):
    return minicnn.load(args.model)


def photo(net, name, size=None):
    """(image uint8 (H, W, 3) as the model sees it, x (1, 3, H, W) in input space)."""
    x = net.space.preprocess(load_image(IMAGES / name), size=size)
    return net.space.deprocess(x), x


def figure(rows, cols, size=2.6):
    fig, axes = plt.subplots(rows, cols, figsize=(size * cols, size * rows), squeeze=False)
    for ax in axes.flat:
        ax.set_xticks([]), ax.set_yticks([])
    return fig, axes


def save(fig, args, name, params):
    png, _ = save_figure(fig, Path(args.out) / name, dict(params, model=args.model))
    print(f"wrote {png}")
