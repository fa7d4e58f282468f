"""What a converted model file records about where it came from: every source file's name and
SHA-256, and the converter's version."""
import hashlib
from pathlib import Path

CONVERTER_VERSION = "minicnn-convert 1"


def sha256(path, chunk=1 << 20):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def provenance(*sources, **extra):
    """{"sources": [{"file", "sha256"}, ...], "converter": ..., **extra}."""
    return {"sources": [{"file": Path(s).name, "sha256": sha256(s)} for s in sources],
            "converter": CONVERTER_VERSION, **extra}
