"""`minicnn gallery`: the whole lecture on one static page, for the default model (and SqueezeNet
where ../shared has it), opened in a real browser where Chromium is installed."""
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import minicnn
from minicnn import gallery, viz
from minicnn.errors import MinicnnError, OutputError

from cli_helpers import assert_one_line_error, run_cli

LECTURE_ORDER = ["filters", "activations", "top-patches", "tsne", "occlusion", "saliency", "segment", "neuron", "classviz",
                 "invert", "deepdream", "style", "adversarial", "fgsm", "fool", "linear-example", "break-linear",
                 "gradcam", "integrated-gradients", "lrp", "sanity", "deletion"]


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """The quick gallery of the default model: (folder, failures, printed lines)."""
    out = tmp_path_factory.mktemp("gallery") / "g"
    lines = []
    failed = gallery.render(minicnn.load(), out, quick=True, report=lines.append)
    return out, failed, lines


def figures(folder):
    """[(technique, caption html, img src or None)] in page order."""
    text = (folder / "index.html").read_text("utf-8")
    return [(m.group(3), m.group(0), m.group(2))
            for m in re.finditer(r'<figure>(<img src="([^"]+)"[^>]*>)?<figcaption[^>]*><b>([^<]+)</b>.*?</figure>',
                                 text, re.S)]


def test_every_technique_of_the_registry_is_on_the_page_in_the_lectures_order(page):
    folder, failed, _ = page
    assert failed == 0
    assert set(LECTURE_ORDER) == set(viz.TECHNIQUES)               # a new technique must join the page
    shown = [t for t, _, _ in figures(folder)]
    assert sorted(set(shown), key=shown.index) == LECTURE_ORDER
    assert (folder / gallery.MARKER).exists() and not list(folder.parent.glob(".g.*"))


def test_each_figure_is_a_real_picture_with_its_sidecar_paper_settings_and_time(page):
    folder, _, _ = page
    for technique, caption, src in figures(folder):
        if src is None:                                            # said on the page: a colour-only variant
            assert "not shown: keeping the content&#x27;s colours needs a colour model" in caption
            continue
        with Image.open(folder / src) as im:
            a = np.asarray(im.convert("L"), np.float64)
        assert a.std() > 10, src                                   # not blank, not one grey
        sidecar = json.loads((folder / (src + ".json")).read_text())
        assert sidecar["technique"] == technique and sidecar["paper"] == viz.TECHNIQUES[technique].paper
        assert html.escape(sidecar["paper"]) in caption
        assert f'href="{src}.json"' in caption
        seconds = float(re.search(r"([0-9.]+) s\. <a", caption).group(1))
        assert seconds == pytest.approx(sidecar["seconds"], abs=0.051)
        for key, value in sidecar["settings"].items():            # every setting used, named in the caption
            if value is not None:
                assert html.escape(f"{key}={value}") in caption, (key, caption)


def test_the_page_starts_with_the_models_provenance(page):
    folder, _, _ = page
    text = (folder / "index.html").read_text("utf-8")
    net = minicnn.load()
    prov = net.meta["provenance"]
    from minicnn.io.provenance import sha256
    head = text[:text.index("<h2>")]
    assert f"{100 * prov['held_out_accuracy']:.2f} %" in head and sha256(net.meta["path"]) in head
    assert html.escape(prov["command"]) in head and prov["data"]["sha256"] in head


def test_progress_is_reported_per_technique_and_overall(page):
    _, _, lines = page
    total = sum(1 for line in lines if line.startswith("["))
    assert lines[0].startswith(f"[1/{total}] filters") and lines[-2].startswith(f"[{total}/{total}] deletion")
    assert all(re.search(r"\(\d+ s so far\)$", line) for line in lines[1::2])


def test_a_failing_technique_is_reported_on_the_page_and_the_others_still_run(tmp_path, monkeypatch):
    def broken(net, x, settings):
        raise ValueError("a bug in occlusion")
    monkeypatch.setitem(viz.TECHNIQUES, "occlusion", replace(viz.TECHNIQUES["occlusion"], run=broken))
    failed = gallery.render(minicnn.load(), tmp_path / "g", quick=True, only=["occlusion", "filters"],
                            report=lambda line: None)
    shown = figures(tmp_path / "g")
    assert failed == 2 and [t for t, _, _ in shown] == ["filters", "filters", "occlusion", "occlusion"]
    assert all(src is None and "not shown: ValueError: a bug in occlusion" in c for t, c, src in shown
               if t == "occlusion")
    assert all(src is not None for t, _, src in shown if t == "filters")


def test_rendering_again_replaces_the_page_whole(tmp_path):
    net = minicnn.load()
    gallery.render(net, tmp_path / "g", quick=True, only=["filters", "fgsm"], report=lambda line: None)
    before = {p.name for p in (tmp_path / "g" / "img").iterdir()}
    gallery.render(net, tmp_path / "g", quick=True, only=["linear-example"], report=lambda line: None)
    after = {p.name for p in (tmp_path / "g" / "img").iterdir()}
    assert after == {"01-linear-example.png", "01-linear-example.png.json"} and not before & after
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g"]       # no temporary or old folder left


def test_an_interruption_leaves_the_previous_page_as_it_was(tmp_path, monkeypatch):
    net = minicnn.load()
    gallery.render(net, tmp_path / "g", quick=True, only=["filters"], report=lambda line: None)
    before = {p: p.read_bytes() for p in (tmp_path / "g").rglob("*") if p.is_file()}

    def interrupted(net, x, settings):
        raise KeyboardInterrupt
    monkeypatch.setitem(viz.TECHNIQUES, "fgsm", replace(viz.TECHNIQUES["fgsm"], run=interrupted))
    with pytest.raises(KeyboardInterrupt):
        gallery.render(net, tmp_path / "g", quick=True, only=["filters", "fgsm"], report=lambda line: None)
    assert {p: p.read_bytes() for p in (tmp_path / "g").rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g"]


def test_ctrl_c_on_the_command_line_exits_130_and_keeps_the_previous_page(tmp_path):
    out = tmp_path / "g"
    rc, _, err = run_cli("gallery", "--quick", "--only", "linear-example", "-o", out)
    assert rc == 0, err
    before = (out / "index.html").read_bytes()
    p = subprocess.Popen([sys.executable, "-m", "minicnn", "gallery", "--quick", "-o", str(out)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not list(tmp_path.glob(".g.*.part/img/*.png")) and time.time() < deadline:
        time.sleep(0.05)                                           # until the new page is half made
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130 and err.strip().splitlines()[-1] == "minicnn: interrupted"
    assert (out / "index.html").read_bytes() == before
    assert sorted(q.name for q in tmp_path.iterdir()) == ["g"]


def test_the_images_folder_runs_the_page_on_those_photos(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.RandomState(0)
    for i in range(3):
        Image.fromarray(rng.randint(0, 256, (40, 50, 3)).astype(np.uint8)).save(photos / f"p{i}.png")
    (photos / "notes.txt").write_text("not an image")
    gallery.render(minicnn.load(), tmp_path / "g", images=photos, quick=True, only=["occlusion", "top-patches"],
                   report=lambda line: None)
    text = (tmp_path / "g" / "index.html").read_text()
    assert "occlusion</b> on p0.png" in text and "occlusion</b> on p1.png" in text
    sidecar = json.loads((tmp_path / "g" / "img" / "01-top-patches.png.json").read_text())
    assert sidecar["settings"]["images"] == str(photos)


# ---- bad input: one line, a non-zero exit, nothing written ------------------------------------------

def unreadable(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0)
    return folder


BAD = [
    (["--model", "nosuchmodel"], "nosuchmodel"),
    (["--only", "saliency,nosuch"], "unknown technique 'nosuch'"),
    (["--only", ","], "unknown technique (none given)"),
    (["--images", "{tmp}/missing"], "is not a folder"),
    (["--images", "{tmp}/empty"], "no images"),
    (["--images", "{tmp}/locked"], "cannot read"),
    (["-o", "{tmp}/a-file"], "it is a file"),
    (["-o", "{tmp}/busy"], "holds other files"),
    (["-o", "{tmp}/readonly/g"], "cannot write to"),
]


@pytest.mark.parametrize("args,message", BAD, ids=[m for _, m in BAD])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, args, message):
    if "locked" in " ".join(args) or "readonly" in " ".join(args):
        if os.geteuid() == 0:
            pytest.skip("root reads and writes any folder")
    (tmp_path / "empty").mkdir()
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "mine.txt").write_text("keep me")
    (tmp_path / "readonly").mkdir()
    (tmp_path / "readonly").chmod(0o555)
    unreadable(tmp_path)
    before = sorted(str(p) for p in tmp_path.rglob("*") if os.access(p.parent, os.R_OK | os.X_OK))
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    if "-o" not in args:
        args += ["-o", str(tmp_path / "g")]
    rc, _, err = run_cli("gallery", "--quick", *args)
    assert_one_line_error(rc, err, message)
    assert sorted(str(p) for p in tmp_path.rglob("*") if os.access(p.parent, os.R_OK | os.X_OK)) == before
    (tmp_path / "readonly").chmod(0o755)
    (tmp_path / "locked").chmod(0o755)


def test_a_folder_of_unreadable_images_is_refused_by_name(tmp_path):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "broken.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(MinicnnError, match="cannot read image .*broken.jpg"):
        gallery.render(minicnn.load(), tmp_path / "g", images=tmp_path / "photos", report=lambda line: None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photos"]


def test_unreadable_folders_and_unwritable_outputs_are_refused_even_for_root(tmp_path, monkeypatch):
    (tmp_path / "photos").mkdir()

    def denied(self):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(Path, "iterdir", denied)
    with pytest.raises(MinicnnError, match="cannot read .*photos: Permission denied"):
        gallery.photos(minicnn.load(), tmp_path / "photos")
    monkeypatch.undo()
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    with pytest.raises(OutputError, match="cannot write to"):
        gallery.render(minicnn.load(), tmp_path / "g", report=lambda line: None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photos"]


def test_the_output_may_not_be_a_folder_of_other_files(tmp_path):
    (tmp_path / "g").mkdir()
    (tmp_path / "g" / "thesis.tex").write_text("keep")
    with pytest.raises(OutputError, match="holds other files"):
        gallery.render(minicnn.load(), tmp_path / "g", report=lambda line: None)
    assert [p.name for p in (tmp_path / "g").iterdir()] == ["thesis.tex"]


# ---- the page in a real browser -----------------------------------------------------------------------

def browser():
    """Headless Chromium driven by Selenium, or a skip saying what is missing."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="the browser test needs selenium (the dev extra)")
    from selenium.webdriver.chrome.service import Service
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.skip("the browser test needs Chromium and chromedriver (Debian: apt install chromium "
                    "chromium-driver)")
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.binary_location = chromium
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


def test_the_page_opens_from_disk_in_chromium_with_every_image_and_link_working(page):
    folder, _, _ = page
    d = browser()
    try:
        d.get((folder / "index.html").as_uri())
        # On a busy machine Chromium may still be decoding when get() returns: wait (30 s at most).
        from selenium.common.exceptions import TimeoutException
        from selenium.webdriver.support.ui import WebDriverWait
        try:
            WebDriverWait(d, 30).until(lambda d: d.execute_script("return [...document.images].every(i => i.complete)"))
        except TimeoutException:
            pass                                                   # the assertion below says which
        images = d.execute_script("return [...document.images].map(i => [i.getAttribute('src'), i.complete, "
                                  "i.naturalWidth])")
        assert len(images) > 20 and all(done and width > 0 for _, done, width in images), images
        links = d.execute_script("return [...document.links].map(a => a.href)")
        assert len(links) == len(images)
        errors = [e for e in d.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
        assert not errors, errors
        for link in links:                                         # every sidecar opens and is JSON
            d.get(link)
            assert json.loads(d.find_element("tag name", "body").text)["technique"]
            assert not [e for e in d.get_log("browser") if e["level"] == "SEVERE"], link
    finally:
        d.quit()


def test_squeezenet_gallery_on_photos(squeezenet_file, tmp_path):
    """The same page on a real ImageNet network: a colour-only variant is shown, nothing fails."""
    from conftest import shared_or_skip
    photos = shared_or_skip("images")
    net = minicnn.load(squeezenet_file)
    failed = gallery.render(net, tmp_path / "g", images=photos, quick=True,
                            only=["style", "segment", "fgsm"], report=lambda line: None)
    shown = figures(tmp_path / "g")
    assert failed == 0 and all(src is not None for _, _, src in shown)
    assert "keeping its colours" in (tmp_path / "g" / "index.html").read_text()
