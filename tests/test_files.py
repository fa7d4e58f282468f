"""Atomic writes, output checks and sidecars: nothing half-written, nothing destroyed."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from minicnn.errors import OutputError
from minicnn.files import atomic_write, check_output, jsonable, save_with_sidecar


def test_an_interrupted_write_leaves_nothing(tmp_path):
    target = tmp_path / "model.h5"

    def write(tmp):
        tmp.write_bytes(b"half")
        raise KeyboardInterrupt              # Ctrl-C, or SIGTERM turned into it by the command line
    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, write)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_rewrite_keeps_the_old_file(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("old")

    def write(tmp):
        tmp.write_text("new, half")
        raise RuntimeError("disk full")
    with pytest.raises(RuntimeError):
        atomic_write(target, write)
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_picture_and_sidecar_appear_together_or_not_at_all(tmp_path):
    path = save_with_sidecar(tmp_path / "p.png", lambda tmp: tmp.write_bytes(b"png"), {"a": np.float32(1.5)})
    assert json.loads((tmp_path / "p.png.json").read_text()) == {"a": 1.5} and path.read_bytes() == b"png"
    with pytest.raises(TypeError):                               # an unwritable sidecar: no picture either
        save_with_sidecar(tmp_path / "q.png", lambda tmp: tmp.write_bytes(b"png"), {"a": object.__new__(Bad)})
    assert not (tmp_path / "q.png").exists()


class Bad:
    def __str__(self):
        raise TypeError("cannot be text")


@pytest.mark.parametrize("name, message", [("", "empty"), ("folder", "is a folder"), ("file/x.png", "not a folder"),
                                           ("fifo", "not a regular file")])
def test_outputs_that_must_not_be_written(tmp_path, name, message):
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("x")
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(OutputError, match=message):
        check_output(str(tmp_path / name) if name else "")


def test_jsonable():
    assert jsonable({"a": np.arange(3), "b": (np.int64(2), None), 3: np.bool_(True)}) == \
        {"a": [0, 1, 2], "b": [2, None], "3": True}


def test_sigterm_stops_a_command_with_one_line_and_no_file(tmp_path, tiny):
    """A long class-model ascent stopped by SIGTERM: exit 130, 'interrupted', nothing written."""
    _, model, _ = tiny
    out = tmp_path / "out" / "c.png"
    p = subprocess.Popen([sys.executable, "-m", "minicnn", "classviz", "--model", str(model), "--target", "1",
                          "--iterations", "100000", "-o", str(out)], stderr=subprocess.PIPE, text=True)
    time.sleep(4)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 128 + signal.SIGTERM and err.strip().splitlines() == ["minicnn: interrupted"], err
    assert not out.parent.exists() or list(out.parent.iterdir()) == []
