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

from tqdm import tqdm

from ..errors import FetchError
from ..files import check_output
from ..models import MODELS
from .modelfile import model_dir

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


def download(url, part, progress=True, timeout=30):
    """Download ``url`` into ``part``, resuming a partial file. Returns the number of bytes."""
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
        with open(part, mode) as f, tqdm(total=total, initial=have, unit="B", unit_scale=True,
                                         desc=part.name, disable=not progress) as bar:
            try:
                while True:
                    block = response.read(1 << 16)
                    if not block:
                        break
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


def fetch(name, source=None, url=None, digest=None, out=None, progress=True, keep=False):
    """Download ``name`` from ``source`` (default per model), verify, convert to ``out``
    (default <model dir>/<name>.h5). url/digest override the table (for mirrors and tests)."""
    from .convert import convert
    source = source or (MODELS[name].default_source if name in MODELS else None)
    entry = SOURCES.get((name, source))
    if entry is None and url is None:
        known = ", ".join(f"{n} --source {s}" for n, s in SOURCES)
        raise FetchError(f"no known download for {name!r} from {source!r}; known: {known}")
    url = url or entry.url
    if urllib.parse.urlsplit(url).scheme not in ("http", "https", "file") or not urllib.parse.urlsplit(url).path:
        raise FetchError(f"not a download address: {url!r} (expected http://, https:// or file://)")
    digest = digest or entry.digest
    if digest is None:
        raise FetchError(f"no checksum to verify {url} against: give --sha256 or --md5")
    out = check_output(out or model_dir() / f"{name}.h5")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise FetchError(f"cannot create {out.parent}: {e.strerror}") from None
    part = out.with_name(Path(url.split("?")[0]).name + ".part")
    download(url, part, progress=progress)
    try:
        _check_digest(part, digest)
    except FetchError:
        part.unlink()
        raise
    # Converters recognise the format by the file name, so give the download its real name.
    done = part.with_name(part.name[:-len(".part")])
    os.replace(part, done)
    try:
        convert(done, out, arch=name)
    finally:
        if not keep and done.exists():
            done.unlink()
    return out
