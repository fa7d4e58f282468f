"""Saving pictures: a PNG plus a JSON sidecar holding the exact parameters that made it.

Both files are written under temporary names and renamed only when complete, so an
interrupted run never leaves a half-written picture behind. Matplotlib runs headless (Agg).
"""
import json
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _atomic_write(path, write):
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def save_figure(fig, path, params, dpi=100):
    """Write ``fig`` to ``path`` (PNG) and ``params`` to ``path`` + ".json"; close the figure."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sidecar = path.with_name(path.name + ".json")
    try:
        _atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=dpi, format="png", bbox_inches="tight"))
        _atomic_write(sidecar, lambda tmp: tmp.write_text(json.dumps(params, indent=2, default=str) + "\n"))
    finally:
        plt.close(fig)
    return path, sidecar
