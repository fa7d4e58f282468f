"""Small networks for the tests: a VGG-style chain and a SqueezeNet-style fire module."""


def vgg_style(classes=5):
    """conv-relu-conv-relu-pool-conv-relu-pool-fc-relu-dropout-fc-softmax on (3, 8, 8)."""
    return [
        {"name": "conv1_1", "type": "conv", "out_channels": 4, "kernel": 3, "pad": 1},
        {"name": "relu1_1", "type": "relu"},
        {"name": "conv1_2", "type": "conv", "out_channels": 4, "kernel": 3, "pad": 1},
        {"name": "relu1_2", "type": "relu"},
        {"name": "pool1", "type": "maxpool", "size": 2, "stride": 2},
        {"name": "conv2_1", "type": "conv", "out_channels": 6, "kernel": 3, "pad": 1},
        {"name": "relu2_1", "type": "relu"},
        {"name": "pool2", "type": "maxpool", "size": 2, "stride": 2},
        {"name": "fc3", "type": "linear", "out_features": 10},
        {"name": "relu3", "type": "relu"},
        {"name": "drop3", "type": "dropout", "p": 0.5},
        {"name": "fc4", "type": "linear", "out_features": classes},
        {"name": "prob", "type": "softmax"},
    ]


def fire_style(classes=5):
    """conv1 3x3/2 - pool 3x3/2 ceil - fire(squeeze 1x1 -> expand 1x1 || expand 3x3 -> concat)
    - conv10 1x1 - global average pool - softmax, on (3, 15, 15)."""
    return [
        {"name": "conv1", "type": "conv", "out_channels": 6, "kernel": 3, "stride": 2},
        {"name": "relu_conv1", "type": "relu"},
        {"name": "pool1", "type": "maxpool", "size": 3, "stride": 2, "ceil_mode": True},
        {"name": "fire2/squeeze1x1", "type": "conv", "out_channels": 3, "kernel": 1},
        {"name": "fire2/relu_squeeze1x1", "type": "relu"},
        {"name": "fire2/expand1x1", "type": "conv", "out_channels": 4, "kernel": 1},
        {"name": "fire2/relu_expand1x1", "type": "relu"},
        {"name": "fire2/expand3x3", "type": "conv", "out_channels": 4, "kernel": 3, "pad": 1,
         "inputs": ["fire2/relu_squeeze1x1"]},
        {"name": "fire2/relu_expand3x3", "type": "relu"},
        {"name": "fire2/concat", "type": "concat", "inputs": ["fire2/relu_expand1x1", "fire2/relu_expand3x3"]},
        {"name": "conv10", "type": "conv", "out_channels": classes, "kernel": 1},
        {"name": "relu_conv10", "type": "relu"},
        {"name": "pool10", "type": "avgpool"},
        {"name": "prob", "type": "softmax"},
    ]
