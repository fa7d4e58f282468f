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
from minicnn.assignment.grade import part_of
from minicnn.errors import ArgumentError

from cli_helpers import assert_one_line_error, run_cli

PACKAGE = Path(assignment.__file__).resolve().parents[1]
ALL_PARTS = list(assignment.PARTS)


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
    assert {part for part, message in results.values() if message == "skipped"} == {"conv", "maxpool", "avgpool"}


def test_the_copy_fails_exactly_the_chosen_parts_with_not_implemented(tmp_path):
    out = tmp_path / "hw"
    rc, printed, err = run_cli("assignment", out, "--layers", "conv,maxpool,softmax", "--gram")
    assert rc == 0, err
    results, _ = grade(out)
    assert {part for part, _ in results.values()} == set(ALL_PARTS)      # every part is graded
    failed = {part for part, message in results.values() if message is not None}
    assert failed == {"conv", "maxpool", "softmax", "gram"}
    assert all("NotImplementedError" in message for _, message in results.values() if message is not None)
    assert all(message is None for part, message in results.values() if part not in failed)


def test_every_part_stubbed_and_then_every_real_function_put_back(everything, tmp_path):
    """With im2col not written, the layers that run it are skipped, saying so; every other test
    fails with NotImplementedError."""
    results, printed = grade(everything)
    skipped = {part for part, message in results.values() if message == "skipped"}
    assert skipped == {"conv", "maxpool", "avgpool"}
    assert all("NotImplementedError" in message for _, message in results.values() if message != "skipped")
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider"], cwd=everything,
                       capture_output=True, text=True, timeout=600)
    assert "write im2col/reference.py first" in r.stdout
    student = tmp_path / "hw"
    shutil.copytree(everything, student)
    for rel, _ in assignment.PARTS.values():
        shutil.copy(PACKAGE / rel, student / "minicnn" / rel)
    results, _ = grade(student)
    assert len(results) > 40 and all(message is None for _, message in results.values())


def test_a_wrong_backward_fails_naming_the_configuration(everything, tmp_path):
    student = tmp_path / "hw"
    shutil.copytree(everything, student)
    for rel, _ in assignment.PARTS.values():
        shutil.copy(PACKAGE / rel, student / "minicnn" / rel)
    conv = student / "minicnn" / "layers" / "conv.py"
    right = "dcols = xp.matmul(w.reshape(F, -1).T, d)"
    assert right in conv.read_text()
    # correlation and convolution confused: the kernel flipped (transposed in both axes) in dx
    conv.write_text(conv.read_text().replace(right, "dcols = xp.matmul(w[:, :, ::-1, ::-1].reshape(F, -1).T, d)"))
    results, printed = grade(student)
    failed = {name: message for name, (part, message) in results.items() if message is not None}
    assert failed and all(results[name][0] == "conv" for name in failed)
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
    return isinstance(statement, ast.Assign) and (isinstance(value, (ast.Name, ast.Attribute)) or (
        isinstance(value, ast.Call) and getattr(value.func, "id", "") == "get_array_module"))


def test_no_answer_is_left_anywhere_in_the_copy(everything):
    """With every part blanked, no file of the copy holds a statement of a blanked body, or a
    text that gives a part's answer away (answers.FINGERPRINTS); nothing is compiled."""
    from minicnn.assignment.answers import FINGERPRINTS
    files = [p for p in everything.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert not [p for p in files if p.suffix in (".pyc", ".so", ".pyd")]
    texts = {p.relative_to(everything): p.read_text("utf-8") for p in files if p.suffix not in (".npz", ".h5")}
    leaks = [(part, text, str(where)) for part, prints in FINGERPRINTS.items() for text in prints
             for where, t in texts.items() if text in t]
    for part, (rel, names) in assignment.PARTS.items():
        statements = set(body_lines(rel, names))
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


def test_common_mistakes_fail_saying_which(everything, tmp_path):
    """A wrong version of each part, of a kind students write: the failure names the part and
    the input, and says which mistake it is where it is a known one."""
    student = tmp_path / "hw"
    shutil.copytree(everything, student)
    for rel, _ in assignment.PARTS.values():
        shutil.copy(PACKAGE / rel, student / "minicnn" / rel)
    for rel, right, wrong, _ in WRONG.values():
        path = student / "minicnn" / rel
        assert path.read_text().count(right) == 1, right
        path.write_text(path.read_text().replace(right, wrong))
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
             (["grade", "{endless}", "--points", "0"], "--points must be > 0")]


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
