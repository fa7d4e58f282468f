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


def build_parser():
    parser = argparse.ArgumentParser(prog="minicnn", description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["cpu", "gpu"],
                        help="where to compute (default: $MINICNN_DEVICE, else cpu)")
    sub = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    p = sub.add_parser("gradcheck", help="check every layer's backward pass numerically (float64)")
    p.add_argument("--seed", type=int, default=0, help="seed for the random inputs (default 0)")
    p.set_defaults(run=cmd_gradcheck)
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


if __name__ == "__main__":
    sys.exit(main())
