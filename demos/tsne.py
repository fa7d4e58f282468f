"""t-SNE of CNN codes: the default model's 1,000 held-out digits embedded by their fc3 codes
(the lecture's MNIST embedding), coloured by label and snapped to a grid.

    python demos/tsne.py [--model digits] [-o out]
"""
from minicnn import display, viz

import common


def main():
    ap = common.parser(__doc__.splitlines()[0])
    ap.set_defaults(model="digits")
    args = ap.parse_args()
    net = common.model(args)
    r = viz.run("tsne", net)
    common.save(args, "tsne.png", display.embedding(net, r), [r])


if __name__ == "__main__":
    main()
