"""`minicnn assignment`: the student's copy fails exactly the chosen parts' tests, passes them
all with the real functions back, and a wrong backward fails naming its configuration."""
import ast
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from minicnn import assignment
import minicnn.assignment.notebook  # noqa: F401  (assignment.notebook below)
from minicnn.assignment.grade import part_of
from minicnn.errors import ArgumentError

from cli_helpers import assert_one_line_error, run_cli

PACKAGE = Path(assignment.__file__).resolve().parents[1]
ALL_PARTS = list(assignment.PARTS)
# the lecture's parts with tests that run the network: they wait for its layers
NET = {"saliency", "fooling", "deepdream", "occlusion", "inversion", "grad-cam", "integrated-gradients"}


def grade(folder):
    """Run the student's tests from their folder, as the README says: {test id: (part, failure
    message, or None when it passed, or "skipped")}. The installed minicnn (this one) is on the
    path too."""
    report = folder / "report.xml"
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}"],
                       cwd=folder, capture_output=True, text=True, timeout=600)
    assert r.returncode in (0, 1), r.stdout[-3000:] + r.stderr[-3000:]       # ran (pass or fail), no crash
    results = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        name = case.get("name")
        failure = case.find("failure")
        message = "skipped" if case.find("skipped") is not None else None if failure is None else failure.get("message")
        results[name] = (part_of(case.get("classname"), name), message)
    return results, r.stdout


@pytest.fixture(scope="module")
def everything(tmp_path_factory):
    out = tmp_path_factory.mktemp("hw") / "hw"
    assignment.write(out, im2col=True, gram=True, optimizers=True)
    return out


def test_a_chosen_im2col_fails_only_its_own_tests(tmp_path):
    """No working im2col is left in the copy (the fast kernels would give it away): the layers
    that run it wait, skipped and saying why, until the student's im2col is written."""
    out = tmp_path / "hw"
    assignment.write(out, layers=["relu"], im2col=True)
    results, _ = grade(out)
    assert {part for part, message in results.values() if message not in (None, "skipped")} == {"relu", "im2col"}
    assert {part for part, message in results.values() if message == "skipped"} == {"conv", "maxpool", "avgpool"} | NET


def test_the_copy_fails_exactly_the_chosen_parts_with_not_implemented(tmp_path):
    out = tmp_path / "hw"
    rc, printed, err = run_cli("assignment", out, "--layers", "conv,maxpool,softmax", "--gram")
    assert rc == 0, err
    results, _ = grade(out)
    assert {part for part, _ in results.values()} == set(ALL_PARTS)      # every part is graded
    failed = {part for part, message in results.values() if message not in (None, "skipped")}
    assert failed == {"conv", "maxpool", "softmax", "gram"}
    assert all("NotImplementedError" in message for _, message in results.values() if message not in (None, "skipped"))
    assert all(message is None for part, message in results.values() if part not in failed | NET | {"style"})
    # the lecture's parts that run the network, or the Gram matrix, wait for them, saying so
    assert {part for part, message in results.values() if message == "skipped"} == NET | {"style"}


def test_every_part_stubbed_and_then_every_real_function_put_back(everything, tmp_path):
    """With im2col not written, the layers that run it are skipped, saying so; every other test
    fails with NotImplementedError."""
    results, printed = grade(everything)
    skipped = {part for part, message in results.values() if message == "skipped"}
    assert skipped == {"conv", "maxpool", "avgpool", "style"} | NET
    assert all("NotImplementedError" in message for part, message in results.values()
               if message != "skipped" and part in assignment.parts(im2col=True, gram=True, optimizers=True))
    assert all(message is None for part, message in results.values() if part == "class-model")
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider"], cwd=everything,
                       capture_output=True, text=True, timeout=600)
    assert "write im2col/reference.py first" in r.stdout
    student = solved(everything, tmp_path)
    results, _ = grade(student)
    assert len(results) > 40 and all(message is None for _, message in results.values())


def test_a_wrong_backward_fails_naming_the_configuration(everything, tmp_path):
    student = solved(everything, tmp_path)
    conv = student / "minicnn" / "layers" / "conv.py"
    right = "dcols = xp.matmul(w.reshape(F, -1).T, d)"
    assert right in conv.read_text()
    # correlation and convolution confused: the kernel flipped (transposed in both axes) in dx
    conv.write_text(conv.read_text().replace(right, "dcols = xp.matmul(w[:, :, ::-1, ::-1].reshape(F, -1).T, d)"))
    results, printed = grade(student)
    failed = {name: message for name, (part, message) in results.items() if message not in (None, "skipped")}
    # a wrong convolution breaks the lecture's techniques on the network too, and nothing else
    assert failed and {results[name][0] for name in failed} - NET == {"conv"}
    assert all("1x1" in name for name, (part, message) in results.items() if part == "conv" and message is None)
    assert "for conv x 2x3x7x7  w 4x3x3x3  stride 1 pad 1" in printed and "dx: shape (2, 3, 7, 7)" in printed


def test_the_stub_keeps_signature_and_docstring_and_nothing_of_the_body():
    source = (PACKAGE / "layers" / "maxpool.py").read_text()
    stubbed = assignment.stub(source, ["maxpool_backward"])
    real, student = (next(n for n in ast.parse(s).body if isinstance(n, ast.FunctionDef)
                          and n.name == "maxpool_backward") for s in (source, stubbed))
    assert ast.dump(real.args) == ast.dump(student.args)
    assert ast.get_docstring(real) == ast.get_docstring(student) and "(N, C, Ho, Wo)" in ast.get_docstring(student)
    assert [type(n).__name__ for n in student.body] == ["Expr", "Raise"]
    assert "# TODO: write maxpool_backward" in stubbed and "unclaimed" not in stubbed.split("def maxpool_backward")[1]
    assert stubbed.split("def maxpool_backward")[0] == source.split("def maxpool_backward")[0]   # the forward kept


def test_the_copy_is_the_whole_package_and_imports_on_its_own(everything):
    copied = {p.relative_to(everything / "minicnn") for p in (everything / "minicnn").rglob("*")
              if p.is_file() and "__pycache__" not in p.parts}
    assert copied == set(assignment.package_files())
    assert not any(p.parts[:2] == ("assignment", "grading") for p in copied)     # its tests hold answers
    assert {"answers.py", "references.py"}.isdisjoint(p.name for p in copied if p.parts[0] == "assignment")
    readme = (everything / "README.md").read_text()
    assert "`layers/conv.py`: `conv_backward`" in readme and "`train/optim.py`: `sgd`, `adam`" in readme
    r = subprocess.run([sys.executable, "-c", "import minicnn, sys; print(minicnn.__file__)"], cwd=everything,
                       capture_output=True, text=True)
    assert Path(r.stdout.strip()).resolve() == (everything / "minicnn" / "__init__.py").resolve()


@pytest.fixture(scope="module")
def layers_only(tmp_path_factory):
    out = tmp_path_factory.mktemp("hw") / "hw"
    assignment.write(out, layers=["conv", "relu", "maxpool"])
    return out


@pytest.mark.cpu
def test_the_copys_net_runs_the_students_layers(layers_only):
    """The fast paths would run instead of the student's backward passes: the copy turns them off."""
    everything = layers_only
    code = ("import numpy as np, minicnn\n"
            "net = minicnn.Net([{'name': 'c', 'type': 'conv', 'out_channels': 16, 'kernel': 3, 'pad': 1},"
            " {'name': 'r', 'type': 'relu'}], (16, 64, 64))\n"
            "net.forward(np.ones((1, 16, 64, 64)))\n"
            "twins = net._pass.plan.twins if net._pass else {}\n"
            "print(minicnn.backend.fast(), sorted(twins.get(n) or ('im2col' if n == 'c' else 'readable') "
            "for n in ('c', 'r')))")
    env = {k: v for k, v in os.environ.items() if k != "MINICNN_FAST"}
    env["MINICNN_DEVICE"] = "cpu"                  # the fast paths are the CPU's
    r = subprocess.run([sys.executable, "-c", code], cwd=everything, capture_output=True, text=True, env=env)
    assert r.stdout.strip() == "False ['im2col', 'readable']", r.stderr
    # With the fast paths asked for, the twins of the chosen layers are the student's layers again.
    r = subprocess.run([sys.executable, "-c", code + "\nnet.backward(np.ones((1, 16, 64, 64)))"], cwd=everything,
                       capture_output=True, text=True, env=dict(env, MINICNN_FAST="1"))
    assert r.stdout.strip() == "True ['im2col', 'numba']" and "relu_backward is yours to write" in r.stderr
    for twin in ("conv_winograd", "relu", "maxpool"):
        text = (everything / "minicnn" / "fast" / f"{twin}.py").read_text()
        assert "njit" not in text and "im2col" not in text and "is that layer itself" in text


BAD = [(["--layers", "conv,lstm"], "unknown layer 'lstm'"),
       (["--parts", "saliency,lstm"], "unknown part 'lstm'; the lecture's parts are saliency, relu-rules"),
       (["--layers", ","], "unknown layer (none given)"),
       (["--layers", "conv", "--bogus"], "unrecognized arguments")]


@pytest.mark.parametrize("args,message", BAD, ids=[m for _, m in BAD])
def test_bad_choices_are_one_line(tmp_path, args, message):
    rc, _, err = run_cli("assignment", tmp_path / "hw", *args)
    assert_one_line_error(rc, err, message)
    assert not (tmp_path / "hw").exists()


def test_the_output_must_be_new_or_empty(tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    (tmp_path / "file").write_text("x")
    for out, message in ((tmp_path / "busy", "is not empty"), (tmp_path / "file", "is a file")):
        with pytest.raises(ArgumentError, match=message):
            assignment.write(out)
    assert [p.name for p in (tmp_path / "busy").iterdir()] == ["notes.txt"]
    (tmp_path / "empty-but-there").mkdir()
    assignment.write(tmp_path / "empty-but-there", layers=["relu"])
    assert (tmp_path / "empty-but-there" / "README.md").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy", "empty-but-there", "file"]


def body_lines(rel, names):
    """The statements of the functions ``names`` in the package's ``rel``, after their docstrings,
    as lines without comments; not the unpacking of a cache or a shape, nor the choice of array
    module, which any function may share."""
    source = (PACKAGE / rel).read_text()
    lines = source.splitlines()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and node.name in names:
            for statement in node.body[1:]:
                for sub in ast.walk(statement):
                    if isinstance(sub, ast.stmt) and not isinstance(sub, (ast.If, ast.For, ast.With)) \
                            and not generic(sub):
                        for line in lines[sub.lineno - 1:sub.end_lineno]:
                            line = line.split("#")[0].strip()
                            if len(line) >= 12 and not line.startswith(("if ", "for ", "else", "return dx")):
                                yield line


def generic(statement):
    value = getattr(statement, "value", None)
    names = isinstance(value, ast.Name) or isinstance(value, ast.Tuple) and all(
        isinstance(e, ast.Name) for e in value.elts)
    shape = isinstance(value, ast.Subscript) and getattr(value.value, "attr", "") == "shape"     # H, W = x.shape[2:]
    return isinstance(statement, ast.Return) and names or isinstance(statement, ast.Assign) and (
        isinstance(value, (ast.Name, ast.Attribute)) or shape or (
            isinstance(value, ast.Call) and getattr(value.func, "id", "") == "get_array_module"))


# Statements of a blanked body that other code shares, and that its docstring already names:
# not an answer (fooling.py's loop takes the log-probability's gradient too).
SHARED = {'g = class_gradient(net, x, c, "logprob")', "end = score_layer(net)"}


def test_no_answer_is_left_anywhere_in_the_copy(everything):
    """With every part blanked, no file of the copy holds a statement of a blanked body, or a
    text that gives a part's answer away (answers.FINGERPRINTS); nothing is compiled."""
    from minicnn.assignment.answers import FINGERPRINTS
    chosen = json.loads((everything / "assignment.json").read_text())["parts"]
    files = [p for p in everything.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert not [p for p in files if p.suffix in (".pyc", ".so", ".pyd")]
    texts = {p.relative_to(everything): p.read_text("utf-8") for p in files if p.suffix not in (".npz", ".h5")}
    leaks = [(part, text, str(where)) for part, prints in FINGERPRINTS.items() if part in chosen for text in prints
             for where, t in texts.items() if text in t]
    for part in chosen:
        rel, names = assignment.PARTS[part]
        statements = set(body_lines(rel, names)) - SHARED
        assert statements, part
        leaks += [(part, line, str(where)) for line in statements for where, t in texts.items() if line in t]
    assert not leaks


def test_the_fingerprints_are_in_the_package_they_guard():
    """Each fingerprint is found in this package, so that the test above can fail."""
    from minicnn.assignment.answers import FINGERPRINTS
    sources = "\n".join(p.read_text() for p in PACKAGE.rglob("*.py") if "assignment" not in p.parts)
    assert [t for prints in FINGERPRINTS.values() for t in prints if t not in sources] == []


WRONG = {   # part: (file, right text, the common mistake, what the failure must say)
    "maxpool": ("layers/maxpool.py", "wins = (cols[:, r] == out) & unclaimed", "wins = (cols[:, r] == out)",
                "known mistake: the gradient goes to every tied maximum, not the first"),
    "relu": ("layers/relu.py", "return xp.where(dout > 0, dout, 0)", "return xp.where(mask & (dout > 0), dout, 0)",
             "that is the guided rule, not the deconvnet rule"),
    "optimizers": ("train/optim.py", "m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)", "m_hat, v_hat = m, v",
                   "known mistake: no bias correction"),
    "im2col": ("im2col/reference.py", "dxp[:, :, i:i + sh * Ho:sh, j:j + sw * Wo:sw] += cols[:, :, i, j]",
               "dxp[:, :, i:i + sh * Ho:sh, j:j + sw * Wo:sw] = cols[:, :, i, j]",
               "known mistake: overlapping windows overwrite instead of adding up"),
    "conv": ("layers/conv.py", "return dx, dw, db", "return dx, dw",
             "conv_backward returned 2 values; it should return 3: (dx, dw, db)"),
    "linear": ("layers/linear.py", "dx = (dout @ w).reshape(x.shape)", "dx = dout @ w",
               "dx should have x's shape (2, 3, 4, 5), but it has shape (2, 60)"),
}


def make_mistakes(student, table):
    """Replace, in the student's folder, each right text of ``table`` ({part: (file, right text,
    mistake, ...)}) by its mistake; the right text must be there once."""
    for rel, right, mistake, *_ in table.values():
        path = student / "minicnn" / rel
        assert path.read_text().count(right) == 1, right
        path.write_text(path.read_text().replace(right, mistake))


def test_common_mistakes_fail_saying_which(everything, tmp_path):
    """A wrong version of each part, of a kind students write: the failure names the part and
    the input, and says which mistake it is where it is a known one."""
    student = solved(everything, tmp_path)
    make_mistakes(student, WRONG)
    results, printed = grade(student)
    for part, (_, _, _, says) in WRONG.items():
        messages = [m for p, m in results.values() if p == part and m not in (None, "skipped")]
        assert messages and any(says in m for m in messages), (part, messages[:2])
        assert all(m.startswith(("AssertionError: " + part, "AssertionError: ")) for m in messages)
    assert "maxpool: maxpool_backward with ties" in printed


def test_gradcheck_and_a_picture_in_a_fresh_copy(layers_only):
    """`python -m minicnn gradcheck` lists what is not written yet and checks the rest; the copy
    ships the default model, so the student's layers draw a picture once written."""
    r = subprocess.run([sys.executable, "-m", "minicnn", "gradcheck"], cwd=layers_only, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert "not written yet: conv_backward" in r.stdout and "not written yet: maxpool_backward" in r.stdout
    assert r.stdout.strip().splitlines()[-1].endswith("not written yet") and " 0 failed" in r.stdout
    assert (layers_only / "weights" / "digits.h5").is_file()
    r = subprocess.run([sys.executable, "-m", "minicnn", "saliency", "sample:0", "-o", str(layers_only / "s.png")],
                       cwd=layers_only, capture_output=True, text=True, timeout=300)
    assert "relu_backward is yours to write" in r.stderr or "is yours to write" in r.stdout + r.stderr


@pytest.fixture(scope="module")
def handed_in(tmp_path_factory):
    """A student's folder: maxpool blind to ties, linear right, relu not written, and the tests
    and the gradient check edited so that everything would pass."""
    out = tmp_path_factory.mktemp("student") / "hw"
    assignment.write(out, layers=["maxpool", "linear", "relu"])
    for rel in ("layers/maxpool.py", "layers/linear.py"):
        shutil.copy(PACKAGE / rel, out / "minicnn" / rel)
    maxpool = out / "minicnn" / "layers" / "maxpool.py"
    maxpool.write_text(maxpool.read_text().replace(*WRONG["maxpool"][1:3]))
    (out / "tests" / "test_backward.py").write_text("def test_nothing():\n    pass\n")          # edited away
    gradcheck = out / "minicnn" / "gradcheck.py"
    gradcheck.write_text(gradcheck.read_text() + "\ndef assert_backward(*args, **kwargs):\n    pass\n")
    return out


def test_grade_uses_the_teachers_tests_and_only_the_students_functions(handed_in, tmp_path):
    out = tmp_path / "grades.json"
    rc, printed, err = run_cli("assignment", "grade", handed_in, "--json", out)
    assert rc == 0, err
    grades = json.loads(out.read_text())
    rows = {r["part"]: r for r in grades["parts"]}
    assert list(rows) == ["maxpool", "linear", "relu"]
    assert rows["linear"]["points"] == 10 and rows["linear"]["failed"] == 0
    assert rows["relu"]["points"] == 0 and "relu_backward is yours to write" in rows["relu"]["first_failure"]
    assert 0 < rows["maxpool"]["points"] < 10 and rows["maxpool"]["failed"] == 3
    assert "every tied maximum" in rows["maxpool"]["first_failure"]
    assert grades["points"] == sum(r["points"] for r in rows.values()) and grades["max_points"] == 30
    assert "total" in printed and "every tied maximum" in printed


def test_grade_a_part_that_does_not_parse_or_lacks_its_function(handed_in, tmp_path):
    student = tmp_path / "hw"
    shutil.copytree(handed_in, student)
    (student / "minicnn" / "layers" / "linear.py").write_text("def linear_backward(dout, cache:\n")
    relu = student / "minicnn" / "layers" / "relu.py"
    relu.write_text(relu.read_text().replace("def relu_backward(", "def relu_backwards("))
    rows = {r["part"]: r for r in grade_module().grade(student)}
    assert rows["linear"]["points"] == 0 and "linear.py does not parse" in rows["linear"]["first_failure"]
    assert rows["relu"]["points"] == 0 and "has no function relu_backward" in rows["relu"]["first_failure"]


def grade_module():
    from minicnn.assignment import grade
    return grade


GRADE_BAD = [(["grade"], "give the student's folder"),
             (["grade", "{root}/nowhere"], "no folder"),
             (["grade", "{root}"], "is not a copy made by `minicnn assignment`"),
             (["grade", "{damaged}"], "is damaged"),
             (["one", "two"], "give one folder"),
             (["grade", "{endless}", "--timeout", "3"], "took over 3 s"),
             (["grade", "{endless}", "--points", "0"], "--points must be > 0"),
             (["grade", "{endless}", "--layers", "conv"], "--layers choose what to write"),
             (["{root}/new", "--points", "5"], "--points go with grade")]


@pytest.mark.parametrize("args,message", GRADE_BAD, ids=[m for _, m in GRADE_BAD])
def test_grade_bad_input_is_one_line(handed_in, tmp_path, args, message):
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "assignment.json").write_text('{"parts": ["lstm"]}')
    endless = tmp_path / "endless"
    if "{endless}" in " ".join(args):
        shutil.copytree(handed_in, endless)
        linear = endless / "minicnn" / "layers" / "linear.py"
        linear.write_text(linear.read_text().replace("    x, w = cache\n    N, (M, D)", "    while True:\n"
                                                     "        pass\n    x, w = cache\n    N, (M, D)", 1))
    rc, _, err = run_cli("assignment", *[a.format(root=tmp_path, damaged=damaged, endless=endless) for a in args])
    assert_one_line_error(rc, err, message)
    assert not (endless / "grade.json").exists()


LECTURE_PARTS = list(assignment.LECTURE)
CHOSEN = ["saliency", "relu", "occlusion", "fooling", "class-model", "deepdream", "inversion", "style", "grad-cam",
          "integrated-gradients"]

# Two common mistakes per part of the lecture: (file, right text, the mistake, what the failure must say)
LECTURE_WRONG = [{
    "saliency": ("viz/saliency.py", "return np.abs(g).max(axis=1)", "return g.max(axis=1)",
                 "known mistake: no absolute value"),
    "fooling": ("viz/adversarial.py", "* xp.sign(g), low, high)", "* g, low, high)",
                "known mistake: the gradient itself, not its sign"),
    "class-model": ("viz/class_model.py", "p = (p + lr * g) * (1 - ascent.decay)", "p = p + lr * g",
                    "known mistake: no L2 decay"),
    "deepdream": ("viz/deepdream.py", "return xp.roll(p, (-oy, -ox), axis=(2, 3)), value", "return p, value",
                  "known mistake: the jitter not undone"),
    "style": ("objectives.py", "return (diff * diff).sum() / scale, gram_backward(diff * (2.0 / scale), cache)",
              "return (diff * diff).sum(), gram_backward(diff * 2.0, cache)",
              "known mistake: not divided by 4 C^2 (H W)^2"),
    "occlusion": ("viz/occlusion.py", "xs[i, :, t:t + size, l:l + size] = 0",
                  "xs[i, :, t:t + size, l:l + size] = (0 - 0.1307) / 0.3081",
                  "known mistake: the square filled with black, not the mean colour"),
    "inversion": ("viz/inversion.py", "return 2 * code / target_norm2 + (lambda_alpha * a + lambda_tv * tv) / prior",
                  "return 2 * code + (lambda_alpha * a + lambda_tv * tv) / prior",
                  "known mistake: the code's error not divided by |Phi_0|^2"),
    "grad-cam": ("viz/gradcam.py", "return np.maximum(np.tensordot(channel_weights(g), A, axes=1), 0)",
                 "return np.tensordot(channel_weights(g), A, axes=1)", "known mistake: no ReLU"),
    "integrated-gradients": ("viz/integrated.py", "w[[0, -1]] /= 2", "w[[0, -1]] /= 1",
                             "known mistake: the end weights not halved"),
}, {
    "saliency": ("viz/saliency.py", 'zeros_like(s) if objective == "score" else -softmax_forward(s)[0]',
                 "zeros_like(s) - softmax_forward(s)[0]",
                 "known mistake: the log-probability's gradient, not the unnormalized score's"),
    "fooling": ("viz/adversarial.py", "if int(probabilities(net, x, on_device=True)[0].argmax()) == c:",
                "if int(probabilities(net, x, on_device=True)[0].argmax()) == c and i >= 40:",
                "the net already predicts 3 after"),
    "class-model": ("viz/class_model.py", " and it % ascent.blur_every == 0:", ":",
                    "known mistake: the blur at every step, not every blur_every steps"),
    "deepdream": ("viz/deepdream.py",
                  "p = p + xp.where(scale > 0, step_size / xp.where(scale > 0, scale, 1.0), 0.0) * g",
                  "p = p + step_size * g", "known mistake: the step not normalized by the mean of |g|"),
    "style": ("objectives.py", "matmul(V, V.transpose(0, 2, 1))", "matmul(V, V.transpose(0, 2, 1)) / (H * W)",
              "known mistake: divided by the map's size H W (style_loss divides)"),
    "occlusion": ("viz/occlusion.py", "np.arange(0, H - size + 1, stride)", "np.arange(0, H - size, stride)",
                  "occlusion: the squares' corners are at rows"),
    "inversion": ("viz/inversion.py", "prior = 2 * sigma ** 2", "prior = 1.0",
                  "known mistake: the priors not divided by 2 sigma^2"),
    "grad-cam": ("viz/gradcam.py", "return g.mean(axis=(1, 2))", "return g.sum(axis=(1, 2))",
                 "known mistake: the gradients summed over positions, not averaged"),
    "integrated-gradients": ("viz/integrated.py", "return (k + 0.5) / m, np.full(m, 1 / m)",
                             "return k / m, np.full(m, 1 / m)",
                             "known mistake: the points at k/m, not the middles (k + 1/2)/m"),
}]


@pytest.fixture(scope="module")
def lecture(tmp_path_factory):
    out = tmp_path_factory.mktemp("hw3") / "hw3"
    assignment.write(out, lecture=LECTURE_PARTS)
    return out


def solved(folder, tmp_path):
    """A copy of ``folder`` with every chosen part's real functions put back."""
    student = tmp_path / "solved"
    shutil.copytree(folder, student)
    for part in json.loads((folder / "assignment.json").read_text())["parts"]:
        rel, _ = assignment.PARTS[part]
        shutil.copy(PACKAGE / rel, student / "minicnn" / rel)
    return student


def test_the_lectures_parts_fail_until_written_and_pass_when_they_are(lecture, tmp_path):
    """Every part of the lecture fails (or waits, saying for what) until written; with the real
    functions back every test passes, and the grader gives full points."""
    assert json.loads((lecture / "assignment.json").read_text())["parts"] == CHOSEN
    results, _ = grade(lecture)
    failing = {part for part, message in results.values() if message not in (None, "skipped")}
    # these wait for relu_backward; the others have tests that need no network
    assert failing == set(CHOSEN) - {"fooling", "deepdream", "occlusion", "inversion"}
    assert {part for part, message in results.values() if message == "skipped"} == NET
    student = solved(lecture, tmp_path)
    results, _ = grade(student)
    assert all(message is None for _, message in results.values())
    rows = grade_module().grade(student)
    assert [r["part"] for r in rows] == CHOSEN
    assert all(r["points"] == 10 and r["tests"] >= 2 for r in rows)


@pytest.mark.parametrize("wrong", LECTURE_WRONG, ids=["first mistakes", "second mistakes"])
def test_the_lectures_common_mistakes_fail_saying_which(lecture, tmp_path, wrong):
    student = solved(lecture, tmp_path)
    make_mistakes(student, wrong)
    results, _ = grade(student)
    for part, (_, _, _, says) in wrong.items():
        messages = [m for p, m in results.values() if p == part and m not in (None, "skipped")]
        assert any(says in m for m in messages), (part, messages[:3])


def test_no_answer_of_the_lectures_parts_is_left_in_the_copy(lecture):
    test_no_answer_is_left_anywhere_in_the_copy(lecture)


def test_the_notebook_has_no_outputs_and_runs_once_the_parts_are_written(lecture, tmp_path):
    """assignment.ipynb: a section per part, no outputs in the copy (they could show an answer),
    and top to bottom without an error on the solved copy, drawing the lecture's figures."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(lecture / "assignment.ipynb", as_version=4)
    nbformat.validate(nb)
    assert all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code")
    text = "\n".join(cell.source for cell in nb.cells)
    for call in ('viz.run("saliency"', 'viz.run("neuron"', 'viz.run("adversarial"', 'viz.run("classviz"',
                 'viz.run("deepdream"', 'viz.run("style"', 'viz.run("occlusion"', 'viz.run("invert"',
                 'viz.run("gradcam"', 'viz.run("integrated-gradients"'):
        assert call in text
    student = solved(lecture, tmp_path)
    nb = nbformat.read(student / "assignment.ipynb", as_version=4)
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(student)}}).execute()
    images = sum("image/png" in output.get("data", {}) for cell in nb.cells if cell.cell_type == "code"
                 for output in cell.outputs)
    assert images >= 11
    backprop = nbformat.reads(assignment.notebook.notebook(["conv", "optimizers"], "Backward passes"), as_version=4)
    assert "gradcheck.run()" in "\n".join(c.source for c in backprop.cells)


WRONG_AGAIN = {   # a second mistake for each backward pass: part: (file, right text, mistake, what the failure says)
    "conv": ("layers/conv.py", "dw = xp.matmul(d, cols.transpose(0, 2, 1)).sum(axis=0)",
             "dw = xp.matmul(d[:1], cols[:1].transpose(0, 2, 1)).sum(axis=0)", "dw: shape (4, 3, 3, 3), relative error"),
    "relu": ("layers/relu.py", "return xp.where(mask, dout, 0)", "return xp.where(dout > 0, dout, 0)",
             "that is the deconvnet rule, not the backprop rule"),
    "maxpool": ("layers/maxpool.py", "for r in range(cols.shape[1]):", "for r in reversed(range(cols.shape[1])):",
                "maxpool: maxpool_backward with ties"),
    "avgpool": ("layers/avgpool.py", "share = dout.reshape(N * C, 1, Ho * Wo) / div",
                "share = dout.reshape(N * C, 1, Ho * Wo)", "for avgpool"),
    "linear": ("layers/linear.py", "return dx, dout.T @ x.reshape(N, D), dout.sum(axis=0)",
               "return dx, dout.T @ x.reshape(N, D), dout.sum(axis=1)", "db should have b's shape"),
    "concat": ("layers/concat.py", "pieces.append(dout[:, start:start + c])", "pieces.insert(0, dout[:, start:start + c])",
               "dx0 should have x0's shape"),
    "dropout": ("layers/dropout.py", "return dout if mask is None else dout * mask", "return dout", "for dropout"),
    "softmax": ("layers/softmax.py", "return p * (dout - (dout * p).sum(axis=axis, keepdims=True))",
                "return p * dout", "for softmax"),
    "gram": ("objectives.py", "return xp.matmul(dG + dG.transpose(0, 2, 1), V).reshape(shape)",
             "return xp.matmul(dG, V).reshape(shape)", "for gram"),
    "im2col": ("im2col/reference.py", "xp = np.full((N, C, Hp, Wp), fill, dtype=x.dtype)",
               "xp = np.full((N, C, Hp, Wp), 0.0, dtype=x.dtype)", "known mistake: padding read as 0, not fill"),
    "optimizers": ("train/optim.py", '    t = state.get("t", 0) + 1\n', '    dw = dw + weight_decay * w\n    t = state.get("t", 0) + 1\n',
                   "known mistake: weight decay added to the gradient (L2), not decoupled"),
}


def test_second_mistakes_fail_saying_where(everything, tmp_path):
    """Another wrong version of each backward pass, extra: the failure names the part, the
    configuration or input, and the output that is wrong (or the mistake)."""
    student = solved(everything, tmp_path)
    make_mistakes(student, WRONG_AGAIN)
    optim = student / "minicnn" / "train" / "optim.py"             # and the decoupled step taken out
    optim.write_text(optim.read_text().replace("        w = w - lr * weight_decay * w\n", "        pass\n"))
    results, printed = grade(student)
    for part, (_, _, _, says) in WRONG_AGAIN.items():
        messages = [m for p, m in results.values() if p == part and m not in (None, "skipped")]
        assert any(says in m for m in messages) or (messages and says in printed), (part, messages[:2])


@pytest.mark.parametrize("part", ALL_PARTS)
def test_each_part_alone_fails_only_its_own_tests(part, tmp_path):
    """A copy that blanks one part fails that part's tests and no other's; a test of another
    part may only wait (skipped, saying why) for it."""
    out = tmp_path / "hw"
    lecture = part in assignment.PARTS and part not in assignment.LAYERS + ["im2col", "gram", "optimizers"]
    assignment.write(out, layers=[] if part not in assignment.LAYERS else [part], lecture=[part] if lecture else None,
                     **{p: p == part for p in ("im2col", "gram", "optimizers")})
    results, _ = grade(out)
    failing = {p for p, message in results.values() if message not in (None, "skipped")}
    assert failing == {part}
    waiting = {p for p, message in results.values() if message == "skipped"}
    assert waiting <= {"conv", "maxpool", "avgpool", "style"} | NET


def test_a_whole_assignment_solved_is_graded_in_full(tmp_path):
    """Every part at once, solved with the real functions, graded on a fresh copy: full points."""
    out = tmp_path / "all"
    chosen = assignment.write(out, im2col=True, gram=True, optimizers=True, lecture=list(assignment.LECTURE))
    assert "gram" not in chosen and "style" in chosen                  # the style part holds the Gram matrix
    student = solved(out, tmp_path)
    rows = grade_module().grade(student)
    assert [r["part"] for r in rows] == chosen and all(r["points"] == 10 for r in rows), \
        [(r["part"], r["first_failure"]) for r in rows if r["points"] < 10]
    # the copy's own gallery: every technique, on the student's functions
    r = subprocess.run([sys.executable, "-m", "minicnn", "gallery", "--quick", "-o", str(tmp_path / "gallery")],
                       cwd=student, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and (tmp_path / "gallery" / "index.html").is_file(), r.stdout[-2000:] + r.stderr[-2000:]
