"""SqueezeNet v1.1 (Iandola et al. 2016; DeepScale's Caffe release) as a layer list.

Names follow the Caffe deploy.prototxt: conv1, relu_conv1, pool1, fire2/squeeze1x1,
fire2/relu_squeeze1x1, fire2/expand1x1, fire2/relu_expand1x1, fire2/expand3x3,
fire2/relu_expand3x3, fire2/concat, ..., drop9, conv10, relu_conv10, pool10, prob.
Caffe pools round up (ceil mode); conv1 is 3x3 stride 2 without padding; the classifier is a
1x1 convolution, a ReLU and global average pooling.
"""

# (squeeze channels, expand channels per branch) of fire2 ... fire9; a max pool follows fire3 and fire5.
FIRES = {2: (16, 64), 3: (16, 64), 4: (32, 128), 5: (32, 128),
         6: (48, 192), 7: (48, 192), 8: (64, 256), 9: (64, 256)}


def _conv(name, out_channels, kernel, inputs=None, **kw):
    spec = {"name": name, "type": "conv", "out_channels": out_channels, "kernel": kernel, **kw}
    return dict(spec, inputs=[inputs]) if inputs else spec


def _fire(i, squeeze, expand):
    f = f"fire{i}"
    return [
        _conv(f"{f}/squeeze1x1", squeeze, 1),
        {"name": f"{f}/relu_squeeze1x1", "type": "relu"},
        _conv(f"{f}/expand1x1", expand, 1),
        {"name": f"{f}/relu_expand1x1", "type": "relu"},
        _conv(f"{f}/expand3x3", expand, 3, inputs=f"{f}/relu_squeeze1x1", pad=1),
        {"name": f"{f}/relu_expand3x3", "type": "relu"},
        {"name": f"{f}/concat", "type": "concat", "inputs": [f"{f}/relu_expand1x1", f"{f}/relu_expand3x3"]},
    ]


def _pool(name):
    return {"name": name, "type": "maxpool", "size": 3, "stride": 2, "ceil_mode": True}


def squeezenet1_1(num_classes=1000):
    """The layer list of SqueezeNet v1.1 (input (3, 227, 227) in Caffe, 224 in torchvision)."""
    spec = [_conv("conv1", 64, 3, stride=2), {"name": "relu_conv1", "type": "relu"}, _pool("pool1")]
    for i, (squeeze, expand) in FIRES.items():
        spec += _fire(i, squeeze, expand)
        if i in (3, 5):
            spec.append(_pool(f"pool{i}"))
    spec += [{"name": "drop9", "type": "dropout", "p": 0.5},
             _conv("conv10", num_classes, 1), {"name": "relu_conv10", "type": "relu"},
             {"name": "pool10", "type": "avgpool"}, {"name": "prob", "type": "softmax"}]
    return spec
