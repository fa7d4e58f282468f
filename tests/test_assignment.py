"""`minicnn assignment`: the student's copy fails exactly the chosen parts' tests, passes them
all with the real functions back, and a wrong backward fails naming its configuration."""
import ast
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from minicnn import assignment
from minicnn.errors import ArgumentError

from cli_helpers import assert_one_line_error, run_cli

PACKAGE = Path(assignment.__file__).resolve().parents[1]
ALL_PARTS = list(assignment.PARTS)


def grade(folder):
    """Run the student's tests from their folder, as the README says: {test id: (part, failure
    message or None)}. The installed minicnn (this one) is on the path too."""
    report = folder / "report.xml"
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}"],
                       cwd=folder, capture_output=True, text=True, timeout=600)
    assert r.returncode in (0, 1), r.stdout[-3000:] + r.stderr[-3000:]       # ran (pass or fail), no crash
    results = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        name = case.get("name")
        failure = case.find("failure")
        results[name] = (part_of(case.get("classname"), name), None if failure is None else failure.get("message"))
    return results, r.stdout


def part_of(classname, name):
    """The assignment part a test grades: its file for im2col and the optimizers, else its id."""
    if classname.endswith("test_im2col"):
        return "im2col"
    if classname.endswith("test_optimizers"):
        return "optimizers"
    return name[name.index("[") + 1:name.index(":")]


@pytest.fixture(scope="module")
def everything(tmp_path_factory):
    out = tmp_path_factory.mktemp("hw") / "hw"
    assignment.write(out, im2col=True, gram=True, optimizers=True)
    return out


def test_a_chosen_im2col_fails_only_its_own_tests(tmp_path):
    """The layers of the copy take the Numba im2col while the student writes the reference one:
    a convolution's backward is graded whether or not im2col is written yet."""
    out = tmp_path / "hw"
    assignment.write(out, layers=["relu"], im2col=True)
    results, _ = grade(out)
    assert {part for part, message in results.values() if message is not None} == {"relu", "im2col"}


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
    results, _ = grade(everything)
    assert all(message and "NotImplementedError" in message for _, message in results.values())
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
    source = {p.relative_to(PACKAGE) for p in PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert copied == source
    readme = (everything / "README.md").read_text()
    assert "`layers/conv.py`: `conv_backward`" in readme and "`train/optim.py`: `sgd`, `adam`" in readme
    r = subprocess.run([sys.executable, "-c", "import minicnn, sys; print(minicnn.__file__)"], cwd=everything,
                       capture_output=True, text=True)
    assert Path(r.stdout.strip()).resolve() == (everything / "minicnn" / "__init__.py").resolve()


@pytest.mark.cpu
def test_the_copys_net_runs_the_students_layers(everything):
    """The fast paths would run instead of the student's backward passes: the copy turns them off."""
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
