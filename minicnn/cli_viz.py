"""The visualization verbs of the command line. Each writes a PNG and, beside it, a JSON
sidecar with every parameter that made it (model, image, target, layer, unit, mode, seed,
iterations, step sizes in pixel units) and the numbers it measured."""
import numpy as np

from . import display, viz
from .errors import MinicnnError


def _model(args):
    from .io import load
    net = load(args.model)
    if net.space is None:
        raise MinicnnError(f"model {args.model!r} has no input convention (ImageSpace); it cannot take images")
    return net


def _image(net, args):
    from .images import load_image
    return net.space.preprocess(load_image(args.image), size=args.size)


def _target(net, x, target):
    """The requested class, or the predicted one when none was given."""
    if target is None:
        return int(viz.probabilities(net, x).argmax())
    return viz.resolve_target(net, target)


def _params(args, net, **extra):
    skip = {"run", "verb", "device"}
    out = {k: v for k, v in vars(args).items() if k not in skip}
    out.update(model_name=net.meta.get("name"), model_path=net.meta.get("path"), **extra)
    return out


def _class(net, c):
    return {"index": c, "name": net.classes[c] if c < len(net.classes) else str(c)}


def _done(path, summary):
    print(f"{summary}\nwrote {path}")
    return 0


def _saliency(args):
    """(net, class, saliency map, the image as the model sees it) for the saliency verbs."""
    net = _model(args)
    x = _image(net, args)
    c = _target(net, x, args.target)
    return net, c, viz.saliency(net, x, c), net.space.deprocess(x)


def cmd_saliency(args):
    net, c, s, img = _saliency(args)
    picture = display.grid([img, display.colorize(s, "hot", 0, np.percentile(s, 99))], cols=2)
    path = display.save_png(picture, args.output, _params(args, net, target_class=_class(net, c),
                                                            display="hot colour map, clipped at the 99th percentile"))
    return _done(path, f"saliency for {c} {net.classes[c]!r}: max {s.max():.3g}")


def cmd_segment(args):
    net, c, s, img = _saliency(args)
    mask = viz.segment(img, s, smooth=args.smooth, fg_percentile=args.fg, bg_percentile=args.bg)
    shown = img.copy()
    shown[~mask] = shown[~mask] // 4
    picture = display.grid([img, display.colorize(s, "hot", 0, np.percentile(s, 99)), shown], cols=3)
    path = display.save_png(picture, args.output, _params(args, net, target_class=_class(net, c),
                                                            foreground_fraction=float(mask.mean())))
    return _done(path, f"segment for {c} {net.classes[c]!r}: {100 * mask.mean():.0f} % of the image is foreground")


def _unit(text):
    parts = [int(p) for p in str(text).replace(",", " ").split()]
    return parts[0] if len(parts) == 1 else tuple(parts)


def cmd_neuron(args):
    net = _model(args)
    x = _image(net, args)
    if args.layer not in net.layers:
        raise MinicnnError(f"no layer {args.layer!r}; see `minicnn info {args.model}`")
    modes = ["backprop", "deconvnet", "guided"] if args.mode == "all" else [args.mode]
    grads, where = viz.all_modes(net, x, args.layer, _unit(args.unit))
    img = net.space.deprocess(x)
    tiles = [img] + [display.signed_to_rgb(grads[m], net.space, scale=display.robust_scale(grads[m]))
                     for m in modes]
    box = viz.receptive_box(net, args.layer, where, img.shape[:2])
    path = display.save_png(display.grid(tiles, cols=len(tiles)), args.output,
                            _params(args, net, unit_used=list(where), receptive_box=list(box), modes=modes))
    return _done(path, f"{args.layer} unit {where}: receptive field rows {box[0]}..{box[2]}, columns {box[1]}..{box[3]}")


def cmd_occlusion(args):
    net = _model(args)
    x = _image(net, args)
    c = _target(net, x, args.target)
    r = viz.occlusion(net, x, c, layer=args.layer, size=args.patch, stride=args.stride, progress=True)
    img = net.space.deprocess(x)
    H, W = img.shape[:2]
    prob_map = viz.occlusion_map(r, (H, W), args.patch)
    from PIL import Image
    feat = np.asarray(Image.fromarray(display.colorize(r.feature, "viridis")).resize((W, H), Image.NEAREST))
    low, high = float(r.prob.min()), float(max(r.prob.max(), r.base_prob))
    picture = display.grid([img, display.colorize(prob_map, "jet", low, high), feat], cols=3)
    path = display.save_png(picture, args.output, _params(
        args, net, target_class=_class(net, c), base_probability=r.base_prob, min_probability=low,
        feature_channel=r.channel, display=f"probability of the class, jet from {low:.4f} (blue) to {high:.4f} (red); "
                                           "total of the strongest feature map (viridis)"))
    return _done(path, f"occlusion for {c} {net.classes[c]!r}: probability {r.base_prob:.3f} unoccluded, "
                       f"{r.prob.min():.3f} at worst")


def cmd_classviz(args):
    net = _model(args)
    layer = args.layer or viz.score_layer(net)
    unit = _unit(args.unit) if args.unit is not None else viz.resolve_target(net, args.target)
    overrides = {"iterations": args.iterations} if args.iterations else {}
    if args.jitter:
        overrides["jitter"] = args.jitter
    history = []
    x = viz.class_model(net, layer, unit, args.preset, seed=args.seed, progress=True, history=history, **overrides)
    from .viz.class_model import settings_dict
    picture = display.grid([display.centered(x, net.space), net.space.deprocess(x)], cols=2)
    label = net.classes[unit] if layer == viz.score_layer(net) and np.ndim(unit) == 0 else f"{layer} unit {unit}"
    path = display.save_png(picture, args.output, _params(
        args, net, layer_used=layer, unit_used=unit, settings=settings_dict(args.preset, **overrides),
        start_value=history[0], final_value=history[-1], pixel_units="0..255 per RGB channel"))
    return _done(path, f"{label}: activation {history[0]:.3g} -> {history[-1]:.3g} in {len(history)} steps")


def _adversarial_picture(net, x0, r, magnify):
    diff = net.space.to_pixels(r.x)[0] - net.space.to_pixels(x0)[0]
    magnified = np.clip(128 + magnify * diff, 0, 255).astype(np.uint8)
    return display.grid([net.space.deprocess(x0), net.space.deprocess(r.x), magnified], cols=3)


def _report(net, r):
    return {"success": r.success, "steps": r.steps, "predicted": _class(net, r.predicted),
            "confidence": r.confidence, "linf_pixels": r.linf, "l2_pixels": r.l2}


def cmd_adversarial(args):
    net = _model(args)
    x = _image(net, args)
    r = viz.to_target(net, x, args.target, step=args.step, max_steps=args.max_steps, progress=True)
    path = display.save_png(_adversarial_picture(net, x, r, args.magnify), args.output,
                            _params(args, net, target_class=_class(net, viz.resolve_target(net, args.target)),
                                    result=_report(net, r)))
    verdict = "now classified as" if r.success else "not reached; still"
    return _done(path, f"{verdict} {net.classes[r.predicted]!r} ({r.confidence:.3f}) after {r.steps} steps; "
                       f"change: L-inf {r.linf:.2f}, L2 {r.l2:.1f} pixel units")


def cmd_fgsm(args):
    net = _model(args)
    x = _image(net, args)
    label = _target(net, x, args.label)
    r = viz.fgsm(net, x, label, epsilon=args.epsilon, target=args.target)
    path = display.save_png(_adversarial_picture(net, x, r, args.magnify), args.output,
                            _params(args, net, label_class=_class(net, label), result=_report(net, r)))
    return _done(path, f"epsilon {args.epsilon} pixel units: {net.classes[label]!r} -> {net.classes[r.predicted]!r} "
                       f"({r.confidence:.3f})")


def cmd_fool(args):
    net = _model(args)
    start = args.start
    if start not in ("noise", "zeros"):
        args.image = start
        start = _image(net, args)
    r = viz.fooling(net, args.target, start=start, confidence=args.confidence, step=args.step,
                    max_steps=args.max_steps, seed=args.seed, progress=True)
    picture = display.grid([display.centered(r.x, net.space), net.space.deprocess(r.x)], cols=2)
    path = display.save_png(picture, args.output, _params(args, net, result=_report(net, r)))
    return _done(path, f"{net.classes[r.predicted]!r} with probability {r.confidence:.4f} after {r.steps} steps"
                       + ("" if r.success else " (target confidence not reached)"))


def cmd_linear_example(args):
    r = viz.logistic_example(epsilon=args.epsilon)
    x, w = viz.linear.LECTURE_X, viz.linear.LECTURE_W
    print("binary logistic regression, P(class 1 | x) = sigmoid(w . x)")
    print(f"x      = {x.astype(int).tolist()}")
    print(f"w      = {w.astype(int).tolist()}")
    print(f"w . x  = {r['score']:g}        P(class 1) = {r['p']:.4f}")
    print(f"x_adv  = x + {args.epsilon:g} * sign(w) = {r['x_adv'].tolist()}")
    print(f"w . x_adv = {r['score_adv']:g}     P(class 1) = {r['p_adv']:.4f}")
    return 0


def build(sub):
    """Add the visualization verbs to the command line's subparsers."""
    def common(p, image=True, target=True):
        if image:
            p.add_argument("image", help="an image file")
            p.add_argument("--size", type=int, help="resize the shorter side to this before the centre crop "
                                                    "(default: the model's input size)")
        p.add_argument("--model", default="squeezenet1_1", help="model name or file (default squeezenet1_1)")
        if target:
            p.add_argument("--target", help="class index or (part of) a class name (default: the predicted class)")
        p.add_argument("-o", "--output", required=True, help="PNG to write (a .json sidecar is written beside it)")

    p = sub.add_parser("saliency", help="saliency map: max over channels of |d score / d pixel| (Simonyan et al.)")
    common(p)
    p.set_defaults(run=cmd_saliency)

    p = sub.add_parser("segment", help="GrabCut segmentation seeded by the saliency map")
    common(p)
    p.add_argument("--smooth", type=float, default=3.0, help="Gaussian smoothing of the map, pixels (default 3)")
    p.add_argument("--fg", type=float, default=95, help="saliency percentile above which is object (default 95)")
    p.add_argument("--bg", type=float, default=30, help="saliency percentile below which is background (default 30)")
    p.set_defaults(run=cmd_segment)

    p = sub.add_parser("neuron", help="one unit's image gradient under backprop, deconvnet or guided backprop")
    common(p, target=False)
    p.add_argument("--layer", required=True, help="layer name, e.g. conv5_3 or fire9/concat")
    p.add_argument("--unit", required=True, help="channel (its strongest position is used) or 'c,y,x'")
    p.add_argument("--mode", choices=["backprop", "deconvnet", "guided", "all"], default="all")
    p.set_defaults(run=cmd_neuron)

    p = sub.add_parser("occlusion", help="probability of the class as a grey square slides over the image")
    common(p)
    p.add_argument("--patch", type=int, default=32, help="side of the grey square, pixels (default 32)")
    p.add_argument("--stride", type=int, default=8, help="step between positions, pixels (default 8)")
    p.add_argument("--layer", help="layer whose strongest feature map is also tracked")
    p.set_defaults(run=cmd_occlusion)

    p = sub.add_parser("classviz", help="an image that maximizes a class score or any unit (Simonyan; Yosinski)")
    common(p, image=False)
    p.add_argument("--layer", help="layer of the unit (default: the class scores)")
    p.add_argument("--unit", help="unit of --layer: channel or 'c,y,x' (default: --target's class)")
    p.add_argument("--preset", choices=sorted(viz.PRESETS), default="yosinski3")
    p.add_argument("--iterations", type=int, help="override the preset's number of steps")
    p.add_argument("--jitter", type=int, default=0, help="random shift of up to this many pixels per step")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(run=cmd_classviz)

    p = sub.add_parser("adversarial", help="the smallest change that makes the network see --target")
    common(p)
    p.add_argument("--step", type=float, default=0.25, help="change per step, pixel units (default 0.25)")
    p.add_argument("--max-steps", type=int, default=200)
    p.add_argument("--magnify", type=float, default=10.0, help="magnification of the difference image (default 10)")
    p.set_defaults(run=cmd_adversarial)

    p = sub.add_parser("fgsm", help="fast gradient sign: one step of epsilon pixel units")
    common(p)
    p.add_argument("--label", help="the true class (default: the predicted one)")
    p.add_argument("--epsilon", type=float, default=2.0, help="pixel units, 0..255 scale (default 2)")
    p.add_argument("--magnify", type=float, default=20.0)
    p.set_defaults(run=cmd_fgsm)

    p = sub.add_parser("fool", help="a fooling image: from noise to a confident prediction of --target")
    common(p, image=False)
    p.add_argument("--start", default="noise", help="noise, zeros (the mean image) or an image file")
    p.add_argument("--size", type=int, help="for --start IMAGE: shorter side before the centre crop")
    p.add_argument("--confidence", type=float, default=0.996)
    p.add_argument("--step", type=float, default=1.0, help="RMS change per step, pixel units (default 1)")
    p.add_argument("--max-steps", type=int, default=200)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(run=cmd_fool)

    p = sub.add_parser("linear-example", help="the lecture's adversarial logistic regression, in numbers")
    p.add_argument("--epsilon", type=float, default=0.5)
    p.set_defaults(run=cmd_linear_example)
