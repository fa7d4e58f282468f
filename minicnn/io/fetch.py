"""Download official weights and convert them: `minicnn fetch vgg16|vgg19|squeezenet1_1`.

Each file is checked against the digest its publisher gives: Keras lists an MD5 for each VGG
file; torchvision puts the first 8 hex digits of the file's SHA-256 in its name (what
torch.hub itself checks). The full SHA-256 of what was downloaded is recorded in the model
file's provenance.

The download goes to ``<name>.part`` beside the model directory, resumes from where it stopped
(HTTP Range) when run again, and is verified before conversion; the model file appears only
when everything has succeeded. A wrong checksum deletes the download.
"""
import hashlib
import os
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from ..errors import FetchError, MinicnnError
from ..files import check_output
from ..models import MODELS
from ..progress import progress_bar
from .modelfile import model_dir

MAX_DOWNLOAD = 2 << 30           # bytes; VGG19's weights, the largest, are 575 MB
# (model, source) -> its Source in the registry, for every source with an official download.
SOURCES = {(name, s): source for name, model in MODELS.items() for s, source in model.sources.items() if source.url}


def _check_digest(path, digest):
    kind, _, expected = digest.partition(":")
    algorithm = {"md5": "md5", "sha256": "sha256", "sha256-prefix": "sha256"}.get(kind)
    if algorithm is None or not expected:
        raise FetchError(f"unknown checksum form {digest!r} (use md5:HEX, sha256:HEX or sha256-prefix:HEX)")
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    got = h.hexdigest()
    ok = got.startswith(expected.lower()) if kind == "sha256-prefix" else got == expected.lower()
    if not ok:
        raise FetchError(f"checksum mismatch for {path.name}: expected {kind} {expected}, got {got}; "
                         "the download was deleted")


def download(url, part, progress=None, timeout=30):
    """Download ``url`` into ``part``, resuming a partial file. Returns the number of bytes.
    Refuses to go past MAX_DOWNLOAD bytes (no model minicnn knows is near that)."""
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code == 416 and have:                     # nothing left to send: the file is complete
            return have
        raise FetchError(f"download of {url} failed: HTTP {e.code} {e.reason}") from None
    except (urllib.error.URLError, OSError) as e:
        raise FetchError(f"download of {url} failed: {getattr(e, 'reason', e)}") from None
    with response:
        if have and response.status != 206:           # the server ignored Range: start again
            have = 0
        length = response.headers.get("Content-Length")
        total = have + int(length) if length and length.isdigit() else None
        mode = "ab" if have else "wb"
        if total is not None and total > MAX_DOWNLOAD:
            raise FetchError(f"{url} is {total:,} bytes, more than the {MAX_DOWNLOAD:,} any model needs")
        with open(part, mode) as f, progress_bar(desc=part.name, progress=progress, total=total, initial=have,
                                                 unit="B", unit_scale=True) as bar:
            try:
                while True:
                    block = response.read(1 << 16)
                    if not block:
                        break
                    if f.tell() + len(block) > MAX_DOWNLOAD:
                        raise FetchError(f"{url} goes on past {MAX_DOWNLOAD:,} bytes, more than any model needs")
                    f.write(block)
                    bar.update(len(block))
            except (OSError, urllib.error.URLError) as e:
                raise FetchError(f"download of {url} was interrupted after {f.tell():,} bytes ({e}); "
                                 "run the same command again to resume") from None
        size = part.stat().st_size
    if total is not None and size < total:
        raise FetchError(f"download of {url} stopped at {size:,} of {total:,} bytes; "
                         "run the same command again to resume")
    return size


def fetch(name, source=None, url=None, digest=None, out=None, progress=None, keep=False):
    """Download ``name`` from ``source`` (default per model), verify, convert to ``out``
    (default <model dir>/<name>.h5). url/digest override the registry (for mirrors and tests).

    The download is kept hidden beside ``out`` (.FILE.part while it arrives, resumable; .FILE
    once verified) so that it never replaces a file of the user's; keep=True leaves it as FILE.
    """
    from .convert import reader_for, convert
    source = source or (MODELS[name].default_source if name in MODELS else None)
    entry = SOURCES.get((name, source))
    if entry is None and url is None:
        known = ", ".join(f"{n} --source {s}" for n, s in SOURCES)
        raise FetchError(f"no known download for {name!r} from {source!r}; known: {known}")
    url = entry.url if url is None else url
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https", "file") or not parts.path.strip("/"):
        raise FetchError(f"not a download address: {url!r} (expected http://, https:// or file://)")
    digest = digest if digest is not None else (entry.digest if entry else None)
    if digest is None:
        raise FetchError(f"no checksum to verify {url} against: give --sha256 or --md5")
    filename = Path(parts.path).name
    try:
        reader_for(Path(filename))
    except MinicnnError:
        raise FetchError(f"cannot convert {filename!r} after downloading it: fetch converts Keras .h5 and "
                         "torchvision .pth files (for Caffe weights use `minicnn convert` with the prototxt)") from None
    out = check_output(model_dir() / f"{name}.h5" if out is None else out)
    kept = out.with_name(filename)
    if keep and os.path.lexists(kept):
        raise FetchError(f"--keep would replace {kept}, which is already there; move it away first")
    if kept == out:
        raise FetchError(f"the model file {out} would have the download's own name; choose another -o")
    hidden = out.with_name("." + filename)
    part = hidden.with_name(hidden.name + ".part")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise FetchError(f"cannot create {out.parent}: {e.strerror}") from None
    download(url, part, progress=progress)
    try:
        _check_digest(part, digest)
    except FetchError:
        part.unlink()
        raise
    os.replace(part, hidden)            # the converters recognise the format by the file's suffix
    try:
        convert(hidden, out, arch=name)
        if keep:
            os.replace(hidden, kept)
    finally:
        hidden.unlink(missing_ok=True)
    return out
