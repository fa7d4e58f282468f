"""The command line: `minicnn <verb> ...` (also `python -m minicnn`).

Every error the user can cause (bad files, shapes, devices) ends in one line on stderr and a
non-zero exit, never a traceback.
"""
import argparse
import sys

from .errors import MinicnnError


def cmd_gradcheck(args):
    from . import backend, gradcheck
    print(f"Gradient checks on the {backend.device()} in float64, seed {args.seed}: every layer's "
          "backward pass against centered differences of its forward pass.\n")
    rows, ok = gradcheck.run(seed=args.seed)
    print(gradcheck.format_table(rows))
    failed = sum(max(e.values()) > gradcheck.THRESHOLD for _, _, e in rows)
    print(f"\n{len(rows) - failed} passed, {failed} failed")
    return 0 if ok else 1


def cmd_convert(args):
    from .io.convert import convert
    out = convert(args.src, args.out, arch=args.arch, prototxt=args.prototxt, classes=args.classes, name=args.name)
    print(f"wrote {out}")
    return 0


def cmd_fetch(args):
    from .io.fetch import fetch
    digest = f"sha256:{args.sha256}" if args.sha256 else (f"md5:{args.md5}" if args.md5 else None)
    out = fetch(args.name, source=args.source, url=args.url, digest=digest, out=args.output, keep=args.keep)
    print(f"wrote {out}")
    return 0


def cmd_info(args):
    from .io import load
    net = load(args.model)
    print(f"{net.meta.get('name')}  ({net.meta.get('path')})\n")
    print(net.summary())
    s = net.space
    if s is not None:
        print(f"\ninput: {s.channels}, pixel values 0..{s.pixel_max:g}, mean {s.mean}, std {s.std}, "
              f"size {s.size[0]}x{s.size[1]}")
    if net.classes:
        print(f"classes: {len(net.classes)} ({net.classes[0]!r} ... {net.classes[-1]!r})")
    prov = net.meta.get("provenance") or {}
    for src in prov.get("sources", []):
        print(f"source: {src.get('file')}  sha256 {src.get('sha256')}")
    if prov:
        extra = {k: v for k, v in prov.items() if k != "sources"}
        print("converted by: " + ", ".join(f"{k} {v}" for k, v in extra.items()))
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="minicnn", description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["cpu", "gpu"],
                        help="where to compute (default: $MINICNN_DEVICE, else cpu)")
    sub = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    p = sub.add_parser("gradcheck", help="check every layer's backward pass numerically (float64)")
    p.add_argument("--seed", type=int, default=0, help="seed for the random inputs (default 0)")
    p.set_defaults(run=cmd_gradcheck)

    p = sub.add_parser("convert", help="convert Keras .h5, torchvision .pth or Caffe weights to a minicnn model file")
    p.add_argument("src", help="the file to convert (.h5, .pth, .caffemodel or .npz)")
    p.add_argument("out", help="the model file to write (.h5)")
    p.add_argument("--arch", choices=["vgg16", "vgg19", "squeezenet1_1"],
                   help="architecture of a Keras/torchvision file (default: recognised from the file)")
    p.add_argument("--prototxt", help="Caffe network definition (needed for .caffemodel and .npz)")
    p.add_argument("--classes", help="class names, one per line or synset_words.txt (default: ImageNet for 1000 outputs)")
    p.add_argument("--name", help="the model's name (default: the output file's stem)")
    p.set_defaults(run=cmd_convert)

    p = sub.add_parser("fetch", help="download official weights, verify their checksum, convert them")
    p.add_argument("name", choices=["vgg16", "vgg19", "squeezenet1_1"])
    p.add_argument("--source", choices=["keras", "torchvision"],
                   help="where from (default: keras for VGG, torchvision for SqueezeNet)")
    p.add_argument("--url", help="download from this address instead (a mirror); the checksum still applies")
    p.add_argument("--sha256", help="expected SHA-256 of the file at --url")
    p.add_argument("--md5", help="expected MD5 of the file at --url")
    p.add_argument("-o", "--output", help="model file to write (default: the model directory)")
    p.add_argument("--keep", action="store_true", help="keep the downloaded original next to the model")
    p.set_defaults(run=cmd_fetch)

    p = sub.add_parser("info", help="layers, shapes, parameters, receptive fields, input convention and source of a model")
    p.add_argument("model", help="a model name (vgg16) or a model file")
    p.set_defaults(run=cmd_info)

    from .cli_viz import build
    build(sub)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        if args.device:
            from . import backend
            backend.use(args.device)
        return args.run(args)
    except MinicnnError as e:
        print(f"minicnn: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("minicnn: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:          # output piped into `head` and closed: not an error
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
