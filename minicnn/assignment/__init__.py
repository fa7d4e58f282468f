"""`minicnn assignment OUT_DIR`: a student's copy of minicnn with chosen backward passes to write.

    assignment.write("hw2", layers=["conv", "relu", "maxpool"], im2col=True)

The copy is the whole package (it runs on its own, without this repository) in which the body
of each chosen function is replaced by a TODO and ``raise NotImplementedError``; its signature
and docstring (with every shape) stay. Beside it, ``tests/`` grades the work with
``gradcheck.assert_backward`` in float64 and names the configuration that fails, and a README
tells the student what to do. The tests import the copy, never an installed minicnn.
"""
import ast
import json
from pathlib import Path

from ..errors import ArgumentError
from ..files import write_folder

PACKAGE = Path(__file__).resolve().parents[1]
GRADING = Path(__file__).resolve().parent / "grading"

# part -> (file in the package, the functions the student writes). The layer parts come first.
PARTS = {
    "conv": ("layers/conv.py", ["conv_backward"]),
    "relu": ("layers/relu.py", ["relu_backward"]),
    "maxpool": ("layers/maxpool.py", ["maxpool_backward"]),
    "avgpool": ("layers/avgpool.py", ["avgpool_backward"]),
    "linear": ("layers/linear.py", ["linear_backward"]),
    "concat": ("layers/concat.py", ["concat_backward"]),
    "dropout": ("layers/dropout.py", ["dropout_backward"]),
    "softmax": ("layers/softmax.py", ["softmax_backward"]),
    "im2col": ("im2col/reference.py", ["im2col", "col2im"]),
    "gram": ("objectives.py", ["gram_backward"]),
    "optimizers": ("train/optim.py", ["sgd", "adam"]),
    # the lecture's own homework (CS231n assignment 3): the techniques, on the student's code
    "saliency": ("viz/saliency.py", ["score_gradient", "class_gradient", "saliency_map"]),
    "fooling": ("viz/adversarial.py", ["sign_step", "fool"]),
    "class-model": ("viz/class_model.py", ["regularized_step"]),
    "deepdream": ("viz/deepdream.py", ["make_step"]),
    "style": ("objectives.py", ["content_loss", "gram_forward", "gram_backward", "style_loss", "tv_loss"]),
    "occlusion": ("viz/occlusion.py", ["occlude"]),
    "inversion": ("viz/inversion.py", ["inversion_objective"]),
    "grad-cam": ("viz/gradcam.py", ["layer_and_gradient", "channel_weights", "gradcam_map", "gradcam_pp_map"]),
    "integrated-gradients": ("viz/integrated.py", ["quadrature", "path_average"]),
}
LAYERS = list(PARTS)[:8]
LECTURE = ["saliency", "relu-rules", "occlusion", "fooling", "class-model", "deepdream", "inversion", "style",
           "grad-cam", "integrated-gradients"]
ALIASES = {"relu-rules": "relu"}          # the lecture's name for the ReLU part: its deconvnet and guided rules

# The fast CPU twin of a layer holds its backward pass too. In the copy, twins/ replaces it with
# the student's own layer: it gives nothing away, and with MINICNN_FAST=1 the Net still runs it.
TWINS = {"conv": "fast/conv_winograd.py", "relu": "fast/relu.py", "maxpool": "fast/maxpool.py"}
TWIN_STANDINS = Path(__file__).resolve().parent / "twins"


def parts(layers=None, im2col=False, gram=False, optimizers=False, lecture=None):
    """The chosen parts, checked: layer names (default: all eight layers, unless lecture parts are
    given), the extras, and the lecture's parts (LECTURE; "relu-rules" is the ReLU part)."""
    layers = (LAYERS if not lecture else []) if layers is None else layers
    unknown = [name for name in layers if name not in LAYERS]
    if unknown or not (layers or lecture or im2col or gram or optimizers):
        raise ArgumentError(f"assignment: unknown layer {', '.join(map(repr, unknown)) or '(none given)'}; "
                            f"choose from {', '.join(LAYERS)}")
    unknown = [name for name in lecture or [] if name not in LECTURE]
    if unknown:
        raise ArgumentError(f"assignment: unknown part {', '.join(map(repr, unknown))}; the lecture's parts are "
                            f"{', '.join(LECTURE)}")
    chosen = list(dict.fromkeys(list(layers) + [name for name, on in (("im2col", im2col), ("gram", gram),
                                                                       ("optimizers", optimizers)) if on]
                                + [ALIASES.get(name, name) for name in lecture or []]))
    return [part for part in chosen if not (part == "gram" and "style" in chosen)]     # style holds gram


# How each part is graded, as its TODO says.
GRADED_BY = {"im2col": "against reference arrays, and col2im as im2col's adjoint",
             "optimizers": "against reference arrays of its first steps",
             "saliency": "against numerical gradients of the class score and reference arrays",
             "fooling": "on what a right answer must do (the target predicted, at the first step it is) and "
                        "reference arrays",
             "class-model": "against reference arrays of steps under each preset",
             "deepdream": "on what a right answer must do (a small step raises the objective) and reference "
                          "arrays",
             "style": "against numerical gradients and reference values",
             "occlusion": "against reference arrays and an image-sized square",
             "inversion": "against numerical gradients and reference arrays",
             "grad-cam": "against reference arrays and the forward pass",
             "integrated-gradients": "against reference arrays, a linear model and completeness"}
NUMERICAL = "against numerical gradients in float64"


def stub(source, names, path="?", graded_by=NUMERICAL):
    """``source`` with the body of each function in ``names`` after its docstring replaced by a
    TODO and ``raise NotImplementedError``."""
    tree = ast.parse(source)
    found = {node.name: node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.name in names}
    missing = set(names) - set(found)
    if missing:
        raise ArgumentError(f"assignment: {path} has no function {', '.join(sorted(missing))}")
    lines = source.splitlines(keepends=True)
    for node in sorted(found.values(), key=lambda n: -n.lineno):        # bottom up: line numbers stay valid
        if ast.get_docstring(node) is None:
            raise ArgumentError(f"assignment: {path}: {node.name} has no docstring to keep")
        indent = " " * node.body[0].col_offset
        todo = [f"{indent}# TODO: write {node.name}. The docstring above gives every shape;\n",
                f"{indent}# `python -m pytest -q` (in this folder) checks it {graded_by}.\n",
                f"{indent}raise NotImplementedError(\"{node.name} is yours to write\")\n"]
        lines[node.body[0].end_lineno:node.end_lineno] = todo                 # keep the docstring
    return "".join(lines)


def write(out, layers=None, im2col=False, gram=False, optimizers=False, lecture=None):
    """Write the assignment into the folder ``out`` (new or empty). Returns the parts chosen."""
    if not GRADING.is_dir():
        raise ArgumentError("assignment: this minicnn is a student's copy (it has no grading tests); write or "
                            "grade assignments with the minicnn they came from")
    chosen = parts(layers, im2col, gram, optimizers, lecture)
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ArgumentError(f"assignment: {out} {'is a file' if not out.is_dir() else 'is not empty'}; "
                            "give a new or empty folder")
    files = {Path("minicnn") / rel: (PACKAGE / rel).read_bytes() for rel in package_files()}
    for part in chosen:                   # one part after another: two may share a file
        rel, names = PARTS[part]
        files[Path("minicnn") / rel] = stub(files[Path("minicnn") / rel].decode("utf-8"), names, rel,
                                            GRADED_BY.get(part, NUMERICAL)).encode()
    hide_answers(files, chosen)
    for part in chosen:
        if part in TWINS:
            files[Path("minicnn") / TWINS[part]] = (TWIN_STANDINS / Path(TWINS[part]).name).read_bytes()
    files[Path("minicnn/backend.py")] = readable_by_default(files[Path("minicnn/backend.py")])
    for path in sorted(GRADING.iterdir()):
        if path.suffix in (".py", ".ini"):
            files[(Path(".") if path.suffix == ".ini" else Path("tests")) / path.name] = path.read_bytes()
    from . import references
    for part in references.PARTS:
        files[Path("tests/reference") / f"{part}.npz"] = references.npz(part)
    files[Path("README.md")] = readme(chosen).encode()
    files[Path("assignment.json")] = (json.dumps({"parts": chosen}) + "\n").encode()      # for the grader
    from .notebook import notebook
    files[Path("assignment.ipynb")] = notebook(chosen, title(chosen)).encode()
    files[Path("setup.py")] = SETUP.encode()
    model = default_model()
    files[Path("weights") / model.name] = model.read_bytes()

    def build(folder):
        for rel, data in files.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_bytes(data)
    write_folder(out, build)
    return chosen


def readable_by_default(backend_source):
    """The copy's backend.py with the fast CPU paths off unless MINICNN_FAST=1: otherwise its Net
    would run Winograd and Numba layers, not the backward passes the student writes."""
    line = b"FAST_BY_DEFAULT = True"
    if backend_source.count(line) != 1:
        raise ArgumentError("assignment: backend.py has no FAST_BY_DEFAULT line to switch off")
    return backend_source.replace(line, b"FAST_BY_DEFAULT = False")


# The copy is a checkout (model_dir() finds weights/ beside a setup.py): `python -m minicnn
# saliency sample:0` runs the student's layers on the default model.
SETUP = '''"""A student's copy of minicnn: `pip install -e .` is optional (the tests and `python -m minicnn`
work from this folder)."""
from setuptools import find_packages, setup

setup(name="minicnn", version="0.1.0+assignment", packages=find_packages(include=["minicnn", "minicnn.*"]),
      package_data={"minicnn.models": ["imagenet_classes.txt"]})
'''


def default_model():
    """The file of the default model, which the copy ships."""
    from ..io.modelfile import resolve
    from ..models import DEFAULT_MODEL
    path = resolve(DEFAULT_MODEL)
    if not path.is_file():
        raise ArgumentError(f"assignment: the default model {DEFAULT_MODEL} is not at {path}; the copy ships it")
    return path


def package_files():
    """The package's files as the copy has them: all but the assignment's own grading, stand-ins
    and answers (they hold the answers), and compiled files."""
    own = ("assignment/grading", "assignment/twins", "assignment/answers.py", "assignment/references.py")
    return [path.relative_to(PACKAGE) for path in sorted(PACKAGE.rglob("*"))
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
            and not str(path.relative_to(PACKAGE).as_posix()).startswith(own)]


def hide_answers(files, chosen):
    """Take out of the copy (``files``: path -> bytes) every other place that gives a chosen
    part's answer away (answers.py)."""
    from .answers import EDITS, REMOVED, STAND_INS
    for part in chosen:
        for rel, edits in EDITS.get(part, {}).items():
            text = files[Path("minicnn") / rel].decode("utf-8")
            for old, new in edits:
                if old not in text:
                    raise ArgumentError(f"assignment: {rel} no longer has the text to take out for {part}: "
                                        f"{old.strip().splitlines()[0]!r}")
                text = text.replace(old, new)
            files[Path("minicnn") / rel] = text.encode()
        for rel, names in REMOVED.get(part, {}).items():
            files[Path("minicnn") / rel] = remove_functions(files[Path("minicnn") / rel].decode("utf-8"),
                                                            names, rel).encode()
        for rel, text in STAND_INS.get(part, {}).items():
            files[Path("minicnn") / rel] = text.encode()


def remove_functions(source, names, path="?"):
    """``source`` without the functions ``names`` (decorators and the blank lines after them)."""
    tree = ast.parse(source)
    found = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name in names}
    if set(names) - set(found):
        raise ArgumentError(f"assignment: {path} has no function {', '.join(sorted(set(names) - set(found)))}")
    lines = source.splitlines(keepends=True)
    for node in sorted(found.values(), key=lambda n: -n.lineno):
        start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
        end = node.end_lineno
        while end < len(lines) and not lines[end].strip():
            end += 1
        lines[start:end] = []
    return "".join(lines)


def title(chosen):
    """What the assignment is about: the lecture's techniques, or backward passes."""
    techniques = [part for part in chosen if part in LECTURE]
    return "Understanding and visualizing convolutional networks" if techniques else "Backward passes"


def readme(chosen):
    """The student's instructions: what to write, where, and how it is graded."""
    tasks = "\n".join(f"- `{PARTS[p][0]}`: {', '.join(f'`{n}`' for n in PARTS[p][1])}" for p in chosen)
    return (GRADING / "README.md").read_text("utf-8").format(tasks=tasks, parts=", ".join(chosen),
                                                               title=title(chosen))
