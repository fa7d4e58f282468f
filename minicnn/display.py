"""Pictures: one function per technique turns its result into labelled panels, and the panels
into a figure. The command line, the demos and the gallery all draw through these.

    panels = display.saliency(net, result)         # [Panel(title, (H, W, 3) uint8), ...]
    display.save([panels], "out.png", sidecar)     # one row of panels -> PNG + JSON sidecar

Nothing here changes what a technique computed; it only maps numbers to colours. Maps that
are compared side by side share one scale.
"""
import textwrap
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")                  # headless: nothing here needs a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from .files import save_with_sidecar  # noqa: E402


@dataclass(frozen=True)
class Panel:
    """One labelled picture of a figure."""
    title: str
    image: np.ndarray          # (H, W, 3) uint8 RGB


# ---- numbers to colours ---------------------------------------------------------------------

def normalize(a, low=None, high=None):
    """Map [low, high] (default: the array's own range) to [0, 1], clipping outside."""
    a = np.asarray(a, np.float64)
    low = a.min() if low is None else low
    high = a.max() if high is None else high
    return np.clip((a - low) / (high - low), 0, 1) if high > low else np.zeros_like(a)


def colorize(values, cmap="hot", low=None, high=None):
    """An (H, W) map -> (H, W, 3) uint8 RGB through a matplotlib colour map."""
    rgba = matplotlib.colormaps[cmap](normalize(values, low, high))
    return (rgba[..., :3] * 255 + 0.5).astype(np.uint8)


def robust_scale(a, q=99.5):
    """The q-th percentile of |a| over its non-zero entries: a display scale that a few extreme
    values cannot dominate, and that a mostly-zero map (a small receptive field) does not shrink."""
    a = np.abs(np.asarray(a))
    nonzero = a[a > 0]
    return float(np.percentile(nonzero, q)) if nonzero.size else 1.0


def signed_to_rgb(g, space, scale=None):
    """A signed (1, C, H, W) image-space gradient -> (H, W, 3) uint8 RGB with 0 shown as mid-grey.

    ``scale`` (default: the largest |value|) maps to full intensity, so several gradients can
    share one scale; channels are shown in RGB order.
    """
    g = space.channels_to_rgb(np.asarray(g, np.float64))[0]
    scale = float(np.abs(g).max()) if scale is None else scale
    img = 0.5 + 0.5 * g / scale if scale > 0 else np.full_like(g, 0.5)
    return (np.clip(img, 0, 1).transpose(1, 2, 0) * 255 + 0.5).astype(np.uint8)


def centered(x, space):
    """A (1, C, H, W) input-space image shown as its deviation from the mean colour, stretched so
    the largest deviation reaches full contrast (mid-grey = the mean). For optimized images
    (class models, fooling images), whose raw contrast depends on the network's gradient scale."""
    d = space.to_pixels(np.asarray(x, np.float64))[0] - space.to_pixels(np.zeros((1, x.shape[1], 1, 1)))[0]
    scale = float(np.abs(d).max())
    return np.clip(128 + d * (127 / scale if scale > 0 else 0), 0, 255).astype(np.uint8)


def difference(space, x0, x, magnify):
    """The change from x0 to x in pixel units, magnified, around mid-grey: (H, W, 3) uint8."""
    d = space.to_pixels(x)[0] - space.to_pixels(x0)[0]
    return np.clip(128 + magnify * d, 0, 255).astype(np.uint8)


def darken_outside(image, mask, factor=4):
    """The image with everything outside ``mask`` darkened (a segmentation)."""
    shown = image.copy()
    shown[~mask] = shown[~mask] // factor
    return shown


def outline(image, box, colour=(255, 220, 0)):
    """The image with a rectangle (top, left, bottom, right), bottom/right exclusive, drawn on it."""
    shown, (top, left, bottom, right) = image.copy(), box
    w = max(1, min(image.shape[:2]) // 100)
    for sl in (np.s_[top:top + w, left:right], np.s_[bottom - w:bottom, left:right],
               np.s_[top:bottom, left:left + w], np.s_[top:bottom, right - w:right]):
        shown[sl] = colour
    return shown


def upsample(rgb, hw):
    """An (h, w, 3) uint8 picture of a coarse map, enlarged to (H, W) with square cells."""
    return np.asarray(Image.fromarray(rgb).resize((hw[1], hw[0]), Image.NEAREST))


def tile(images, cols, gap=1, fill=255):
    """Equally sized (h, w, 3) uint8 pictures in a grid of ``cols`` columns, ``gap`` pixels apart."""
    h, w = images[0].shape[:2]
    rows = -(-len(images) // cols)
    out = np.full((rows * (h + gap) + gap, cols * (w + gap) + gap, 3), fill, np.uint8)
    for i, im in enumerate(images):
        r, c = divmod(i, cols)
        out[gap + r * (h + gap):gap + r * (h + gap) + h, gap + c * (w + gap):gap + c * (w + gap) + w] = im
    return out


def enlarge(rgb, factor):
    """An (h, w, 3) picture with every pixel a factor x factor square (for tiny kernels and maps)."""
    return np.repeat(np.repeat(rgb, factor, axis=0), factor, axis=1)


def text_image(lines, width=640, fontsize=11):
    """Lines of monospaced text drawn on white: (H, W, 3) uint8."""
    height = 0.3 + 0.22 * len(lines) * fontsize / 11
    fig = plt.figure(figsize=(width / 100, height), dpi=100)
    fig.text(0.01, 0.5, "\n".join(lines), family="monospace", fontsize=fontsize, va="center")
    fig.canvas.draw()
    rgb = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    plt.close(fig)
    return rgb


# ---- one picture per technique --------------------------------------------------------------

def _short(name):
    return name.split(",")[0]


def saliency(net, r):
    img = net.space.deprocess(r.x)
    return [Panel(f"input: {_short(r.target.name)} ({r.probability:.2f})", img),
            Panel("saliency max_c |dS/dI|", colorize(r.map, "hot", 0, np.percentile(r.map, 99)))]


def segment(net, r):
    img = net.space.deprocess(r.x)
    return [Panel(f"input: {_short(r.target.name)} ({r.probability:.2f})", img),
            Panel("saliency max_c |dS/dI|", colorize(r.map, "hot", 0, np.percentile(r.map, 99))),
            Panel(f"GrabCut: {100 * r.foreground_fraction:.0f} % object", darken_outside(img, r.mask))]


def neuron(net, r):
    img = net.space.deprocess(r.x)
    rows, cols = r.receptive_field["rows"], r.receptive_field["columns"]
    box = (rows[0], cols[0], rows[1] + 1, cols[1] + 1)
    c = r.unit[0]
    whole = box == (0, 0) + img.shape[:2]
    panels = [Panel(f"{r.layer} #{c}: its receptive field", img if whole else outline(img, box))]
    for mode, g in r.gradients.items():
        title = mode + (" (no gradient: blank)" if not np.any(g) else "")
        panels.append(Panel(title, signed_to_rgb(g, net.space, scale=robust_scale(g))))
    if "guided" in r.gradients and not whole:
        g = r.gradients["guided"]
        panels.append(Panel("guided, receptive field" + ("" if np.any(g) else " (blank)"), signed_to_rgb(g, net.space, robust_scale(g))[
            box[0]:box[2], box[1]:box[3]]))
    return panels


def occlusion(net, r):
    from .viz.occlusion import occlusion_map
    img = net.space.deprocess(r.x)
    H, W = img.shape[:2]
    low, high = r.min_prob, max(float(r.prob.max()), r.base_prob)
    return [Panel(f"input: {_short(r.target.name)} ({r.base_prob:.2f})", img),
            Panel(f"P(class) with the square there\n(blue {low:.2f}, red {high:.2f})",
                  colorize(occlusion_map(r, (H, W), r.patch), "jet", low, high)),
            Panel(f"{r.layer} #{r.channel}, total", upsample(colorize(r.feature, "viridis"), (H, W)))]


def class_model(net, r):
    where = f"#{r.unit[0]} at ({r.unit[1]}, {r.unit[2]})" if isinstance(r.unit, tuple) else f"#{r.unit}"
    what = _short(r.target.name) if r.target else f"{r.layer} {where}"
    if r.param is not None:                   # feature visualization: the image itself, every one of a batch
        how = f"{r.param}{', robust' if r.robust else ''}{f', L1 {r.settings.l1:g}' if r.settings.l1 else ''}"
        return [Panel(f"{what} ({how})" if i == 0 else f"image {i + 1}", net.space.deprocess(image[None]))
                for i, image in enumerate(r.images)]
    return [Panel(f"{what} (stretched)", centered(r.x, net.space)), Panel("as pixels", net.space.deprocess(r.x))]


def adversarial(net, r):
    how = f"FGSM eps {r.settings.epsilon:g} px" if hasattr(r.settings, "epsilon") else f"after {r.steps} steps"
    magnify = r.settings.magnify or max(1.0, 127 / r.linf if r.linf > 0 else 1.0)
    return [Panel(f"start: {_short(r.start.name)}", net.space.deprocess(r.x0)),
            Panel(f"{how}: {_short(r.predicted_name)} ({r.confidence:.2f})", net.space.deprocess(r.x)),
            Panel(f"difference x{magnify:.3g}\nL-inf {r.linf:.2f}, L2 {r.l2:.1f} px",
                  difference(net.space, r.x0, r.x, magnify))]


def fooling(net, r):
    return [Panel(f"{_short(r.predicted_name)} {100 * r.confidence:.1f}% (stretched)", centered(r.x, net.space)),
            Panel("as pixels", net.space.deprocess(r.x))]


def filters(net, r):
    F, C, kh, kw = r.weights.shape
    factor = max(1, 24 // max(kh, kw))
    if r.colour or C == 1:                  # a first layer: each filter is a small picture
        pictures = [normalize(w) for w in r.weights]
        rgb = [np.repeat(p, 3, axis=0) if C == 1 else net.space.channels_to_rgb(p[None])[0] for p in pictures]
        tiles = [enlarge((p.transpose(1, 2, 0) * 255 + 0.5).astype(np.uint8), factor) for p in rgb]
        title = f"{r.layer}: {F} filters {kh}x{kw}" + (", RGB" if r.colour else ", grey")
        return [Panel(title, tile(tiles, cols=int(np.ceil(np.sqrt(F))), gap=2))]
    kernels = [enlarge(colorize(k, "gray", w.min(), w.max()), factor) for w in r.weights for k in w]
    return [Panel(f"{r.layer}: {F} filters (rows) x {C} input channels, grey, each filter stretched",
                  tile(kernels, cols=C, gap=1))]


def activations(net, r):
    C, h, w = r.maps.shape
    top = max(r.maxima) if r.scale == "shared" else None
    factor = max(1, 32 // max(h, w))
    tiles = [enlarge(colorize(m, "gray", 0, top if top is not None else max(float(m.max()), 1e-12)), factor)
             for m in r.maps]
    return [Panel("input", net.space.deprocess(r.x)),
            Panel(f"{r.layer}: {C} maps, {r.scale} scale (0 to {max(r.maxima):.3g})" if r.scale == "shared"
                  else f"{r.layer}: {C} maps, each to its own maximum",
                  tile(tiles, cols=int(np.ceil(np.sqrt(C))), gap=1))]


def deepdream(net, r):
    return [Panel("input", net.space.deprocess(r.x)),
            Panel(f"DeepDream of {r.layer}" + (" (guided)" if r.guided else ""), net.space.deprocess(r.image))]


def inversion(net, r):
    """One row: the image and the first reconstruction from each layer; with several random
    starts, a row per layer of the reconstructions the network cannot tell apart."""
    show = net.space.deprocess
    rows = [[Panel("original", show(r.x))] + [Panel(f"from {layer}\ncode error {e[0]:.2g}", show(r.images[i, 0][None]))
                                              for i, (layer, e) in enumerate(zip(r.layers, r.errors))]]
    if r.images.shape[1] > 1:
        rows += [[Panel(f"{layer}, start {k + 1}: error {e[k]:.2g}", show(r.images[i, k][None]))
                  for k in range(r.images.shape[1])] for i, (layer, e) in enumerate(zip(r.layers, r.errors))]
    return rows


def style_transfer(net, r):
    show = net.space.deprocess
    rows = [[Panel("content", show(r.x))] +
            [Panel(f"style {i + 1}" + (f" ({w:.2f})" if len(r.style_weights) > 1 else ""), show(s[None]))
             for i, (s, w) in enumerate(zip(r.styles, r.style_weights))] +
            [Panel(f"result: {r.evaluations} evaluations" + (", original colours" if r.settings.original_colors
                                                            else ""), show(r.image))]]
    if len(r.snapshots):
        every = r.settings.save_every
        rows.append([Panel(f"after {(i + 1) * every} evaluations", show(s[None])) for i, s in enumerate(r.snapshots)])
    return rows


def overlay(image, heat, cmap="jet", opacity=0.5):
    """An (H, W, 3) uint8 picture with an (H, W) map in [0, 1] drawn over it in ``cmap``."""
    coloured = colorize(heat, cmap, 0, 1).astype(np.float64)
    return (image * (1 - opacity) + coloured * opacity + 0.5).astype(np.uint8)


def diverging(a, scale=None):
    """A signed (H, W) map -> (H, W, 3) uint8: red positive, blue negative, white zero; ``scale``
    (default: robust_scale) reaches full colour."""
    scale = robust_scale(a) if scale is None else scale
    return colorize(a, "bwr", -scale, scale)


def gradcam(net, r):
    img = net.space.deprocess(r.x)
    top = max(float(r.cam.max()), 1e-12)
    top_pp = max(float(r.cam_pp.max()), 1e-12)
    g = r.guided_cam[None]
    return [Panel(f"input: {_short(r.target.name)} ({r.probability:.2f})", img),
            Panel(f"Grad-CAM at {r.layer}", overlay(img, r.cam / top)),
            Panel("Grad-CAM++", overlay(img, r.cam_pp / top_pp)),
            Panel("guided backprop", signed_to_rgb(r.guided[None], net.space, robust_scale(r.guided))),
            Panel("guided Grad-CAM", signed_to_rgb(g, net.space, robust_scale(g)))]


def integrated_gradients(net, r):
    img = net.space.deprocess(r.x)
    ig, gi = r.attributions.sum(axis=0), r.gradient_input.sum(axis=0)
    scale = max(robust_scale(ig), robust_scale(gi))             # one scale: both are score units
    return [Panel(f"input: {_short(r.target.name)} ({r.probability:.2f})", img),
            Panel(f"baseline: {r.settings.baseline}", net.space.deprocess(r.baseline_image)),
            Panel(f"gradient x input\nsum {r.gradient_input_total:.3g}; S(x) - S(mean) "
                  f"{r.score - r.mean_score:.3g}\n(no axiom makes them equal)", diverging(gi, scale)),
            Panel(f"Integrated Gradients, {r.steps} steps\nsum {r.total:.3g}, S(x) - S(x') "
                  f"{r.score - r.baseline_score:.3g}\ngap {100 * r.gap:.2f} %", diverging(ig, scale))]


def lrp(net, r):
    img = net.space.deprocess(r.x)
    R = r.relevance.sum(axis=0)
    return [Panel(f"input: {_short(r.target.name)} ({r.probability:.2f})", img),
            Panel(f"LRP {r.settings.rule}: relevance\nsum {r.total:.3g} of score {r.score:.3g}", diverging(R)),
            Panel("positive relevance", colorize(np.maximum(R, 0), "hot", 0, robust_scale(np.maximum(R, 0))))]


def sanity(net, r):
    """Adebayo et al.'s figure: a row per method, a column per randomization stage, each map's
    absolute value to its own maximum (as the paper shows them); the similarity curves below it;
    and each method's map on the random-label model beside the trained one's, where there is one."""
    from .viz.sanity import MEASURES
    image = net.space.deprocess(r.x)

    def stage(s):
        if s == 0:
            return "original"
        return r.stages[s] + (" and above" if r.settings.mode == "cascade" and s > 1 else "") + "\nrandom"
    grid = [[image] + [_normalized_abs(r.absolute_maps[i, s]) for s in range(len(r.stages))]
            for i in range(len(r.methods))]
    panels = [Panel(f"{r.settings.mode} randomization, top block first",
                    grid_image(grid, r.methods, ["input"] + [stage(s) for s in range(len(r.stages))])),
              Panel("similarity with the original map", figure_image(_similarity_plots(r, MEASURES),
                                                                     size=(4.0 * len(MEASURES), 3.4)))]
    if r.random_label_maps.size:
        pairs = [[_normalized_abs(r.absolute_maps[i, 0]), _normalized_abs(r.random_label_maps[i])]
                 for i in range(len(r.methods))]
        labels = [f"{m}\n({r.data_randomization[m]['spearman_abs']:+.2f})" for m in r.methods]
        panels.append(Panel("data randomization: rank correlation of |map| in brackets",
                            grid_image(list(map(list, zip(*pairs))), ["trained labels", "random labels"], labels)))
    return [[p] for p in panels]


def grid_image(cells, row_labels, column_labels, cell=None):
    """Rows of (h, w, 3) uint8 pictures, labelled on the left and on top, as one picture; each
    ``cell`` inches wide (default: larger for larger pictures)."""
    rows, cols = len(cells), len(cells[0])
    cell = cell or (1.1 if max(cells[0][0].shape[:2]) <= 64 else 1.7)
    fig, axes = plt.subplots(rows, cols, squeeze=False, figsize=(cell * cols + 1.2, cell * rows + 0.5), dpi=100)
    for i, row in enumerate(cells):
        for j, picture in enumerate(row):
            ax = axes[i, j]
            ax.imshow(picture, interpolation="nearest")
            ax.set_xticks([]), ax.set_yticks([])
            if i == 0:
                ax.set_title(column_labels[j], fontsize=7)
            if j == 0:
                ax.set_ylabel(row_labels[i], fontsize=7, rotation=0, ha="right", va="center")
    fig.tight_layout(pad=0.3)
    fig.canvas.draw()
    rgb = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    plt.close(fig)
    return rgb


def _normalized_abs(m):
    """|m| in grey, white at its 99th percentile (a few extreme pixels would leave the rest black)."""
    a = np.abs(m)
    return colorize(a, "gray", 0, max(float(np.percentile(a, 99)), float(a.max()) * 1e-3, 1e-30))


def _similarity_plots(r, measures):
    """draw(ax) for figure_image: one plot per similarity measure, a line per method."""
    def draw(ax):
        fig = ax.figure
        ax.remove()
        cmap = matplotlib.colormaps["tab10"]
        for k, measure in enumerate(measures):
            a = fig.add_subplot(1, len(measures), k + 1)
            for i, m in enumerate(r.methods):
                a.plot(range(len(r.stages)), r.similarity[m][measure], "o-", ms=3, lw=1.2, color=cmap(i % cmap.N),
                       label=m)
            a.set_xticks(range(len(r.stages)), r.stages, rotation=60, ha="right", fontsize=7)
            lowest = min(min(r.similarity[m][measure]) for m in r.methods)
            a.set_ylim(-1.05 if measure == "spearman_signed" else min(-0.3, lowest - 0.05), 1.05)
            a.axhline(0, color="grey", lw=0.6)
            a.grid(alpha=0.3)
            a.set_title({"spearman_abs": "rank correlation, |map|", "spearman_signed": "rank correlation, signed",
                         "ssim": "SSIM", "hog": "HOG correlation"}[measure], fontsize=9)
            if k == len(measures) - 1:
                a.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return draw


def labelled(rgb, text, scale=2):
    """A picture enlarged ``scale`` times with ``text`` written in its top-left corner."""
    from PIL import ImageDraw
    im = Image.fromarray(enlarge(rgb, scale))
    draw = ImageDraw.Draw(im)
    box = draw.textbbox((2, 1), text)
    draw.rectangle((box[0] - 1, box[1] - 1, box[2] + 1, box[3] + 1), fill=(0, 0, 0))
    draw.text((2, 1), text, fill=(255, 255, 0))
    return np.asarray(im)


def top_patches(net, r):
    """One row per unit: its patches, each with its value; under them, their guided backprop."""
    scale = max(1, 96 // max(r.patches.shape[2:4]))
    rows = []
    for i, (unit, hits) in enumerate(zip(r.units, r.hits)):
        tiles = [labelled(p, f"{h['value']:.3g}", scale) for p, h in zip(r.patches[i], hits)]
        if len(r.guided):
            tiles += [enlarge(g, scale) for g in r.guided[i][:len(hits)]]
        rows.append([Panel(f"{r.layer} #{unit}" + (": patches, and guided backprop below" if len(r.guided) else ""),
                           tile(tiles, cols=len(hits), gap=2))])
    return rows


def figure_image(draw, size=(5.0, 5.0), dpi=100):
    """What draw(ax) draws on a matplotlib axes, as an (H, W, 3) uint8 picture."""
    fig, ax = plt.subplots(figsize=size, dpi=dpi)
    draw(ax)
    fig.tight_layout()
    fig.canvas.draw()
    rgb = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    plt.close(fig)
    return rgb


def embedding(net, r):
    """The t-SNE points coloured by class, and the images snapped to a grid."""
    classes = np.unique(r.labels)

    def scatter(ax):
        cmap = matplotlib.colormaps["tab10" if len(classes) <= 10 else "tab20"]
        for i, c in enumerate(classes):
            pick = r.labels == c
            ax.scatter(*r.points[pick].T, s=6, color=cmap(i % cmap.N), label=r.class_names[c].split(",")[0][:18])
        if len(classes) <= 20:
            ax.legend(fontsize=6, markerscale=2, loc="best", ncol=2 if len(classes) > 10 else 1)
        ax.set_xticks([]), ax.set_yticks([])
    h, w = r.thumbnails.shape[1:3]
    canvas = np.full((r.side * h, r.side * w, 3), 255, np.uint8)
    for thumb, cell in zip(r.thumbnails, r.cells):
        y, x = divmod(int(cell), r.side)
        canvas[y * h:(y + 1) * h, x * w:(x + 1) * w] = thumb
    return [Panel(f"t-SNE of {r.layer} codes, coloured by " + ("label" if r.labelled else "predicted class"),
                  figure_image(scatter)),
            Panel(f"the {len(r.points)} images, each in one cell", canvas)]


def broken_linear(net, r):
    """The classifier's templates; the digit and what adding a little of each template makes of
    it; the changes themselves (red positive, blue negative)."""
    def signed(a):
        scale = float(np.abs(a).max()) or 1.0
        return enlarge(colorize(a, "RdBu_r", -scale, scale), 4)
    low, high = min(0.0, float(r.changed.min())), max(1.0, float(r.changed.max()))      # one grey scale

    def grey(a):
        return enlarge(colorize(a, "gray", low, high), 4)
    others = [t for t in range(10) if t != r.settings.digit]
    return [[Panel(f"template {t}", signed(w)) for t, w in enumerate(r.templates)],
            [Panel(f"a {r.settings.digit}", grey(r.original))] +
            [Panel(f"classified {p}", grey(c)) for c, p in zip(r.changed, r.predicted)],
            [None] + [Panel(f"+{e:.2f} x tmpl {t}" if e is not None else f"tmpl {t}: no flip", signed(c - r.original))
                      for t, e, c in zip(others, r.epsilons, r.changed)]]


def logistic_example(net, r):
    return [Panel("the lecture's logistic regression", text_image(r.summary().splitlines(), width=900))]


# ---- figures and files ------------------------------------------------------------------------

def _inches(image, size, largest=12.0):
    """(width, height) in inches for a panel: at least ``size`` on its longer side, at least one
    pixel per 1/100 inch (so large grids keep their detail), at most ``largest``."""
    h, w = image.shape[:2]
    scale = min(max(size / max(h, w), 0.01), largest / max(h, w))
    return w * scale, h * scale


def figure(rows, size=2.6, title=None):
    """Rows of panels (or one list of panels) -> a matplotlib figure, each panel titled and sized
    by its content; None leaves a cell empty."""
    rows = rows if rows and isinstance(rows[0], list) else [rows]
    ncols = max(len(r) for r in rows)
    sizes = [[_inches(p.image, size) if p is not None else (0, 0) for p in r] + [(0, 0)] * (ncols - len(r))
             for r in rows]
    widths = [max(max(s[c][0] for s in sizes), 0.5) for c in range(ncols)]
    heights = [max(max(w_h[1] for w_h in r), 0.5) + 0.45 for r in sizes]         # room for two title lines
    fig, axes = plt.subplots(len(rows), ncols, squeeze=False, gridspec_kw={"width_ratios": widths,
                                                                          "height_ratios": heights},
                             figsize=(sum(widths) + 0.2 * ncols, sum(heights) + 0.3 * bool(title)))
    for ax in axes.flat:
        ax.axis("off")
    for row, axrow in zip(rows, axes):
        for panel, ax in zip(row, axrow):
            if panel is None:
                continue
            ax.imshow(panel.image, interpolation="nearest")
            ax.set_title("\n".join(textwrap.wrap(panel.title, 34, break_long_words=False, replace_whitespace=False))
                         if "\n" not in panel.title else panel.title, fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def save_figure(fig, path, sidecar, dpi=100):
    """Write a matplotlib figure as a PNG and ``sidecar`` as its JSON, atomically; close the figure."""
    try:
        return save_with_sidecar(path, lambda tmp: fig.savefig(tmp, dpi=dpi, format="png", bbox_inches="tight"),
                                 sidecar)
    finally:
        plt.close(fig)


def save(rows, path, sidecar, title=None):
    """Rows of panels -> PNG at ``path`` and its JSON sidecar."""
    return save_figure(figure(rows, title=title), path, sidecar)


def faithfulness(net, r):
    """Deletion and insertion curves (viz/faithfulness.py): one line per method, the random floor
    dashed, each labelled with its area (deletion: lower is better; insertion: higher)."""
    from .viz.faithfulness import RANDOM
    cmap = matplotlib.colormaps["tab10"]
    colours = {m: cmap(i % cmap.N) for i, m in enumerate(m for m in r.deletion if m != RANDOM)}

    def plot(kind):
        curves, areas = getattr(r, kind), getattr(r, f"{kind}_area")

        def draw(ax):
            for m in sorted(curves, key=areas.get, reverse=kind == "insertion"):     # the legend best first
                floor = m == RANDOM
                ax.plot(100 * r.fractions, curves[m], "--" if floor else "-", color="black" if floor else colours[m],
                        lw=1.2, label=f"{m + ' (floor)' if floor else m}  {areas[m]:.3f}")
            ax.set_xlim(0, 100), ax.set_ylim(0, 1.02), ax.grid(alpha=0.3)
            ax.set_xlabel(f"pixels {'deleted' if kind == 'deletion' else 'inserted'}, most important first (%)")
            ax.set_ylabel("probability of the class, mean over the images")
            ax.legend(fontsize=7, title=f"area ({'lower' if kind == 'deletion' else 'higher'} is better)",
                      title_fontsize=7, loc="upper right" if kind == "deletion" else "lower right")
        return draw
    images = f"{r.images_used} image{'s' * (r.images_used > 1)}"
    return [Panel(f"deletion toward {r.toward['deletion']} ({images})", figure_image(plot("deletion"))),
            Panel(f"insertion from {r.toward['insertion']} ({images})", figure_image(plot("insertion")))]
