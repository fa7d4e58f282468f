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
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from ..errors import MinicnnError
from . import model_dir


class FetchError(MinicnnError):
    """A download that failed, was interrupted or did not match its checksum."""


@dataclass(frozen=True)
class Source:
    url: str
    digest: str          # "md5:<hex>", "sha256:<hex>" or "sha256-prefix:<hex>"


KERAS = "https://storage.googleapis.com/tensorflow/keras-applications"
TORCHVISION = "https://download.pytorch.org/models"
SOURCES = {
    ("vgg16", "keras"): Source(f"{KERAS}/vgg16/vgg16_weights_tf_dim_ordering_tf_kernels.h5",
                               "md5:64373286793e3c8b2b4e3219cbf3544b"),
    ("vgg19", "keras"): Source(f"{KERAS}/vgg19/vgg19_weights_tf_dim_ordering_tf_kernels.h5",
                               "md5:cbe5617147190e668d6c5d5026f83318"),
    ("vgg16", "torchvision"): Source(f"{TORCHVISION}/vgg16-397923af.pth", "sha256-prefix:397923af"),
    ("vgg19", "torchvision"): Source(f"{TORCHVISION}/vgg19-dcbb9e9d.pth", "sha256-prefix:dcbb9e9d"),
    ("squeezenet1_1", "torchvision"): Source(f"{TORCHVISION}/squeezenet1_1-b8a52dc0.pth",
                                             "sha256-prefix:b8a52dc0"),
}
DEFAULT_SOURCE = {"vgg16": "keras", "vgg19": "keras", "squeezenet1_1": "torchvision"}


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
    source = source or DEFAULT_SOURCE.get(name)
    entry = SOURCES.get((name, source))
    if entry is None and url is None:
        known = ", ".join(f"{n} --source {s}" for n, s in SOURCES)
        raise FetchError(f"no known download for {name!r} from {source!r}; known: {known}")
    url = url or entry.url
    digest = digest or entry.digest
    out = Path(out) if out else model_dir() / f"{name}.h5"
    out.parent.mkdir(parents=True, exist_ok=True)
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
