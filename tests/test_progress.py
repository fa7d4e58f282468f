"""Progress where it can be seen: tqdm's bar on a terminal, its widget in a notebook, and plain
lines in a log (stderr to a file), from every long loop of the command line."""
import io
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from minicnn import progress
from minicnn.progress import LogLines, progress_bar

LINE = re.compile(r"^(?P<desc>[\w\- ]+): (?P<n>[\d,]+)(/(?P<total>[\d,]+))?( \w+)?( \((?P<pct>\d+) %\))?, "
                  r"[\d.]+ (s|min)(, about [\d.]+ (s|min) left)?(, done)?$")


def lines_of(text):
    return [line for line in text.splitlines() if line.strip()]


def test_a_loop_shorter_than_the_interval_writes_nothing(capsys):
    assert list(LogLines(range(5), "quick")) == [0, 1, 2, 3, 4]
    assert capsys.readouterr().err == ""


def test_a_log_gets_a_line_per_interval_and_one_at_the_end(capsys, monkeypatch):
    monkeypatch.setenv("MINICNN_LOG_EVERY", "0")               # every step is an interval
    for _ in LogLines(range(4), "occlusion", unit="rows"):
        pass
    err = lines_of(capsys.readouterr().err)
    assert [re.match(r"occlusion: (\d)/4 rows \((\d+) %\)", line).groups() for line in err] == \
        [("1", "25"), ("2", "50"), ("3", "75"), ("4", "100")]
    assert all(LINE.match(line) for line in err), err
    assert err[-1].endswith(", done") and "left" in err[0] and "left" not in err[-1]


def test_a_loop_that_stops_early_ends_with_where_it_stopped(capsys, monkeypatch):
    monkeypatch.setenv("MINICNN_LOG_EVERY", "0")
    for i in LogLines(range(10), "fooling", unit="steps"):
        if i == 3:
            break                                               # the target reached
    err = lines_of(capsys.readouterr().err)
    assert err[-1].startswith("fooling: 3/10 steps (30 %), ") and not err[-1].endswith("done")
    assert "left" not in err[-1] and len(err) == 4


def test_downloads_count_bytes_from_where_they_resumed(capsys, monkeypatch):
    monkeypatch.setenv("MINICNN_LOG_EVERY", "0")
    with LogLines(None, "vgg16.h5.part", total=5_300_000, initial=1_000_000, unit="B", unit_scale=True) as bar:
        bar.update(1_000_000)
    first = lines_of(capsys.readouterr().err)[0]
    assert first.startswith("vgg16.h5.part: 2.0 MB/5.3 MB (38 %), ")
    # 1 MB of the 4.3 MB to fetch took the time so far: 3.3 more take 3.3 times as long
    elapsed, left = (float(v) for v in re.search(r", ([\d.]+) s, about ([\d.]+) s left", first).groups())
    assert left == pytest.approx(3.3 * elapsed, abs=0.11)


def test_the_front_end_follows_where_stderr_goes(monkeypatch):
    from tqdm import tqdm

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stderr", Terminal())
    assert isinstance(progress_bar(range(3), "x", None), tqdm)
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert isinstance(progress_bar(range(3), "x", None), LogLines)
    silent = progress_bar(range(3), "x", False)
    assert list(silent) == [0, 1, 2] and silent.disable
    assert not progress.in_notebook()


def test_t_sne_reports_its_iterations(capsys, monkeypatch):
    from minicnn.viz.codes import TSNE_ITERATIONS, tsne
    monkeypatch.setenv("MINICNN_LOG_EVERY", "0")
    codes = np.random.RandomState(0).randn(40, 8)
    quiet = tsne(codes, perplexity=5, progress=False)
    assert capsys.readouterr().err == ""
    points = tsne(codes, perplexity=5, progress=True)
    steps = [int(m.group(1).replace(",", "")) for m in re.finditer(r"t-SNE: ([\d,]+)/", capsys.readouterr().err)]
    assert steps[0] == 50 and steps == sorted(steps) and TSNE_ITERATIONS - 50 <= steps[-1] <= TSNE_ITERATIONS
    np.testing.assert_array_equal(points, quiet)             # reading its lines changes nothing


# A command run with stderr to a file (a log): each long loop writes its lines there.
COMMANDS = [
    (["occlusion", "{image}", "--model", "{model}", "--stride", "4"], ["occlusion"]),
    (["saliency", "{image}", "--model", "{model}", "--samples", "30"], ["SmoothGrad"]),
    (["segment", "{image}", "--model", "{model}"], ["SmoothGrad", "GrabCut"]),
    (["tsne", "--images", "{images}", "--model", "{model}"], ["codes", "t-SNE"]),
    (["deepdream", "{image}", "--model", "{model}", "--iterations", "3", "--octaves", "2"], ["deepdream"]),
    (["classviz", "--model", "{model}", "--target", "1", "--iterations", "5"], ["classviz fc 1"]),
    (["top-patches", "--model", "{model}", "--images", "{images}", "--crops", "20", "--batch", "4"],
     ["top patches"]),
]


@pytest.mark.parametrize("args, loops", COMMANDS, ids=[c[0][0] for c in COMMANDS])
def test_a_command_logging_to_a_file_writes_progress_lines(tmp_path, tiny, args, loops):
    from PIL import Image
    _, model, image = tiny
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(8):
        Image.fromarray(np.random.RandomState(i).randint(0, 256, (40, 50, 3)).astype(np.uint8)).save(photos / f"{i}.png")
    names = {"image": image, "model": model, "images": photos}
    log = tmp_path / "log.txt"
    with open(log, "w") as stderr:
        r = subprocess.run([sys.executable, "-m", "minicnn", *[a.format(**names) for a in args],
                            "-o", str(tmp_path / "x.png")], stderr=stderr, stdout=subprocess.PIPE, text=True,
                           env=dict(os.environ, MINICNN_LOG_EVERY="0"), timeout=300)
    err = lines_of(log.read_text())
    assert r.returncode == 0, err
    assert all(LINE.match(line) for line in err), err
    for loop in loops:
        mine = [line for line in err if line.startswith(loop + ":")]
        assert mine and mine[-1].endswith(", done") and "(100 %)" in mine[-1], (loop, err)


def test_a_notebook_shows_the_widget(tiny):
    nbformat = pytest.importorskip("nbformat", reason="the notebook test needs nbformat and nbclient (the dev extra)")
    nbclient = pytest.importorskip("nbclient", reason="the notebook test needs nbclient (the dev extra)")
    pytest.importorskip("ipywidgets", reason="tqdm's notebook widget needs ipywidgets (the dev extra)")
    _, model, image = tiny
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        f"import minicnn\nnet = minicnn.load({str(model)!r})\n"
        f"x = net.space.preprocess(minicnn.images.load_image({str(image)!r}))\n"
        "print(minicnn.viz.run('saliency', net, x, samples=30).summary())")]
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3").execute()
    outputs = nb.cells[0].outputs
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs), outputs
    assert any("saliency for" in o.get("text", "") for o in outputs)


@pytest.mark.parametrize("value", ["abc", "-1", "inf", "nan"])
def test_a_bad_interval_is_refused_before_any_work(tmp_path, value):
    from cli_helpers import assert_one_line_error, run_cli
    out = tmp_path / "x.png"
    rc, _, err = run_cli("classviz", "--target", "1", "--iterations", "100000", "-o", out,
                         env={"MINICNN_LOG_EVERY": value})
    assert_one_line_error(rc, err, f"MINICNN_LOG_EVERY must be a number of seconds >= 0, got {value!r}")
    assert list(tmp_path.iterdir()) == []
