"""Writers for the foreign file formats, so tests need neither torch, Keras nor Caffe:
PyTorch .pth (zip and legacy containers, written opcode by opcode), Caffe .caffemodel
(protobuf wire format) and deploy.prototxt, and Keras VGG weight files (HDF5)."""
import pickle
import struct
import zipfile

import h5py
import numpy as np

STORAGE = {np.dtype(np.float32): "FloatStorage", np.dtype(np.float64): "DoubleStorage",
           np.dtype(np.float16): "HalfStorage", np.dtype(np.int64): "LongStorage"}


# ---- PyTorch -------------------------------------------------------------------------------

def _state_dict_pickle(state):
    """The pickle torch.save writes for an OrderedDict of contiguous tensors (protocol 2)."""
    out = bytearray(b"\x80\x02")

    def glob(module, name):
        out.extend(b"c" + f"{module}\n{name}\n".encode())

    def text(s):
        b = s.encode()
        out.extend(b"X" + struct.pack("<I", len(b)) + b)

    def integer(n):
        out.extend(b"J" + struct.pack("<i", n))

    def ints(values):
        out.extend(b"(")
        for v in values:
            integer(v)
        out.extend(b"t")

    glob("collections", "OrderedDict")
    out.extend(b")R(")
    for i, (key, a) in enumerate(state.items()):
        text(key)
        glob("torch._utils", "_rebuild_tensor_v2")
        out.extend(b"((")
        text("storage")
        glob("torch", STORAGE[a.dtype])
        text(str(i))
        text("cpu")
        integer(a.size)
        out.extend(b"tQ")                                  # the persistent id tuple, BINPERSID
        integer(0)
        ints(a.shape)
        ints([s // a.itemsize for s in a.strides])
        out.extend(b"\x89")                                # requires_grad False
        glob("collections", "OrderedDict")
        out.extend(b")Rt")                                 # backward hooks, end of the args tuple
        out.extend(b"R")
    out.extend(b"u.")
    return bytes(out)


def write_pth(path, state, legacy=False):
    """Write {name: ndarray} as torch.save would (zip container, or the legacy one)."""
    state = {k: np.ascontiguousarray(v) for k, v in state.items()}
    data = _state_dict_pickle(state)
    if legacy:
        with open(path, "wb") as f:
            f.write(pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2))
            f.write(pickle.dumps(1001, protocol=2))
            f.write(pickle.dumps({"protocol_version": 1001, "little_endian": True,
                                  "type_sizes": {"short": 2, "int": 4, "long": 4}}, protocol=2))
            f.write(data)
            f.write(pickle.dumps([str(i) for i in range(len(state))], protocol=2))
            for a in state.values():
                f.write(struct.pack("<q", a.size) + a.astype(a.dtype.newbyteorder("<")).tobytes())
    else:
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("archive/data.pkl", data)
            z.writestr("archive/version", "3\n")
            for i, a in enumerate(state.values()):
                z.writestr(f"archive/data/{i}", a.astype(a.dtype.newbyteorder("<")).tobytes())


class _RunsACommand:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        import os
        return (os.system, (self.command,))


def write_hostile_pth(path, marker, legacy=False):
    """A .pth whose pickle would run `touch marker` if it were unpickled naively."""
    evil = pickle.dumps(_RunsACommand(f"touch {marker}"), protocol=2)
    if legacy:
        path.write_bytes(evil)
    else:
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("archive/data.pkl", evil)


def torchvision_squeezenet_state(rng):
    """Random weights under torchvision's squeezenet1_1 names and shapes."""
    state = {"features.0.weight": (64, 3, 3, 3)}
    fires = {3: (64, 16, 64), 4: (128, 16, 64), 6: (128, 32, 128), 7: (256, 32, 128),
             9: (256, 48, 192), 10: (384, 48, 192), 11: (384, 64, 256), 12: (512, 64, 256)}
    for i, (cin, s, e) in fires.items():
        state.update({f"features.{i}.squeeze.weight": (s, cin, 1, 1), f"features.{i}.expand1x1.weight": (e, s, 1, 1),
                      f"features.{i}.expand3x3.weight": (e, s, 3, 3)})
    state["classifier.1.weight"] = (1000, 512, 1, 1)
    out = {}
    for key, shape in state.items():
        out[key] = (rng.randn(*shape) * np.sqrt(2.0 / np.prod(shape[1:]))).astype(np.float32)
        out[key.replace("weight", "bias")] = (0.05 * rng.randn(shape[0])).astype(np.float32)
    return out


# ---- Caffe ----------------------------------------------------------------------------------

def _varint(n):
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number, payload):
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def write_caffemodel(path, blobs):
    """{layer: [arrays]} -> a binary NetParameter with one LayerParameter per layer."""
    layers = b""
    for name, arrays in blobs.items():
        body = _field(1, name.encode()) + _field(2, b"Convolution")
        for a in arrays:
            shape = _field(1, b"".join(_varint(int(d)) for d in a.shape))
            body += _field(7, _field(7, shape) + _field(5, np.asarray(a, "<f4").tobytes()))
        layers += _field(100, body)
    path.write_bytes(_field(1, b"synthetic") + layers)


def prototxt_from_spec(spec, input_shape):
    """A Caffe deploy.prototxt for a minicnn layer list, with ReLU and Dropout in place."""
    lines = ['name: "synthetic"', 'layer { name: "data" type: "Input" top: "data" '
             f'input_param {{ shape: {{ dim: 1 dim: {input_shape[0]} dim: {input_shape[1]} dim: {input_shape[2]} }} }} }}']
    blob = {"data": "data"}
    previous = "data"
    for s in spec:
        inputs = s.get("inputs", [previous])
        bottoms = [blob[i] for i in inputs]
        in_place = s["type"] in ("relu", "dropout")
        top = bottoms[0] if in_place else s["name"]
        body = {"conv": lambda: f'convolution_param {{ num_output: {s["out_channels"]} kernel_size: {s["kernel"]} '
                                f'stride: {s.get("stride", 1)} pad: {s.get("pad", 0)} }}',
                "maxpool": lambda: f'pooling_param {{ pool: MAX kernel_size: {s["size"]} stride: {s["stride"]} }}',
                "avgpool": lambda: "pooling_param { pool: AVE global_pooling: true }",
                "dropout": lambda: f'dropout_param {{ dropout_ratio: {s["p"]} }}',
                "linear": lambda: f'inner_product_param {{ num_output: {s["out_features"]} }}'}.get(s["type"], lambda: "")()
        kind = {"conv": "Convolution", "linear": "InnerProduct", "relu": "ReLU", "maxpool": "Pooling", "avgpool": "Pooling",
                "concat": "Concat", "dropout": "Dropout", "softmax": "Softmax"}[s["type"]]
        b = " ".join(f'bottom: "{x}"' for x in bottoms)
        lines.append(f'layer {{\n  name: "{s["name"]}"\n  type: "{kind}"\n  {b}\n  top: "{top}"\n  {body}\n}}')
        blob[s["name"]] = top
        previous = s["name"]
    return "\n".join(lines) + "\n"


# ---- Keras ----------------------------------------------------------------------------------

def keras_vgg_layers(arch, rng, top=True):
    """[(keras layer name, [kernel, bias] or [])] with Keras's names and shapes, random values."""
    blocks = {"vgg16": (2, 2, 3, 3, 3), "vgg19": (2, 2, 4, 4, 4)}[arch]
    layers, cin = [("input_1", [])], 3
    for b, (n, c) in enumerate(zip(blocks, (64, 128, 256, 512, 512)), start=1):
        for i in range(1, n + 1):
            k = (rng.randn(3, 3, cin, c) * np.sqrt(2.0 / (9 * cin))).astype(np.float32)
            layers.append((f"block{b}_conv{i}", [k, (0.05 * rng.randn(c)).astype(np.float32)]))
            cin = c
        layers.append((f"block{b}_pool", []))
    if top:
        layers.append(("flatten", []))
        for name, (d, m) in (("fc1", (25088, 4096)), ("fc2", (4096, 4096)), ("predictions", (4096, 1000))):
            fast = np.random.default_rng(rng.randint(2 ** 31))          # float32 draws: 100M of them
            k = fast.standard_normal((d, m), dtype=np.float32) * np.float32(np.sqrt(2.0 / d))
            layers.append((name, [k, (0.05 * rng.randn(m)).astype(np.float32)]))
    return layers


def write_keras(path, layers, old_names=False):
    """A Keras weights file: root attribute layer_names, per layer weight_names + datasets."""
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.array([n.encode() for n, _ in layers])
        f.attrs["backend"] = b"tensorflow"
        for name, tensors in layers:
            g = f.create_group(name)
            if old_names:
                names = [f"{name}_W_1:0", f"{name}_b_1:0"][:len(tensors)]
            else:
                names = [f"{name}/kernel:0", f"{name}/bias:0"][:len(tensors)]
            g.attrs["weight_names"] = np.array([n.encode() for n in names], dtype="S")
            for n, t in zip(names, tensors):
                g.create_dataset(n, data=t)


def torchvision_vgg_state(arch, rng):
    """Random weights under torchvision's VGG names and shapes (features.<i>, classifier.<i>)."""
    blocks = {"vgg16": (2, 2, 3, 3, 3), "vgg19": (2, 2, 4, 4, 4)}[arch]
    fast = np.random.default_rng(rng.randint(2 ** 31))
    state, idx, cin = {}, 0, 3
    for n, c in zip(blocks, (64, 128, 256, 512, 512)):
        for _ in range(n):
            state[f"features.{idx}.weight"] = (fast.standard_normal((c, cin, 3, 3), dtype=np.float32)
                                               * np.float32(np.sqrt(2.0 / (9 * cin))))
            state[f"features.{idx}.bias"] = (0.05 * fast.standard_normal(c, dtype=np.float32))
            idx, cin = idx + 2, c                               # conv, ReLU
        idx += 1                                                # max pool
    for i, (m, d) in {0: (4096, 25088), 3: (4096, 4096), 6: (1000, 4096)}.items():
        state[f"classifier.{i}.weight"] = fast.standard_normal((m, d), dtype=np.float32) * np.float32(np.sqrt(2.0 / d))
        state[f"classifier.{i}.bias"] = 0.05 * fast.standard_normal(m, dtype=np.float32)
    return state


def write_caffemodel_v1(path, blobs):
    """The old NetParameter form: V1LayerParameter entries (field 2) with name 4 and blobs 6,
    blobs given by the legacy num/channels/height/width fields."""
    layers = b""
    for name, arrays in blobs.items():
        body = _field(4, name.encode())
        for a in arrays:
            dims = (1,) * (4 - a.ndim) + tuple(a.shape)
            header = b"".join(_varint(k << 3) + _varint(int(d)) for k, d in zip((1, 2, 3, 4), dims))
            body += _field(6, header + _field(5, np.asarray(a, "<f4").tobytes()))
        layers += _field(2, body)
    path.write_bytes(_field(1, b"synthetic-v1") + layers)
