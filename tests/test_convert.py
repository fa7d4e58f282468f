"""Converters against synthetic files with the real names and shapes, each compared with an
independent forward pass (reference_forward.py) to 1e-4, including the gradient at the input."""
import numpy as np
import pytest

from minicnn.io import load
from minicnn.io.convert import convert
from minicnn.models import squeezenet1_1

import reference_forward as ref
from model_files import (keras_vgg_layers, prototxt_from_spec, torchvision_squeezenet_state, write_caffemodel,
                         write_keras, write_pth)

pytestmark = pytest.mark.cpu          # file formats against host references

TOL = 1e-4


def image(space, seed=0):
    """A random image in the model's input space (pixels 0..255 through its ImageSpace)."""
    rng = np.random.RandomState(seed)
    return space.to_input(rng.uniform(0, 255, (space.size[0], space.size[1], 3))).astype(np.float64)


@pytest.fixture(scope="module")
def keras_vgg16(tmp_path_factory):
    """VGG16 at full size (528 MB of random weights), written and converted once per run."""
    d = tmp_path_factory.mktemp("keras")
    layers = keras_vgg_layers("vgg16", np.random.RandomState(0))
    src = d / "vgg16_weights_tf_dim_ordering_tf_kernels.h5"
    write_keras(src, layers)
    out = convert(src, d / "vgg16.h5")
    src.unlink()
    return layers, out


def test_keras_vgg16_full_size(keras_vgg16):
    layers, path = keras_vgg16
    net = load(path, dtype=np.float64)
    assert net.meta["name"] == "vgg16" and net.space.channels == "BGR" and len(net.classes) == 1000
    assert net.params["fc6"]["W"].shape == (4096, 25088)
    out_err, grad_err = ref.check_against(lambda x: ref.keras_vgg(layers, x), net, image(net.space), end="fc8")
    assert out_err < TOL and grad_err < TOL, (ref.OPS.name, out_err, grad_err)


def test_keras_fc1_rows_really_are_permuted(keras_vgg16):
    """Loading fc1 without the (h, w, c) -> (c, h, w) permutation must give a different answer:
    the test above would notice a missing permutation."""
    layers, path = keras_vgg16
    net = load(path)
    k = dict(layers)["fc1"][0]
    assert not np.allclose(net.params["fc6"]["W"], k.T)
    np.testing.assert_array_equal(net.params["fc6"]["W"][5, 512 * 0 + 0 * 7 + 1], k[1 * 512 + 0, 5])   # c=0,h=0,w=1


def test_keras_vgg19_notop_with_old_weight_names(tmp_path):
    layers = keras_vgg_layers("vgg19", np.random.RandomState(1), top=False)
    src = tmp_path / "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
    write_keras(src, layers, old_names=True)
    net = load(convert(src, tmp_path / "vgg19_notop.h5"), dtype=np.float64)
    assert net.layer_names[-1] == "pool5" and net.classes == [] and net.meta["name"] == "vgg19_notop"
    x = image(net.space, 1)
    out_err, grad_err = ref.check_against(lambda z: ref.keras_vgg(layers, z), net, x, end="pool5")
    assert out_err < TOL and grad_err < TOL, (ref.OPS.name, out_err, grad_err)


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_torchvision_squeezenet(tmp_path, legacy):
    state = torchvision_squeezenet_state(np.random.RandomState(2))
    src = tmp_path / "squeezenet1_1-b8a52dc0.pth"
    write_pth(src, state, legacy=legacy)
    net = load(convert(src, tmp_path / "sq.h5"), dtype=np.float64)
    assert net.space.channels == "RGB" and net.space.pixel_max == 1.0 and net.input_shape == (3, 224, 224)
    out_err, grad_err = ref.check_against(lambda x: ref.squeezenet(state, x), net, image(net.space, 2), end="pool10")
    assert out_err < TOL and grad_err < TOL, (ref.OPS.name, out_err, grad_err)


def test_torchvision_file_written_by_torch(tmp_path):
    torch = pytest.importorskip("torch", reason="needs PyTorch to write a .pth the real way", exc_type=ImportError)
    state = torchvision_squeezenet_state(np.random.RandomState(3))
    for legacy in (False, True):
        src = tmp_path / f"squeezenet1_1-{legacy}.pth"
        torch.save({k: torch.from_numpy(v) for k, v in state.items()}, src,
                   _use_new_zipfile_serialization=not legacy)
        net = load(convert(src, tmp_path / "sq.h5"))
        for key, layer in (("features.0.weight", "conv1"), ("features.12.expand3x3.weight", "fire9/expand3x3")):
            np.testing.assert_array_equal(net.params[layer]["W"], state[key])


def test_caffe_squeezenet_caffemodel(tmp_path):
    spec = squeezenet1_1()
    prototxt = tmp_path / "deploy.prototxt"
    prototxt.write_text(prototxt_from_spec(spec, (3, 227, 227)))
    state = torchvision_squeezenet_state(np.random.RandomState(4))
    from minicnn.io.pth import torchvision_names as names
    blobs = {ours: [state[f"{theirs}.weight"], state[f"{theirs}.bias"]] for theirs, ours in names("squeezenet1_1").items()}
    write_caffemodel(tmp_path / "squeezenet_v1.1.caffemodel", blobs)
    net = load(convert(tmp_path / "squeezenet_v1.1.caffemodel", tmp_path / "sq.h5", prototxt=prototxt),
               dtype=np.float64)
    assert net.space.channels == "BGR" and net.input_shape == (3, 227, 227)
    out_err, grad_err = ref.check_against(lambda x: ref.squeezenet(state, x), net, image(net.space, 3), end="pool10")
    assert out_err < TOL and grad_err < TOL, (ref.OPS.name, out_err, grad_err)


def test_numpy_reference_agrees_with_torch_reference():
    """The two references agree, forward and input gradient (NumPy's by its own reverse mode,
    torch's by autograd), so the NumPy one is a fair stand-in where torch is absent."""
    pytest.importorskip("torch", exc_type=ImportError, reason="compares the NumPy reference with PyTorch")
    state = torchvision_squeezenet_state(np.random.RandomState(5))
    layers = keras_vgg_layers("vgg16", np.random.RandomState(10), top=False)
    rng = np.random.RandomState(6)
    cases = [(lambda z, ops: ref.squeezenet(state, z, ops), rng.randn(1, 3, 67, 67), rng.randn(1, 1000)),
             (lambda z, ops: ref.keras_vgg(layers, z, ops), rng.randn(1, 3, 32, 32), rng.randn(1, 512, 1, 1))]
    for f, x, r in cases:
        a, da = ref.NumpyOps.value_and_grad(lambda z: f(z, ref.NumpyOps), x, r)
        b, db = ref.TorchOps.value_and_grad(lambda z: f(z, ref.TorchOps), x, r)
        assert np.abs(a - b).max() < 1e-10 * np.abs(b).max()
        assert np.abs(da - db).max() < 1e-10 * np.abs(db).max()


def test_save_and_load_round_trip(tmp_path):
    from minicnn import Net
    from minicnn.images import CAFFE, ImageSpace
    from minicnn.io import save
    net = Net(squeezenet1_1(num_classes=7), (3, 67, 67), space=ImageSpace(**CAFFE, size=(67, 67)),
              classes=[f"c{i}" for i in range(7)])
    path = save(net, tmp_path / "m.h5", provenance={"note": "random"})
    again = load(path)
    assert again.spec == net.spec and again.classes == net.classes and again.space == net.space
    assert again.meta["provenance"] == {"note": "random"}
    x = np.random.RandomState(7).randn(1, 3, 67, 67).astype(np.float32)
    np.testing.assert_array_equal(again.forward(x), net.forward(x))


def test_torchvision_vgg_names_are_torchvisions_indices():
    from minicnn.io.pth import torchvision_names as names
    vgg16 = names("vgg16")
    assert [k for k in vgg16 if k.startswith("features")] == [
        f"features.{i}" for i in (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28)]
    assert vgg16["features.28"] == "conv5_3" and vgg16["features.5"] == "conv2_1"
    assert {k: v for k, v in vgg16.items() if k.startswith("classifier")} == {
        "classifier.0": "fc6", "classifier.3": "fc7", "classifier.6": "fc8"}
    assert names("vgg19")["features.34"] == "conv5_4" and names("vgg19")["features.16"] == "conv3_4"


def test_torchvision_vgg16_full_size_legacy_container(tmp_path):
    from model_files import torchvision_vgg_state
    state = torchvision_vgg_state("vgg16", np.random.RandomState(8))
    src = tmp_path / "vgg16-397923af.pth"
    write_pth(src, state, legacy=True)
    out = convert(src, tmp_path / "vgg16.h5")
    src.unlink()
    net = load(out, dtype=np.float64)
    assert net.meta["name"] == "vgg16" and net.space.channels == "RGB"
    out_err, grad_err = ref.check_against(lambda x: ref.torchvision_vgg(state, x), net, image(net.space, 8), end="fc8")
    assert out_err < TOL and grad_err < TOL, (ref.OPS.name, out_err, grad_err)


def test_caffe_v1_caffemodel(tmp_path):
    """Old .caffemodel files keep layers in V1LayerParameter with legacy 4-d blob shapes
    (InnerProduct weights as (1, 1, M, D)); a tiny conv + fc net in that form."""
    from model_files import write_caffemodel_v1
    spec = [{"name": "conv1", "type": "conv", "out_channels": 4, "kernel": 3, "pad": 1},
            {"name": "relu1", "type": "relu"},
            {"name": "pool1", "type": "maxpool", "size": 2, "stride": 2},
            {"name": "fc2", "type": "linear", "out_features": 5},
            {"name": "prob", "type": "softmax"}]
    text = prototxt_from_spec(spec, (3, 8, 8))
    (tmp_path / "deploy.prototxt").write_text(text)
    rng = np.random.RandomState(9)
    W1, b1, W2, b2 = rng.randn(4, 3, 3, 3), rng.randn(4), rng.randn(5, 64), rng.randn(5)
    write_caffemodel_v1(tmp_path / "old.caffemodel", {"conv1": [W1, b1], "fc2": [W2, b2]})
    net = load(convert(tmp_path / "old.caffemodel", tmp_path / "old.h5", prototxt=tmp_path / "deploy.prototxt"))
    assert net.layer_names == ["conv1", "relu1", "pool1", "fc2", "prob"]
    np.testing.assert_array_equal(net.params["fc2"]["W"], W2.astype(np.float32))
    np.testing.assert_array_equal(net.params["conv1"]["W"], W1.astype(np.float32))
