"""The command line's start-up: `import minicnn` is instant, and Ctrl-C while NumPy and the
techniques load (the first half second) ends like Ctrl-C later: one line, status 130. A Ctrl-C
that a library swallows still stops the command before it writes anything."""
import os
import signal
import subprocess
import sys

import pytest


def test_import_minicnn_loads_nothing_heavy():
    code = "import sys, minicnn; print(sorted(m for m in ('numpy', 'minicnn.net', 'minicnn.viz') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_names_load_on_first_use():
    code = ("import minicnn; from minicnn import Net, load; "
            "print(Net.__module__, load.__module__, minicnn.viz.run.__module__, minicnn.backend.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["minicnn.net", "minicnn.io.modelfile", "minicnn.viz.registry", "minicnn.backend"]
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        import minicnn
        minicnn.nothing


# Python reports each module as its import finishes (-X importtime, on stderr as it happens):
# SIGINT is sent the moment one of these is reported, while the rest of start-up is still loading.
DURING = ["minicnn.cli", "numpy", "PIL.Image", "matplotlib.pyplot", "minicnn.progress", "minicnn.viz.registry"]


@pytest.mark.parametrize("module", DURING)
def test_ctrl_c_during_start_up_is_one_line_and_status_130(tmp_path, module):
    out = tmp_path / "s.png"
    p = subprocess.Popen([sys.executable, "-X", "importtime", "-m", "minicnn", "saliency", "sample:1", "-o", str(out)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in p.stderr:
        if line.startswith("import time:") and line.split("|")[-1].strip() == module:
            p.send_signal(signal.SIGINT)
            break
    else:
        pytest.fail(f"{module} was never imported")
    rest, _ = p.stderr.read(), p.wait(timeout=120)
    lines = [line for line in rest.splitlines() if not line.startswith("import time:")]
    assert lines == ["minicnn: interrupted"], rest[-3000:]
    # 130 from main(); a process that Python ends with SIGINT itself (it does so when a library's
    # import saw the KeyboardInterrupt pass) shows as -2 here and as 130 in a shell.
    assert p.returncode in (128 + signal.SIGINT, -signal.SIGINT)
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_a_ctrl_c_that_a_library_swallows_still_stops_the_command(tmp_path, capsys, monkeypatch, tiny):
    from dataclasses import replace

    from minicnn import cli, viz
    saliency = viz.TECHNIQUES["saliency"]

    def swallowing(net, x, settings):
        try:                                 # as an optional import wrapped in a broad except would
            os.kill(os.getpid(), signal.SIGINT)
            signal.sigtimedwait([], 0.01) if hasattr(signal, "sigtimedwait") else None
            sum(range(10_000))               # the handler runs between bytecodes
        except BaseException:
            pass
        return saliency.run(net, x, settings)

    monkeypatch.setitem(viz.TECHNIQUES, "saliency", replace(saliency, run=swallowing))
    out = tmp_path / "s.png"
    rc = cli.main(["saliency", str(tiny[2]), "--model", str(tiny[1]), "-o", str(out)])
    assert rc == 128 + signal.SIGINT and capsys.readouterr().err.strip().splitlines()[-1] == "minicnn: interrupted"
    assert list(tmp_path.iterdir()) == []
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler     # pytest's own, given back
    rc = cli.main(["saliency", str(tiny[2]), "--model", str(tiny[1]), "-o", str(out)])
    assert rc == 130 and not out.exists()       # (the technique still swallows one) ...
    monkeypatch.setitem(viz.TECHNIQUES, "saliency", saliency)
    assert cli.main(["saliency", str(tiny[2]), "--model", str(tiny[1]), "-o", str(out)]) == 0 and out.exists()


def test_ctrl_c_from_a_terminal_reaches_the_workers_too_and_is_still_one_line(tmp_path, tiny):
    """A terminal sends SIGINT to every process of the command: top-patches' worker processes
    ignore it, and the command says so once."""
    _, model, image = tiny
    p = subprocess.Popen([sys.executable, "-m", "minicnn", "top-patches", "--model", str(model), "--images",
                          ",".join([str(image)] * 50), "--crops", "100", "--batch", "4", "--workers", "2",
                          "-o", str(tmp_path / "t.png")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=dict(os.environ, MINICNN_LOG_EVERY="0"), start_new_session=True)
    first = p.stderr.readline()                       # the workers are at work
    assert first.startswith("top patches: "), first + p.stderr.read()
    os.killpg(p.pid, signal.SIGINT)
    rest, _ = p.stderr.read(), p.wait(timeout=120)
    lines = [line for line in rest.splitlines() if not line.startswith("top patches: ")]
    assert lines == ["minicnn: interrupted"], rest[-3000:]
    assert p.returncode in (128 + signal.SIGINT, -signal.SIGINT)
    assert list(tmp_path.iterdir()) == []


def test_a_reader_that_goes_away_does_not_cost_the_files(tmp_path):
    """`minicnn saliency ... | head -0`: printing fails, the picture is still written, status 0."""
    out = tmp_path / "s.png"
    r, w = os.pipe()
    os.close(r)                                        # the reader is gone before anything is printed
    p = subprocess.run([sys.executable, "-m", "minicnn", "saliency", "sample:1", "-o", str(out)], stdout=w,
                       stderr=subprocess.PIPE, text=True, timeout=120)
    os.close(w)
    assert p.returncode == 0 and p.stderr == ""
    assert sorted(q.name for q in tmp_path.iterdir()) == ["s.png", "s.png.json"]
