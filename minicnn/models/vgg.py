"""VGG16 and VGG19 (Simonyan & Zisserman 2014, configurations D and E) as layer lists.

Names follow Caffe's model zoo: conv1_1, relu1_1, ..., pool5, fc6, relu6, drop6, fc7, relu7,
drop7, fc8, prob. Every conv is 3x3 with padding 1; every pool is 2x2 with stride 2; at 224x224
the last map is 7x7x512, flattened in C, H, W order into fc6.
"""

# Number of 3x3 convolutions in each of the five blocks, and their channels.
BLOCKS = {"vgg16": (2, 2, 3, 3, 3), "vgg19": (2, 2, 4, 4, 4)}
CHANNELS = (64, 128, 256, 512, 512)


def vgg(name, num_classes=1000):
    """The layer list of "vgg16" or "vgg19" (input (3, 224, 224))."""
    spec = []
    for block, (n, c) in enumerate(zip(BLOCKS[name], CHANNELS), start=1):
        for i in range(1, n + 1):
            spec.append({"name": f"conv{block}_{i}", "type": "conv", "out_channels": c, "kernel": 3, "pad": 1})
            spec.append({"name": f"relu{block}_{i}", "type": "relu"})
        spec.append({"name": f"pool{block}", "type": "maxpool", "size": 2, "stride": 2})
    for i, width in ((6, 4096), (7, 4096)):
        spec += [{"name": f"fc{i}", "type": "linear", "out_features": width},
                 {"name": f"relu{i}", "type": "relu"},
                 {"name": f"drop{i}", "type": "dropout", "p": 0.5}]
    spec += [{"name": "fc8", "type": "linear", "out_features": num_classes},
             {"name": "prob", "type": "softmax"}]
    return spec


def vgg16(num_classes=1000):
    return vgg("vgg16", num_classes)


def vgg19(num_classes=1000):
    return vgg("vgg19", num_classes)
