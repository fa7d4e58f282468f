"""The default model: a small VGG-style network for 28x28 handwritten digits, trained by minicnn
itself (minicnn train) and shipped in weights/digits.h5.

The lecture's table of a VGG-style network, in miniature: two blocks of two 3x3 convolutions
with ReLU, each block closed by a 2x2 max pool (28 -> 14 -> 7), then two fully connected layers
with dropout between them, and a softmax. Names follow Caffe's VGG: conv1_1, relu1_1, conv1_2,
relu1_2, pool1, conv2_1, ..., pool2, fc3, relu3, drop3, fc4, prob.
"""


def digits(num_classes=10, widths=(16, 32), hidden=128, dropout=0.5):
    """The layer list (input (1, 28, 28)): ``widths`` channels in the two blocks, ``hidden``
    units in fc3."""
    spec = []
    for block, width in enumerate(widths, start=1):
        for i in (1, 2):
            spec += [{"name": f"conv{block}_{i}", "type": "conv", "out_channels": width, "kernel": 3, "pad": 1},
                     {"name": f"relu{block}_{i}", "type": "relu"}]
        spec.append({"name": f"pool{block}", "type": "maxpool", "size": 2, "stride": 2})
    n = len(widths) + 1
    spec += [{"name": f"fc{n}", "type": "linear", "out_features": hidden},
             {"name": f"relu{n}", "type": "relu"},
             {"name": f"drop{n}", "type": "dropout", "p": dropout},
             {"name": f"fc{n + 1}", "type": "linear", "out_features": num_classes},
             {"name": "prob", "type": "softmax"}]
    return spec
