"""`minicnn assignment grade DIR`: a student's folder graded by the teacher's own copy.

The student's folder is not trusted: its tests, its reference arrays and every file it was not
asked to change could have been edited. So a fresh copy with the same parts is written (the
teacher's tests and arrays), only the functions the student was asked to write (and any helper
functions and imports they added beside them) are taken from the student's files, and the tests
run there, in a separate Python, under a time limit. The result is a table of parts with points
and the first failure of each, also written as JSON for a course's grading system.
"""
import ast
import json
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from ..errors import ArgumentError
from ..files import atomic_write

RECORD = "assignment.json"          # in the copy: the parts chosen, for the grader


def grade(folder, points=10.0, timeout=600):
    """Grade the copy in ``folder``: [{"part", "points", "max_points", "passed", "failed",
    "skipped", "tests", "first_failure"}], one per part chosen, in the assignment's order."""
    from . import LAYERS, LECTURE, PARTS, write
    folder = Path(folder)
    record = folder / RECORD
    if not folder.is_dir():
        raise ArgumentError(f"assignment grade: no folder {folder}")
    if not record.is_file():
        raise ArgumentError(f"assignment grade: {folder} has no {RECORD}: it is not a copy made by "
                            "`minicnn assignment`")
    try:
        chosen = json.loads(record.read_text("utf-8"))["parts"]
        assert isinstance(chosen, list) and chosen and all(part in PARTS for part in chosen)
    except (ValueError, KeyError, TypeError, AssertionError):
        raise ArgumentError(f"assignment grade: {record} is damaged (it should list the parts chosen)") from None
    with tempfile.TemporaryDirectory(prefix="minicnn-grade-") as tmp:
        fresh = Path(tmp) / "copy"
        write(fresh, [p for p in chosen if p in LAYERS], **{p: p in chosen for p in ("im2col", "gram", "optimizers")},
              lecture=[p for p in chosen if p in LECTURE])
        problems = {}
        for part in chosen:
            rel, names = PARTS[part]
            try:
                splice(folder / "minicnn" / rel, fresh / "minicnn" / rel, names)
            except ArgumentError as e:
                problems[part] = str(e)
        results = _run(fresh, timeout)
    return [_row(part, results, problems.get(part), points) for part in chosen]


def splice(student, fresh, names):
    """Put the student's functions ``names`` (with the top-level functions and imports they added)
    from the file ``student`` into the stubbed file ``fresh``."""
    if not student.is_file():
        raise ArgumentError(f"{student.name} is missing")
    text = student.read_text("utf-8", errors="replace")
    try:
        theirs = ast.parse(text)
    except SyntaxError as e:
        raise ArgumentError(f"{student.name} does not parse: {e.msg} (line {e.lineno})") from None
    source = fresh.read_text("utf-8")
    ours = ast.parse(source)
    defined = {node.name for node in ours.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    imported = {ast.unparse(node) for node in ours.body if isinstance(node, (ast.Import, ast.ImportFrom))}
    found = {node.name: node for node in theirs.body if isinstance(node, ast.FunctionDef)}
    missing = [name for name in names if name not in found]
    if missing:
        raise ArgumentError(f"{student.name} has no function {', '.join(missing)}")
    lines = source.splitlines(keepends=True)
    for node in sorted((n for n in ours.body if isinstance(n, ast.FunctionDef) and n.name in names),
                       key=lambda n: -n.lineno):
        start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
        lines[start:node.end_lineno] = [ast.get_source_segment(text, found[node.name], padded=True) + "\n"]
    added = [ast.get_source_segment(text, node) for node in theirs.body
             if isinstance(node, ast.FunctionDef) and node.name not in defined and node.name not in names]
    imports = [ast.unparse(node) for node in theirs.body
               if isinstance(node, (ast.Import, ast.ImportFrom)) and ast.unparse(node) not in imported]
    head = ours.body[0].end_lineno if ours.body and isinstance(ours.body[0], ast.Expr) else 0   # the docstring
    lines[head:head] = [line + "\n" for line in imports]
    fresh.write_text("".join(lines) + "".join("\n\n" + f + "\n" for f in added), "utf-8")


def _run(fresh, timeout):
    """{test id: (part, "passed" | "skipped" | the failure's message)} of the tests in ``fresh``."""
    report = fresh / "report.xml"
    try:
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}"],
                       cwd=fresh, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ArgumentError(f"assignment grade: the tests took over {timeout} s (is there an endless loop?); "
                            "give --timeout to wait longer") from None
    if not report.is_file():
        raise ArgumentError("assignment grade: the tests did not run (pytest wrote no report)")
    results = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        name, file = case.get("name"), case.get("classname", "")
        failure = case.find("failure") if case.find("failure") is not None else case.find("error")
        status = ("skipped" if case.find("skipped") is not None else "passed" if failure is None
                  else (failure.get("message") or "failed"))
        results[name] = (part_of(file, name), status)
    return results


def part_of(classname, name):
    """The part a test grades: its file's (test_PART.py), except in test_backward.py, which
    grades several: there, the start of the test's id ("conv: ...")."""
    if not classname.endswith("test_backward"):
        return classname.rsplit(".", 1)[-1].removeprefix("test_").replace("_", "-")
    return name[name.index("[") + 1:name.index(":")] if "[" in name and ":" in name else "?"


def _row(part, results, problem, points):
    statuses = [status for p, status in results.values() if p == part]
    passed = sum(s == "passed" for s in statuses)
    skipped = sum(s == "skipped" for s in statuses)
    failures = [s for s in statuses if s not in ("passed", "skipped")]
    first = problem or (failures[0].splitlines()[0][:300] if failures else
                        "skipped: waits for im2col" if skipped else None)
    return {"part": part, "points": round(points * passed / len(statuses), 1) if statuses and not problem else 0.0,
            "max_points": points, "passed": passed, "failed": len(failures), "skipped": skipped,
            "tests": len(statuses), "first_failure": first}


def table(rows):
    """The rows of grade() as text."""
    head = ["part", "points", "tests passed", "first failure"]
    body = [[r["part"], f"{r['points']:g} / {r['max_points']:g}", f"{r['passed']} of {r['tests']}",
             r["first_failure"] or ""] for r in rows]
    total, most = sum(r["points"] for r in rows), sum(r["max_points"] for r in rows)
    body.append(["total", f"{total:g} / {most:g}", "", ""])
    widths = [max(len(r[i]) for r in [head] + body) for i in range(3)]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(r[:3], widths)) + "  " + r[3] for r in [head] + body)


def save(rows, path):
    """The rows as JSON at ``path`` (written whole or not at all)."""
    text = json.dumps({"parts": rows, "points": round(sum(r["points"] for r in rows), 1),
                       "max_points": sum(r["max_points"] for r in rows)}, indent=2) + "\n"
    atomic_write(Path(path), lambda tmp: Path(tmp).write_text(text, "utf-8"))
