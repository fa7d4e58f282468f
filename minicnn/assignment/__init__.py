"""`minicnn assignment OUT_DIR`: a student's copy of minicnn with chosen backward passes to write.

    assignment.write("hw2", layers=["conv", "relu", "maxpool"], im2col=True)

The copy is the whole package (it runs on its own, without this repository) in which the body
of each chosen function is replaced by a TODO and ``raise NotImplementedError``; its signature
and docstring (with every shape) stay. Beside it, ``tests/`` grades the work with
``gradcheck.assert_backward`` in float64 and names the configuration that fails, and a README
tells the student what to do. The tests import the copy, never an installed minicnn.
"""
import ast
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
}
LAYERS = list(PARTS)[:8]

# The fast CPU twin of a layer holds its backward pass too. In the copy, twins/ replaces it with
# the student's own layer: it gives nothing away, and with MINICNN_FAST=1 the Net still runs it.
TWINS = {"conv": "fast/conv_winograd.py", "relu": "fast/relu.py", "maxpool": "fast/maxpool.py"}
TWIN_STANDINS = Path(__file__).resolve().parent / "twins"


def parts(layers=None, im2col=False, gram=False, optimizers=False):
    """The chosen parts, checked: layer names (default: all eight layers) and the extras."""
    layers = LAYERS if layers is None else layers
    unknown = [name for name in layers if name not in LAYERS]
    if unknown or not layers:
        raise ArgumentError(f"assignment: unknown layer {', '.join(map(repr, unknown)) or '(none given)'}; "
                            f"choose from {', '.join(LAYERS)}")
    return list(dict.fromkeys(layers)) + [name for name, on in
                                         (("im2col", im2col), ("gram", gram), ("optimizers", optimizers)) if on]


def stub(source, names, path="?"):
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
                f"{indent}# `python -m pytest -q` (in this folder) checks it against numerical gradients.\n",
                f"{indent}raise NotImplementedError(\"{node.name} is yours to write\")\n"]
        lines[node.body[0].end_lineno:node.end_lineno] = todo                 # keep the docstring
    return "".join(lines)


def write(out, layers=None, im2col=False, gram=False, optimizers=False):
    """Write the assignment into the folder ``out`` (new or empty). Returns the parts chosen."""
    chosen = parts(layers, im2col, gram, optimizers)
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ArgumentError(f"assignment: {out} {'is a file' if not out.is_dir() else 'is not empty'}; "
                            "give a new or empty folder")
    files = {}
    for path in sorted(PACKAGE.rglob("*")):
        rel = path.relative_to(PACKAGE)
        if path.is_file() and "__pycache__" not in rel.parts and path.suffix != ".pyc":
            files[Path("minicnn") / rel] = path.read_bytes()
    for part in chosen:
        rel, names = PARTS[part]
        files[Path("minicnn") / rel] = stub((PACKAGE / rel).read_text("utf-8"), names, rel).encode()
    for part in chosen:
        if part in TWINS:
            files[Path("minicnn") / TWINS[part]] = (TWIN_STANDINS / Path(TWINS[part]).name).read_bytes()
    files[Path("minicnn/backend.py")] = readable_by_default(files[Path("minicnn/backend.py")])
    if "im2col" in chosen:
        files[Path("minicnn/im2col/__init__.py")] = kernels_for_the_layers(files[Path("minicnn/im2col/__init__.py")])
    for path in sorted(GRADING.iterdir()):
        if path.suffix in (".py", ".ini"):
            files[(Path("tests") if path.name.startswith(("test_", "conftest")) else Path(".")) / path.name] = \
                path.read_bytes()
    files[Path("README.md")] = readme(chosen).encode()

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


def kernels_for_the_layers(dispatch_source):
    """The copy's im2col/__init__.py sending every CPU array to the Numba kernels: while the
    student writes im2col/reference.py, the layers (and the grading of the other parts) use
    kernels that work."""
    line = b"    return cpu if fast() else reference"
    if dispatch_source.count(line) != 1:
        raise ArgumentError("assignment: im2col/__init__.py has no dispatch line to change")
    return dispatch_source.replace(line, b"    return cpu          # in this copy reference.py is an exercise")


def readme(chosen):
    """The student's instructions: what to write, where, and how it is graded."""
    tasks = "\n".join(f"- `{PARTS[p][0]}`: {', '.join(f'`{n}`' for n in PARTS[p][1])}" for p in chosen)
    return (GRADING / "README.md").read_text("utf-8").format(tasks=tasks, parts=", ".join(chosen))
