"""Writing files so that nobody ever sees half of one: atomic writes and JSON sidecars.

Every file minicnn writes (pictures, sidecars, model files) is written under a hidden
temporary name beside its destination, ``.NAME.PID.part``, and renamed over it only when
complete. A run stopped by Ctrl-C or SIGTERM removes its temporary file; one killed outright
(SIGKILL) leaves it behind, and the next write to the same destination removes it.

    check_output(path)                          # before any work: refuse paths that cannot be written
    atomic_write(path, lambda tmp: ...)         # write(tmp) fills the temporary file
    save_with_sidecar(path, write, {...})       # path and path + ".json": both appear, or neither
"""
import dataclasses
import json
import os
import stat
from pathlib import Path

import numpy as np

from .errors import OutputError


def sidecar_path(path):
    """The JSON file that describes a picture: NAME.png -> NAME.png.json."""
    path = Path(path)
    return path.with_name(path.name + ".json")


def check_output(path, with_sidecar=False):
    """Refuse, before any work is done, an output that cannot or must not be written: an empty
    name, an existing folder, device or FIFO (never replaced by a regular file), a folder
    that is a file. Returns the path. Folders that do not exist yet are created on writing."""
    if path is None or str(path).strip() == "":
        raise OutputError("the output file name is empty")
    path = Path(path)
    for p in [path] + ([sidecar_path(path)] if with_sidecar else []):
        try:
            mode = os.stat(p).st_mode
        except (FileNotFoundError, NotADirectoryError):         # not there yet (the folder is checked below)
            mode = None
        except OSError as e:
            raise OutputError(f"cannot write {p}: {e.strerror}") from None
        if mode is not None and not stat.S_ISREG(mode):
            kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
            raise OutputError(f"cannot write {p}: it exists and is {kind}")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(f"cannot write {path}: {parent} is not a folder")
    return path


def _temporary(path):
    return path.with_name(f".{path.name}.{os.getpid()}.part")


def _remove_stale(path):
    """Remove temporary files for ``path`` left by runs that were killed (their PID is gone)."""
    for tmp in path.parent.glob(f".{path.name}.*.part"):
        pid = tmp.name[len(path.name) + 2:-len(".part")]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            tmp.unlink(missing_ok=True)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:          # someone else's process
        return True
    return True


def atomic_write(path, write):
    """Write a file through write(tmp_path), then rename it to ``path``. Returns path.

    Nothing is left at ``path`` or beside it if write fails or the run is interrupted.
    """
    path = check_output(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(path)
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror or e}") from None
    tmp = _temporary(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror or e}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return path


def jsonable(value):
    """A value as plain JSON data: dataclasses as dicts, NumPy scalars and arrays as numbers and lists,
    paths and anything else as text."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def json_text(data):
    return json.dumps(jsonable(data), indent=2) + "\n"


def write_json(path, data):
    return atomic_write(path, lambda tmp: tmp.write_text(json_text(data), encoding="utf-8"))


def save_with_sidecar(path, write, sidecar):
    """Write ``path`` through write(tmp) and its JSON sidecar ``path``.json: both or neither."""
    path, side = check_output(path, with_sidecar=True), sidecar_path(path)
    text = json_text(sidecar)                    # fails (if it can) before anything is written
    atomic_write(path, write)
    try:
        atomic_write(side, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path
