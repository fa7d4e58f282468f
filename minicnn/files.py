"""Writing files so that nobody ever sees half of one: atomic writes and JSON sidecars.

Every file minicnn writes (pictures, sidecars, model files) is written under a hidden
temporary name beside its destination, ``.NAME.PID.part``, and renamed over it only when
complete. A run stopped by Ctrl-C or SIGTERM removes its temporary file (and any folder it
created for it); one killed outright (SIGKILL) leaves it behind, and the next write to the same
destination removes it.

    check_output(path, inputs=[...])            # before any work: refuse paths that must not be written
    atomic_write(path, lambda tmp: ...)         # write(tmp) fills the temporary file
    save_with_sidecar(path, write, {...})       # path and path + ".json": both appear, or neither
    write_folder(path, lambda tmp: ...)         # a whole folder, swapped in when complete
"""
import dataclasses
import json
import os
import shutil
import stat
import tempfile
from pathlib import Path

import numpy as np

from . import interrupt
from .errors import OutputError

MAX_NAME = 230         # a file name's length, leaving room for ".json" and the temporary name's additions


def sidecar_path(path):
    """The JSON file that describes a picture: NAME.png -> NAME.png.json."""
    path = Path(path)
    return path.with_name(path.name + ".json")


def check_output(path, with_sidecar=False, inputs=(), suffix=None):
    """Refuse, before any work is done, an output that cannot or must not be written: an empty
    or overlong name, one of the command's own inputs, an existing folder, link, device or FIFO
    (never replaced by a regular file), a folder that is a file, a name without ``suffix``.
    Returns the path. Folders that do not exist yet are created on writing."""
    if path is None or str(path).strip() == "":
        raise OutputError("the output file name is empty")
    path = Path(path)
    if len(path.name) > MAX_NAME:
        raise OutputError(f"the output file name is too long ({len(path.name)} characters, at most {MAX_NAME})")
    for p in [path] + ([sidecar_path(path)] if with_sidecar else []):
        try:
            mode = os.lstat(p).st_mode
        except (FileNotFoundError, NotADirectoryError):         # not there yet (the folder is checked below)
            continue
        except OSError as e:
            raise OutputError(f"cannot write {p}: {e.strerror}") from None
        if not stat.S_ISREG(mode):
            kind = {stat.S_ISDIR(mode): "a folder", stat.S_ISLNK(mode): "a link"}.get(True, "not a regular file")
            raise OutputError(f"cannot write {p}: it exists and is {kind}")
        for i in inputs:
            if i is not None and Path(i).exists() and os.path.samefile(p, i):
                raise OutputError(f"cannot write {p}: it is one of this command's inputs")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(f"cannot write {path}: {parent} is not a folder")
    _check_writable(parent, path)
    if suffix and path.suffix.lower() != suffix:
        raise OutputError(f"cannot write {path}: the file is a {suffix[1:].upper()}; give a name ending in {suffix}")
    return path


def _check_writable(folder, path):
    """Open a nameless file in ``folder`` (the output's folder, or the nearest one that exists):
    the one test that permissions, read-only disks and root all answer truthfully."""
    try:
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as e:
        raise OutputError(f"cannot write {path}: {folder} does not take new files ({e.strerror})") from None


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


def _make_folders(folder):
    """Create ``folder`` and its missing parents; return those created, deepest first."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for f in reversed(missing):
        f.mkdir()
    return missing


def atomic_write(path, write):
    """Write a file through write(tmp_path), then rename it to ``path``. Returns path.

    Nothing is left at ``path`` or beside it if write fails or the run is interrupted.
    """
    return write_together([(path, write)])[0]


def write_together(files):
    """Write several files [(path, write), ...] atomically: every temporary file is written
    first, then all are renamed. If anything fails before the renames, none of them appears
    (and files already at those paths are kept). Returns the paths."""
    paths = [check_output(p) for p, _ in files]
    created, temporaries = [], []
    try:
        for path in paths:
            created += _make_folders(path.parent)
            _remove_stale(path)
        for path, (_, write) in zip(paths, files):
            temporaries.append(_temporary(path))
            write(temporaries[-1])
        interrupt.check()                        # a Ctrl-C that a library swallowed: write nothing
        for tmp, path in zip(temporaries, paths):
            os.replace(tmp, path)
        created = []
    except OSError as e:
        raise OutputError(f"cannot write {paths[len(temporaries) - 1] if temporaries else paths[0]}: "
                          f"{e.strerror or e}") from None
    finally:
        for tmp in temporaries:
            tmp.unlink(missing_ok=True)
        for folder in created:                   # folders made for files that never appeared
            try:
                folder.rmdir()
            except OSError:
                pass
    return paths


def write_folder(path, build):
    """Make the folder ``path`` through build(tmp), which fills an empty temporary folder beside
    it; the finished folder then replaces whatever ``path`` was (the caller decides whether it
    may be replaced). Interrupted or failed, it leaves ``path`` as it was and no temporary."""
    path = Path(path)
    parent = path.parent
    if not os.access(parent if parent.exists() else Path("."), os.W_OK):
        raise OutputError(f"cannot write to {parent}")
    tmp, old = (path.with_name(f".{path.name}.{os.getpid()}.{what}") for what in ("part", "old"))
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
        build(tmp)
        interrupt.check()
        if path.exists():
            os.replace(path, old)
        os.replace(tmp, path)
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror or e}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
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
    path = check_output(path, with_sidecar=True)
    text = json_text(sidecar)                    # fails (if it can) before anything is written
    write_together([(path, write), (sidecar_path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))])
    return path
