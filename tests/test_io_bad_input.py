"""Bad model files: each gives a one-line error from the CLI and leaves no output file."""
import json

import h5py
import numpy as np
import pytest

from minicnn import Net
from minicnn.images import CAFFE, ImageSpace
from minicnn.errors import ModelFileError
from minicnn.io import load, save
from minicnn.models import squeezenet1_1

from cli_helpers import assert_one_line_error, run_cli
from model_files import torchvision_squeezenet_state, write_hostile_pth, write_pth


@pytest.fixture
def model_file(tmp_path):
    net = Net(squeezenet1_1(num_classes=10), (3, 67, 67), space=ImageSpace(**CAFFE, size=(67, 67)),
              classes=[str(i) for i in range(10)])
    return save(net, tmp_path / "small.h5")


def test_truncated_model_file(model_file, tmp_path):
    data = model_file.read_bytes()
    bad = tmp_path / "truncated.h5"
    bad.write_bytes(data[:len(data) // 2])
    with pytest.raises(ModelFileError, match="truncated"):
        load(bad)
    rc, _, err = run_cli("info", bad)
    assert_one_line_error(rc, err, "truncated.h5")


def test_architecture_that_disagrees_with_its_tensors(model_file):
    with h5py.File(model_file, "r+") as f:
        del f["params/fire3/expand3x3/W"]
        f["params/fire3/expand3x3/W"] = np.zeros((64, 16, 1, 1), np.float32)
    rc, _, err = run_cli("info", model_file)
    assert_one_line_error(rc, err, "'fire3/expand3x3'", "(64, 16, 1, 1)", "(64, 16, 3, 3)")


def test_extra_and_missing_parameters(model_file):
    with h5py.File(model_file, "r+") as f:
        f["params/pool1/W"] = np.zeros(3)
    with pytest.raises(ModelFileError, match="pool1"):
        load(model_file)
    with h5py.File(model_file, "r+") as f:
        del f["params/pool1"], f["params/conv10/b"]
    with pytest.raises(ModelFileError, match="'conv10' has no parameter b"):
        load(model_file)


def test_unknown_layer_type_in_a_model_file(model_file):
    with h5py.File(model_file, "r+") as f:
        spec = json.loads(f.attrs["architecture"])
        spec[1]["type"] = "lrn"
        f.attrs["architecture"] = json.dumps(spec)
    rc, _, err = run_cli("info", model_file)
    assert_one_line_error(rc, err, "unknown layer type 'lrn'")


def test_not_a_model_file(tmp_path):
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["x"] = np.zeros(3)
    rc, _, err = run_cli("info", tmp_path / "other.h5")
    assert_one_line_error(rc, err, "not a minicnn model file")


def test_unknown_layer_type_in_a_prototxt(tmp_path):
    (tmp_path / "deploy.prototxt").write_text(
        'layer { name: "data" type: "Input" top: "data" input_param { shape: { dim: 1 dim: 3 dim: 8 dim: 8 } } }\n'
        'layer { name: "norm1" type: "LRN" bottom: "data" top: "norm1" }\n')
    np.savez(tmp_path / "w.npz", **{"conv1/W": np.zeros((1, 3, 3, 3))})
    out = tmp_path / "out.h5"
    rc, _, err = run_cli("convert", tmp_path / "w.npz", out, "--prototxt", tmp_path / "deploy.prototxt")
    assert_one_line_error(rc, err, "unknown layer type 'LRN'")
    assert not out.exists()


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_hostile_pth_is_refused_and_never_runs(tmp_path, legacy):
    marker = tmp_path / "pwned"
    evil = tmp_path / "squeezenet1_1-evil.pth"
    write_hostile_pth(evil, marker, legacy=legacy)
    out = tmp_path / "out.h5"
    rc, _, err = run_cli("convert", evil, out)
    assert_one_line_error(rc, err, "refused", "posix.system" if "posix" in err else "system")
    assert not marker.exists(), "the file's code ran"
    assert not out.exists()


def test_truncated_pth_and_damaged_caffemodel(tmp_path):
    src = tmp_path / "squeezenet1_1.pth"
    write_pth(src, torchvision_squeezenet_state(np.random.RandomState(0)), legacy=True)
    src.write_bytes(src.read_bytes()[:-1000])
    rc, _, err = run_cli("convert", src, tmp_path / "a.h5")
    assert_one_line_error(rc, err, "truncated")
    (tmp_path / "deploy.prototxt").write_text(
        'layer { name: "data" type: "Input" top: "data" input_param { shape: { dim: 1 dim: 3 dim: 8 dim: 8 } } }\n')
    (tmp_path / "w.caffemodel").write_bytes(np.random.RandomState(1).bytes(1000))
    rc, _, err = run_cli("convert", tmp_path / "w.caffemodel", tmp_path / "b.h5", "--prototxt", tmp_path / "deploy.prototxt")
    assert_one_line_error(rc, err, "caffemodel")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deploy.prototxt", "squeezenet1_1.pth", "w.caffemodel"]


def test_state_dict_with_wrong_shapes(tmp_path):
    state = torchvision_squeezenet_state(np.random.RandomState(2))
    state["features.6.expand3x3.weight"] = state["features.6.expand3x3.weight"][:, :, :1, :1].copy()
    write_pth(tmp_path / "s.pth", state)
    rc, _, err = run_cli("convert", tmp_path / "s.pth", tmp_path / "s.h5")
    assert_one_line_error(rc, err, "features.6.expand3x3.weight", "(128, 32, 1, 1)", "fire4/expand3x3")
    assert not (tmp_path / "s.h5").exists()


def test_missing_named_model_says_how_to_fetch_it(tmp_path):
    rc, _, err = run_cli("info", "vgg19", env={"MINICNN_HOME": str(tmp_path)})
    assert_one_line_error(rc, err, "minicnn fetch vgg19")


def test_named_model_resolves_in_minicnn_home(tmp_path, model_file, monkeypatch):
    (tmp_path / "home").mkdir()
    model_file.rename(tmp_path / "home" / "tiny.h5")
    monkeypatch.setenv("MINICNN_HOME", str(tmp_path / "home"))
    assert load("tiny").classes == [str(i) for i in range(10)]
