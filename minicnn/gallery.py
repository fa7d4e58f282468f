"""The whole lecture on one page: `minicnn gallery` runs every technique of the registry on one
model and writes a static HTML page with the pictures, in the lecture's order.

    gallery.render(net, "gallery", quick=True)       # gallery/index.html, gallery/img/*.png + *.json

Each figure's caption names its paper, every setting used, the time it took and links its JSON
sidecar. One technique failing is reported on the page (and in the return value) without
stopping the others. The page is built in a hidden folder beside the output and swapped in only
when complete, so an interrupted run leaves the previous page as it was.
"""
import html
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import display, viz
from .backend import to_device, to_numpy
from .errors import ArgumentError, MinicnnError, OutputError
from .files import write_folder
from .images import SAMPLE, load_named
from .io.provenance import sha256
from .viz.image_set import image_files

MARKER = ".minicnn-gallery"        # a folder with this file holds a gallery minicnn may replace


@dataclass
class Run:
    """One figure of the page: a technique, its settings, the image it runs on (if any)."""
    technique: str
    options: dict = field(default_factory=dict)
    x: object = None               # (1, C, H, W) in input space, or None
    note: str = ""                 # what the image is
    unavailable: str = None        # why this model cannot show it (said on the page instead)


@dataclass
class Section:
    title: str
    text: str
    runs: list


# ---- what the page shows, in the lecture's order ------------------------------------------------

def sections(net, photos, quick, folder=None):
    """The page's sections for ``net``: photos are (name, x, image name) triples, from ``folder``
    (None: the model's samples); quick trims iteration counts."""
    q = (lambda fast, full: fast if quick else full)
    x0, x1, x2 = (photos[i % len(photos)] for i in range(3))
    style = max(photos[1:] or photos, key=lambda p: texture(net, p[1]))      # the busiest other photo
    maps = viz.map_layers(net)
    concats = [n for n in maps if net.layers[n]["type"] == "concat"] or maps
    deeper = [n for n in net.layer_names[1:] if net.layers[n]["type"] == "conv" and net.param_shapes[n]["W"][2] > 1]
    crops = 0 if folder is None else q(8, 40)              # a few photos make many crops
    units = [concats[len(concats) // 4], concats[len(concats) // 2], concats[-1]]
    colour = net.space.channels in ("RGB", "BGR")
    return [
        Section("Filters", "What the first layer's weights look like, and a deeper layer's.",
                [Run("filters")] + ([Run("filters", {"layer": deeper[0], "max_filters": 16})] if deeper else [])),
        Section("Activation maps", "Every channel of a low and a higher layer for one image.",
                [Run("activations", {"layer": maps[len(maps) // 4], "scale": "per-map"}, x0[1], x0[0]),
                 Run("activations", {"layer": maps[(3 * len(maps)) // 4], "scale": "per-map"}, x0[1], x0[0])]),
        Section("Maximally activating patches", "The image regions that excite units of the last feature map most, "
                "each beside its guided backpropagation.",
                [Run("top-patches", {"images": folder, "crops": crops, "k": q(6, 9), "units": "0,1,2,3" if quick
                                     else None, "guided": True})]),
        Section("t-SNE of codes", "Images placed by the similarity of their codes before the classifier.",
                [Run("tsne", {"images": folder, "crops": q(6, 25) if crops else 0})]),
        Section("Occlusion", "The class probability as a grey square slides over the image.",
                [Run("occlusion", {"stride": q(8, None) if net.input_shape[1] > 64 else None}, x[1], x[0])
                 for x in (x0, x1)]),
        Section("Saliency and segmentation", "The gradient of the class score with respect to the pixels, plain "
                "and averaged over noisy copies (SmoothGrad), and the GrabCut segmentation SmoothGrad seeds.",
                [Run("saliency", {}, x0[1], x0[0]), Run("saliency", {"samples": q(8, 25)}, x0[1], x0[0])] +
                [Run("segment", {"samples": q(8, 25)}, x[1], x[0]) for x in (x0, x1, x2)]),
        Section("Deconvnet and guided backprop", "What single units respond to, under the three ReLU backward rules.",
                [Run("neuron", {"layer": layer, "unit": strongest(net, x0[1], layer)}, x0[1], x0[0])
                 for layer in units]),
        Section("Class models", "Images that maximize class scores, and units along the way to the top: each "
                "first by Yosinski et al.'s regularized ascent on the pixels, then by feature visualization (Olah et "
                "al. 2017: a Fourier spectrum with decorrelated colours, random transformations, Adam).",
                [Run("classviz", dict(what, **how)) for what in
                 [{"target": c} for c in classes(net, x0[1], q(2, 4))] +
                 [{"layer": layer, "unit": strongest(net, x0[1], layer, centre=True)} for layer in units[:q(2, 3)]]
                 for how in ({"preset": yosinski_preset(net), "iterations": q(60, None)},
                             {"param": "fourier", "iterations": q(64, None)})]),
        Section("Feature inversion", "The image rebuilt from its codes at several depths, and from several random "
                "starts at one depth.",
                [Run("invert", {"iterations": q(80, 400)}, x0[1], x0[0]),
                 Run("invert", {"layers": units[1], "restarts": q(2, 4), "iterations": q(80, 400)}, x0[1], x0[0])]),
        Section("DeepDream", "Amplifying what a layer sees, plain and guided by another image.",
                [Run("deepdream", {"iterations": q(4, 10)}, x0[1], x0[0]),
                 Run("deepdream", {"iterations": q(4, 10), "guide": x1[2]}, x0[1], f"{x0[0]}, guided by "
                                                                                           f"{x1[0]}")]),
        Section("Neural style", "One image's content in another's style, and the style alone (texture synthesis: "
                "the content weight set to zero, from noise).",
                [Run("style", {"style": style[2], "iterations": q(30, 300)}, x0[1],
                     f"{x0[0]} in the style of {style[0]}"),
                 Run("style", {"style": style[2], "iterations": q(30, 300), "content_weight": 0.0,
                               "init": "noise"}, x0[1], f"the style of {style[0]} alone"),
                 Run("style", {"style": style[2], "iterations": q(30, 300), "original_colors": True}, x0[1],
                     f"{x0[0]} in the style of {style[0]}, keeping its colours",
                     unavailable=None if colour else "keeping the content's colours needs a colour model; this one "
                     "sees grey (run the gallery with --model squeezenet1_1 --images DIR)")]),
        Section("Adversarial examples and fooling images", "Small changes that change the network's mind, one fast "
                "gradient sign step, and images from noise it is sure about.",
                [Run("adversarial", {"target": other_class(net, x0[1]), "max_steps": q(60, 200)}, x0[1], x0[0]),
                 Run("fgsm", {}, x1[1], x1[0]),
                 Run("fool", {"target": other_class(net, x1[1]), "max_steps": q(60, 200)})]),
        Section("Linear classifiers", "Why a small aligned change moves a high-dimensional score: the lecture's "
                "logistic regression, and a linear classifier of digits broken by its own templates.",
                [Run("linear-example"), Run("break-linear", {"epochs": q(100, 300)})]),
    ] + trust_sections(net, x0, x1, q, folder)


def trust_sections(net, x0, x1, q, folder=None):
    """After the lecture: can we trust a saliency map? The methods since 2016, each with its
    axiom, then the checks that test every map (folder: the photos, for the deletion curves'
    set of images; None: the model's samples)."""
    random_labels = random_label_model(net)
    return [
        Section("After the lecture: Grad-CAM", "A layer's maps weighted by the class's average gradient (Grad-CAM), "
                "by its positive gradients (Grad-CAM++), and multiplied into guided backpropagation (guided "
                "Grad-CAM): where the class's evidence is, at the layer's resolution, made sharp.",
                [Run("gradcam", {}, x[1], x[0]) for x in (x0, x1)]),
        Section("Integrated Gradients", "Each pixel's share of the score's change from a black image, summed "
                "along the straight path between them; completeness says the shares add up to the change, and the "
                "gap says how nearly the sum of steps got there. Gradient x input is the one-step version.",
                [Run("integrated-gradients", {}, x0[1], x0[0]),
                 Run("integrated-gradients", {"baseline": "blur", "steps": "auto"}, x1[1], x1[0])]),
        Section("Layer-wise relevance propagation", "The score shared out layer by layer in proportion to each "
                "input's contribution: the composite of rules (z^B on the pixels, gamma low, epsilon high, LRP-0 on "
                "top) and z+ alone, with how much of the score reached the pixels.",
                [Run("lrp", {}, x0[1], x0[0]), Run("lrp", {"rule": "zplus"}, x0[1], x0[0])]),
        Section("Sanity checks", "Every method's map as the network's weights are replaced by random ones from the "
                "top block down (cascading) and one block at a time (independent), and on a network of the same "
                "architecture trained on random labels. A map that explains the model must change with it.",
                [Run("sanity", {"quick": quick_flag(q)}, x0[1], x0[0]),
                 Run("sanity", {"mode": "independent", "quick": quick_flag(q)}, x0[1], x0[0]),
                 Run("sanity", {"methods": "saliency,smoothgrad,guided,gradient-input,integrated-gradients,gradcam,"
                                "lrp", "quick": quick_flag(q), "random_labels": random_labels}, x0[1],
                     f"{x0[0]}, against the model trained on random labels",
                     unavailable=None if random_labels else "no model of this architecture trained on random "
                     "labels is at hand (`minicnn train --random-labels` makes one for the default model)")]),
        Section("Deletion and insertion", "How fast the class's probability falls as each method's most important "
                "pixels are replaced by the mean image, and rises as they are put into a blurred copy, over a set "
                "of images, against random orders.",
                [Run("deletion", {"quick": quick_flag(q), "n": q(4, 8), "images": folder}, x0[1], x0[0])]),
    ]


def quick_flag(q):
    return q(True, False)


def random_label_model(net):
    """The model of net's architecture trained on random labels that minicnn ships (for the
    default model), as a path, or None."""
    from .io import model_dir
    path = model_dir() / f"{net.meta.get('name')}_random_labels.h5"
    return str(path) if path.is_file() else None


def yosinski_preset(net):
    """The model's own Yosinski preset for class models (the digits': "progress"), else yosinski3."""
    from .viz.class_model import DEFAULT_PRESET
    from .viz.registry import model_defaults
    return model_defaults(net, "classviz").get("preset", DEFAULT_PRESET)


def strongest(net, x, layer, centre=False):
    """The most active channel of ``layer`` for x (at the centre of the map, with centre=True)."""
    out = to_numpy(net.forward(to_device(x, net.dtype), end=layer))[0]
    if centre:
        cy, cx = out.shape[1] // 2, out.shape[2] // 2
        return f"{int(out[:, cy, cx].argmax())},{cy},{cx}"
    return int(out.reshape(len(out), -1).max(axis=1).argmax())


def classes(net, x, n):
    """n classes to visualize: the predicted one and the next most likely."""
    p = viz.probabilities(net, x)[0]
    return [int(c) for c in np.argsort(-p)[:n]]


def other_class(net, x):
    """A class the network does not give x: the least likely one."""
    return int(viz.probabilities(net, x)[0].argmin())


def texture(net, x):
    """How busy an image is: the mean absolute difference between neighbouring pixels."""
    rgb = net.space.deprocess(x).astype(np.float64)
    return float(np.abs(np.diff(rgb, axis=0)).mean() + np.abs(np.diff(rgb, axis=1)).mean())


def photos(net, images=None):
    """[(name, x, image name)]: the model's own samples, else the photos of a folder (at most 8),
    x (1, C, H, W) in input space."""
    if images is None and net.samples is not None:
        return [(f"sample {i} (a {net.class_name(int(net.samples.labels[i]))})",
                 net.space.preprocess(net.samples.images[i]), f"{SAMPLE}{i}") for i in range(4)]
    if images is None:
        raise ArgumentError("this model stores no images: give a folder of photos with --images")
    paths = image_files(images, "--images")
    return [(p.name, net.space.preprocess(load_named(p)), str(p)) for p in paths[:8]]


def plan_check(only):
    """The technique names of --only, refused when unknown; None means all."""
    if only is None:
        return None
    unknown = [name for name in only if name not in viz.TECHNIQUES]
    if unknown or not only:
        raise ArgumentError(f"unknown technique {', '.join(map(repr, unknown)) or '(none given)'}; known: "
                            f"{', '.join(viz.TECHNIQUES)}")
    return only


# ---- running and writing --------------------------------------------------------------------------

def render(net, out, images=None, quick=False, only=None, report=print):
    """Run every section's techniques on ``net`` (those named in ``only``, if given) and write
    ``out``/index.html. Returns the number of figures that failed."""
    out = Path(out)
    _check_folder(out)
    pictures = photos(net, images)
    plan = [Section(s.title, s.text, [r for r in s.runs if only is None or r.technique in only])
            for s in sections(net, pictures, quick, None if images is None else str(images))]
    plan = [s for s in plan if s.runs]
    failed = 0

    def build(folder):
        nonlocal failed
        (folder / "img").mkdir()
        start, figures = time.perf_counter(), []
        total, done = sum(len(s.runs) for s in plan), 0
        for section in plan:
            for run in section.runs:
                done += 1
                report(f"[{done}/{total}] {run.technique}{' on ' + run.note if run.note else ''} ...")
                figure = _figure(net, run, folder / "img", f"{done:02d}-{run.technique}")
                failed += figure["error"] is not None
                figures.append((section, run, figure))
                status = (f"FAILED: {figure['error']}" if figure["error"] else f"not shown: {figure['unavailable']}"
                          if figure.get("unavailable") else f"{figure['seconds']:.1f} s")
                report(f"    {status} ({time.perf_counter() - start:.0f} s so far)")
        (folder / "index.html").write_text(page(net, figures, quick, time.perf_counter() - start), "utf-8")
        (folder / MARKER).write_text("a page made by `minicnn gallery`; it may be replaced by the next one\n")
    write_folder(out, build)
    return failed


def _figure(net, run, folder, name):
    """Run one technique and save its picture; {"png", "json", "seconds", "summary", "settings",
    "error"} (or {"unavailable"} when the model cannot show it)."""
    t = viz.TECHNIQUES[run.technique]
    if run.unavailable:
        return {"unavailable": run.unavailable, "error": None, "seconds": 0.0}
    try:
        result = viz.run(run.technique, net if t.model else None, run.x, **run.options)
        sidecar = {"technique": t.name, "paper": t.paper, "image": run.note,
                   **({} if run.x is None else {"input_size": list(run.x.shape[2:])}), **result.sidecar()}
        display.save(t.picture(net, result), folder / f"{name}.png", sidecar)
        return {"png": f"img/{name}.png", "json": f"img/{name}.png.json", "seconds": result.seconds,
                "summary": result.summary(), "settings": result.sidecar()["settings"], "error": None}
    except MinicnnError as e:
        return {"error": str(e), "seconds": 0.0}
    except Exception as e:            # a bug in one technique must not cost the page: report it there
        return {"error": f"{type(e).__name__}: {e}", "seconds": 0.0}


def _check_folder(out):
    """The output may be a new folder, an empty one, or a gallery made before; nothing else."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"cannot write the gallery to {out}: it is a file")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise OutputError(f"{out} holds other files; give an empty folder or a new name (a previous gallery there "
                          "would be replaced)")
    if not os.access(out.parent if out.parent.exists() else Path("."), os.W_OK):
        raise OutputError(f"cannot write to {out.parent}")


# ---- the page ---------------------------------------------------------------------------------------

STYLE = """body { font: 15px/1.45 system-ui, sans-serif; max-width: 1200px; margin: 2em auto; padding: 0 1em;
       color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ccc; }
figure { margin: 1.2em 0; } figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: 0.85em; color: #444; } code { font-size: 0.95em; overflow-wrap: anywhere; }
.failed { color: #a00; } .provenance { font-size: 0.9em; color: #333; }
figcaption pre { font-size: 0.95em; margin: 0.3em 0; }"""


def _summary_html(summary):
    """A result's summary for a caption: its first line, and the rest (a table of numbers) as
    preformatted text under it."""
    lines = (summary or "").splitlines()
    if len(lines) <= 1:
        return html.escape(lines[0] if lines else "")
    return f"{html.escape(lines[0])}<pre>{html.escape(chr(10).join(lines[1:]))}</pre>"


def page(net, figures, quick, seconds):
    """The whole page as HTML text (every value escaped)."""
    e = html.escape
    prov = net.meta.get("provenance") or {}
    path = net.meta.get("path")
    digest = sha256(path) if path and Path(path).is_file() else "(not from a file)"
    facts = [f"model <b>{e(str(net.meta.get('name')))}</b>: {e(str(path))}, sha256 <code>{e(digest)}</code>",
             f"input {net.input_shape[0]}x{net.input_shape[1]}x{net.input_shape[2]} ({e(net.space.channels)}), "
             f"{len(net.classes)} classes"]
    if "held_out_accuracy" in prov:
        facts.append(f"held-out accuracy {100 * prov['held_out_accuracy']:.2f} % on "
                     f"{prov.get('data', {}).get('held_out')} digits never trained on")
    if "command" in prov:
        facts.append(f"made by <code>{e(prov['command'])}</code>")
    for src in prov.get("sources", []):
        facts.append(f"source {e(str(src.get('file')))}, sha256 <code>{e(str(src.get('sha256')))}</code>")
    if prov.get("data", {}).get("sha256"):
        facts.append(f"training data {e(str(prov['data'].get('source')))}, sha256 "
                     f"<code>{e(prov['data']['sha256'])}</code>")
    parts = [f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>minicnn gallery: "
             f"{e(str(net.meta.get('name')))}</title><style>{STYLE}</style></head><body>",
             "<h1>Understanding and visualizing convolutional networks</h1>",
             f"<p class=\"provenance\">{'<br>'.join(facts)}</p>",
             f"<p>Every picture below was computed by minicnn's hand-written forward and backward passes"
             f"{' (quick settings)' if quick else ''}, in {seconds:.0f} s.</p>"]
    current = None
    for section, run, figure in figures:
        if section is not current:
            parts.append(f"<h2>{e(section.title)}</h2><p>{e(section.text)}</p>")
            current = section
        t = viz.TECHNIQUES[run.technique]
        what = f"<b>{e(t.name)}</b>" + (f" on {e(run.note)}" if run.note else "")
        if figure.get("unavailable"):
            parts.append(f"<figure><figcaption>{what}: not shown: {e(figure['unavailable'])}</figcaption></figure>")
            continue
        if figure["error"]:
            parts.append(f"<figure><figcaption class=\"failed\">{what}: not shown: {e(figure['error'])}"
                         "</figcaption></figure>")
            continue
        settings = ", ".join(f"{k}={v}" for k, v in figure["settings"].items() if v is not None)
        parts.append(f"<figure><img src=\"{e(figure['png'])}\" alt=\"{e(t.description)}\"><figcaption>{what}: "
                     f"{_summary_html(figure['summary'])}<br>{e(t.paper)}. Settings: <code>{e(settings)}</code>. "
                     f"{figure['seconds']:.1f} s. <a href=\"{e(figure['json'])}\">JSON sidecar</a></figcaption>"
                     "</figure>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


__all__ = ["render", "sections", "page", "photos", "plan_check", "MARKER"]
