"""Occlusion experiments (Zeiler & Fergus 2013): the class probability, and the strongest
feature map, as a grey square slides over the image.

    python demos/occlusion.py [--model squeezenet1_1] [-o out] [--patch 40] [--stride 8]
"""
from minicnn import viz

import common


def main():
    ap = common.parser(__doc__.splitlines()[0])
    ap.add_argument("--patch", type=int, default=40)
    ap.add_argument("--stride", type=int, default=8)
    args = ap.parse_args()
    net = common.model(args)
    names = ["coffee.png", "chelsea.png"]
    fig, axes = common.figure(len(names), 3)
    params = {"patch": args.patch, "stride": args.stride, "results": []}
    for row, name in zip(axes, names):
        img, x = common.photo(net, name)
        c = int(viz.probabilities(net, x).argmax())
        r = viz.occlusion(net, x, c, size=args.patch, stride=args.stride, progress=True)
        row[0].imshow(img)
        row[0].set_title(net.classes[c].split(",")[0], fontsize=9)
        im = row[1].imshow(viz.occlusion_map(r, img.shape[:2], args.patch), cmap="jet")
        fig.colorbar(im, ax=row[1], fraction=0.046)
        row[1].set_title("P(class) with the square there", fontsize=9)
        im = row[2].imshow(r.feature, cmap="viridis")
        fig.colorbar(im, ax=row[2], fraction=0.046)
        row[2].set_title(f"strongest map (#{r.channel}), total", fontsize=9)
        params["results"].append({"image": name, "class": c, "base_probability": r.base_prob,
                                  "min_probability": float(r.prob.min()), "feature_channel": r.channel})
    common.save(fig, args, "occlusion.png", params)


if __name__ == "__main__":
    main()
