"""`minicnn fetch` against a local HTTP server on 127.0.0.1 (no network needed)."""
import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from minicnn.io import load
from minicnn.io.fetch import SOURCES, fetch

from cli_helpers import assert_one_line_error, run_cli
from model_files import torchvision_squeezenet_state, write_pth


class Server:
    """Serves one file at /<name>, honours Range, can cut the first transfer short, or 404."""

    def __init__(self, name, data):
        self.name, self.data, self.cut_after, self.ranges = name, data, None, []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path != f"/{server.name}":
                    self.send_error(404, "Not Found")
                    return
                start = 0
                header = self.headers.get("Range")
                server.ranges.append(header)
                if header:
                    start = int(header.split("=")[1].split("-")[0])
                body = server.data[start:]
                self.send_response(206 if header else 200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if server.cut_after is not None:
                    self.wfile.write(body[:server.cut_after])        # then hang up mid-transfer
                    server.cut_after = None
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/{name}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def served(tmp_path):
    src = tmp_path / "src" / "squeezenet1_1-b8a52dc0.pth"
    src.parent.mkdir()
    write_pth(src, torchvision_squeezenet_state(np.random.RandomState(0)), legacy=True)
    data = src.read_bytes()
    server = Server(src.name, data)
    yield server, hashlib.sha256(data).hexdigest()
    server.close()


def files(path):
    return sorted(p.name for p in path.iterdir()) if path.exists() else []


def test_fetch_verifies_converts_and_cleans_up(tmp_path, served):
    server, sha = served
    home = tmp_path / "home"
    rc, out, err = run_cli("fetch", "squeezenet1_1", "--url", server.url, "--sha256", sha,
                           env={"MINICNN_HOME": str(home)})
    assert rc == 0, err
    assert files(home) == ["squeezenet1_1.h5"]                  # no .part, no leftover download
    net = load(home / "squeezenet1_1.h5")
    assert net.meta["provenance"]["sources"][0]["sha256"] == sha
    assert net.space.channels == "RGB"


def test_wrong_checksum_leaves_nothing(tmp_path, served):
    server, _ = served
    home = tmp_path / "home"
    rc, _, err = run_cli("fetch", "squeezenet1_1", "--url", server.url, env={"MINICNN_HOME": str(home)})
    assert_one_line_error(rc, err, "checksum mismatch", SOURCES[("squeezenet1_1", "torchvision")].digest.split(":")[1])
    assert files(home) == []


def test_http_error(tmp_path, served):
    server, sha = served
    home = tmp_path / "home"
    missing = server.url.replace(server.name, "missing.pth")
    rc, _, err = run_cli("fetch", "squeezenet1_1", "--url", missing, "--sha256", sha,
                         env={"MINICNN_HOME": str(home)})
    assert_one_line_error(rc, err, "HTTP 404")
    assert not (home / "squeezenet1_1.h5").exists()


def test_interrupted_download_resumes(tmp_path, served):
    server, sha = served
    out = tmp_path / "sq.h5"
    server.cut_after = 100_000
    with pytest.raises(Exception, match="run the same command again to resume"):
        fetch("squeezenet1_1", url=server.url, digest=f"sha256:{sha}", out=out, progress=False)
    assert not out.exists()
    part = tmp_path / ".squeezenet1_1-b8a52dc0.pth.part"           # hidden: never a name of the user's
    assert part.stat().st_size == 100_000
    fetch("squeezenet1_1", url=server.url, digest=f"sha256:{sha}", out=out, progress=False)
    assert server.ranges == [None, "bytes=100000-"]                # the second request resumed
    assert out.exists() and not part.exists()


def test_unknown_source():
    rc, _, err = run_cli("fetch", "squeezenet1_1", "--source", "keras")
    assert_one_line_error(rc, err, "no known download for 'squeezenet1_1' from 'keras'")


def test_table_has_every_model_and_a_digest_for_each():
    assert {n for n, _ in SOURCES} == {"vgg16", "vgg19", "squeezenet1_1"}
    for (name, source), entry in SOURCES.items():
        kind, _, hexdigest = entry.digest.partition(":")
        assert kind in ("md5", "sha256", "sha256-prefix") and int(hexdigest, 16) >= 0
        if source == "torchvision":           # torchvision names its files after their SHA-256
            assert f"-{hexdigest}.pth" in entry.url


def test_the_download_never_replaces_a_file_of_the_users(tmp_path, served):
    """A file of the user's with the download's name stays as it was; --keep refuses to replace it."""
    server, sha = served
    mine = tmp_path / "squeezenet1_1-b8a52dc0.pth"
    mine.write_text("mine")
    fetch("squeezenet1_1", url=server.url, digest=f"sha256:{sha}", out=tmp_path / "sq.h5", progress=False)
    assert mine.read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["sq.h5", mine.name]
    rc, _, err = run_cli("fetch", "squeezenet1_1", "--url", server.url, "--sha256", sha, "--keep",
                         "-o", tmp_path / "sq2.h5")
    assert_one_line_error(rc, err, "squeezenet1_1-b8a52dc0.pth")
    assert mine.read_text() == "mine" and not (tmp_path / "sq2.h5").exists()


def test_one_checksum_and_a_real_address(tmp_path, served):
    server, sha = served
    for args, fragment in ((["--url", server.url, "--sha256", sha, "--md5", "00"], "give one checksum"),
                           (["--url", ""], "not a download address"), (["--url", "http://[::1"], "not a download"),
                           (["--source", "caffe", "--url", server.url], "no checksum"),
                           (["--url", server.url, "--sha256", sha, "-o", ""], "output file name is empty")):
        rc, _, err = run_cli("fetch", "squeezenet1_1", *args, env={"MINICNN_HOME": str(tmp_path / "home")})
        assert_one_line_error(rc, err, fragment)
    assert not (tmp_path / "home").exists()
