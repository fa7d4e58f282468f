"""Neural style (Gatys et al. 2015): a photo's content in another photo's style, and the same
keeping the content's colours.

    python demos/style.py [--model squeezenet1_1] [-o out] [--iterations 300]
"""
from minicnn import display, viz

import common


def main():
    ap = common.parser(__doc__.splitlines()[0])
    ap.add_argument("--content", default="chelsea.png")
    ap.add_argument("--style", default="rocket.jpg")
    ap.add_argument("--iterations", type=int, default=300)
    args = ap.parse_args()
    net = common.model(args)
    x = common.photo(net, args.content)
    style = str(common.PHOTOS / args.style)
    plain = viz.run("style", net, x, style=style, iterations=args.iterations)
    kept = viz.run("style", net, x, style=style, iterations=args.iterations, original_colors=True)
    row = display.style_transfer(net, plain)[0] + [display.style_transfer(net, kept)[0][-1]]
    common.save(args, "style.png", row, [plain, kept], content=args.content, style=args.style)


if __name__ == "__main__":
    main()
