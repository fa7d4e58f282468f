"""What single neurons respond to: backprop, deconvnet and guided backprop side by side, for
units at several depths, with the image patch each unit can see (Zeiler & Fergus 2013;
Springenberg et al. 2015).

    python demos/deconv_guided.py [--model squeezenet1_1] [-o out]
"""

from minicnn import display, viz

import common


def main():
    ap = common.parser(__doc__.splitlines()[0])
    ap.add_argument("--image", default="coffee.png")
    args = ap.parse_args()
    net = common.model(args)
    img, x = common.photo(net, args.image)
    convs = [n for n in net.layer_names if net.layers[n]["type"] in ("concat", "relu") and len(net.shapes[n]) == 3]
    layers = [convs[len(convs) // 4], convs[len(convs) // 2], convs[-2]]
    fig, axes = common.figure(len(layers), 5)
    params = {"image": args.image, "units": []}
    for row, layer in zip(axes, layers):
        out = net.forward(x, end=layer)[0]
        channel = int(out.reshape(out.shape[0], -1).max(axis=1).argmax())    # the most active map
        grads, where = viz.all_modes(net, x, layer, channel)
        top, left, bottom, right = viz.receptive_box(net, layer, where, img.shape[:2])
        row[0].imshow(img[top:bottom, left:right])
        row[0].set_title(f"{layer} #{channel}\nits receptive field", fontsize=8)
        for ax, mode in zip(row[1:4], ("backprop", "deconvnet", "guided")):
            g = grads[mode]
            ax.imshow(display.signed_to_rgb(g, net.space, scale=display.robust_scale(g)))
            ax.set_title(mode, fontsize=9)
        guided = display.signed_to_rgb(grads["guided"], net.space, scale=display.robust_scale(grads["guided"]))
        row[4].imshow(guided[top:bottom, left:right])
        row[4].set_title("guided, cropped", fontsize=9)
        params["units"].append({"layer": layer, "unit": list(where), "receptive_box": [top, left, bottom, right]})
    common.save(fig, args, "deconv_guided.png", params)


if __name__ == "__main__":
    main()
