import os
import subprocess
import sys


def run_cli(*args, env=None, timeout=300):
    """Run `python -m minicnn ARGS`; returns (exit code, stdout, stderr)."""
    full = dict(os.environ, **(env or {}))
    r = subprocess.run([sys.executable, "-m", "minicnn", *map(str, args)], capture_output=True, text=True,
                       env=full, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def assert_one_line_error(rc, err, *fragments):
    """A user error: exit code != 0, no traceback, and one 'minicnn: error: ...' line, the last
    thing printed (a progress bar may come before it)."""
    lines = [line for line in err.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("minicnn: error: ")]
    assert rc != 0, err
    assert "Traceback" not in err, err
    assert len(errors) == 1 and lines[-1] == errors[0], err
    for f in fragments:
        assert f in errors[0], (f, errors[0])
