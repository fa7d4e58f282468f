"""Every verb against a table of bad inputs, as a hostile new user would type them: each must
exit non-zero with exactly one line on stderr, no traceback, and leave no file behind (nor
replace a device or FIFO with a regular file)."""
import json
import os
import stat

import h5py
import numpy as np
import pytest
from PIL import Image

from minicnn import cli

from cli_helpers import assert_one_line_error, run_cli
from nets import tiny_model_file


@pytest.fixture(scope="module")
def world(tmp_path_factory, tiny):
    """Everything the table refers to, by name."""
    d = tmp_path_factory.mktemp("bad")
    _, model, image = tiny
    w = {"model": model, "image": image, "dir": d / "a_folder", "file": d / "a_file.txt", "fifo": d / "a_fifo",
         "out": d / "out" / "x.png", "json_dir": d / "clash.png"}
    w["dir"].mkdir()
    w["file"].write_text("not a folder")
    os.mkfifo(w["fifo"])
    (d / "clash.png.json").mkdir()                              # the sidecar's name is taken by a folder
    w["classless"] = tiny_model_file(d / "classless.h5", classes=None)
    w["huge"] = tiny_model_file(d / "huge.h5", scale=1e30)      # finite weights that overflow float32
    for key, value in (("version", "one"), ("shape", "abc"), ("arch", "42"), ("space", "[]")):
        path = d / f"corrupt_{key}.h5"
        path.write_bytes(model.read_bytes())
        with h5py.File(path, "r+") as f:
            f.attrs[{"version": "format_version", "shape": "input_shape", "arch": "architecture",
                     "space": "space"}[key]] = value
        w[f"corrupt_{key}"] = path
    w["notimage"] = d / "fake.png"
    w["notimage"].write_text("hello")
    w["truncated"] = d / "truncated.png"
    w["truncated"].write_bytes(image.read_bytes()[:200])
    w["empty_npz"] = d / "empty.npz"
    w["empty_npz"].write_bytes(b"")
    w["truncated_npz"] = d / "truncated.npz"
    np.savez(w["truncated_npz"], **{"conv1/W": np.zeros((4, 3, 3, 3))})
    w["truncated_npz"].write_bytes(w["truncated_npz"].read_bytes()[:100])
    w["binary"] = d / "binary.prototxt"
    w["binary"].write_bytes(np.random.RandomState(0).bytes(500))
    w["keras"] = d / "vgg16_weights.h5"
    with h5py.File(w["keras"], "w") as f:
        f.attrs["layer_names"] = [b"block1_conv1"]
        f.create_group("block1_conv1").attrs["weight_names"] = [b"block1_conv1/kernel:0", b"block1_conv1/bias:0"]
        f["block1_conv1/block1_conv1/kernel:0"] = np.zeros((3, 3, 3, 64), np.float32)
        f["block1_conv1/block1_conv1/bias:0"] = np.zeros(64, np.float32)
    w["link"] = d / "link.png"
    w["link"].symlink_to(w["file"])
    w["strings_npz"] = d / "strings.npz"
    np.savez(w["strings_npz"], **{"conv1/W": np.array(["a", "b"]), "conv1/b": np.zeros(2)})
    w["no_bias_npz"] = d / "no_bias.npz"
    np.savez(w["no_bias_npz"], **{"conv1/W": np.zeros((2, 3, 3, 3), np.float32)})
    w["prototxt"] = d / "deploy.prototxt"
    w["prototxt"].write_text(
        'layer { name: "data" type: "Input" top: "data" input_param { shape: { dim: 1 dim: 3 dim: 8 dim: 8 } } }\n'
        'layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" '
        'convolution_param { num_output: 2 kernel_size: 3 } }\n')
    for key, attr, value in (("bad_type", "architecture", '[{"name": "r", "type": ["relu"]}]'),
                             ("bad_space_key", "space", '{"foo": 1}'), ("bad_channels", "space", '{"channels": ["RGB"]}'),
                             ("bad_std", "space", '{"channels": "BGR", "std": [1, NaN, 1], "size": [32, 32]}'),
                             ("bad_size", "space", '{"channels": "BGR", "size": [64, 64]}')):
        path = d / f"{key}.h5"
        path.write_bytes(model.read_bytes())
        with h5py.File(path, "r+") as f:
            f.attrs[attr] = value
        w[key] = path
    w["readonly"] = d / "readonly"             # a folder that takes no new files; root ignores permissions,
    w["readonly"].mkdir(mode=0o555)             # so for root, /sys (which refuses everyone)
    if os.geteuid() == 0:
        w["readonly"] = "/sys"
    w["root"] = d
    return w


IMG = ["{image}", "--model", "{model}", "-o", "{out}"]
TABLE = [
    # output paths
    (["saliency", "{image}", "--model", "{model}", "-o", ""], "the output file name is empty"),
    (["saliency", "{image}", "--model", "{model}", "-o", "{dir}"], "is a folder"),
    (["saliency", "{image}", "--model", "{model}", "-o", "{file}/x.png"], "is not a folder"),
    (["saliency", "{image}", "--model", "{model}", "-o", "{fifo}"], "not a regular file"),
    (["saliency", "{image}", "--model", "{model}", "-o", "{json_dir}"], "clash.png.json: it exists and is a folder"),
    (["saliency", "{image}", "--model", "{model}", "-o", "/dev/null"], "not a regular file"),
    (["saliency", "{image}", "--model", "{model}", "-o", "{link}"], "is a link"),
    (["saliency", "{image}", "--model", "{model}", "-o", "/dev/stdout"], "is a link"),
    (["saliency", "{image}", "--model", "{model}", "-o", "{image}"], "one of this command's inputs"),
    (["saliency", "{image}", "--model", "{model}", "-o", "{root}/picture.jpg"], "give a name ending in .png"),
    (["saliency", "{image}", "--model", "{model}", "-o", "{root}/" + "x" * 240 + ".png"], "too long"),
    # images
    (["saliency", "{root}/nope.png", "--model", "{model}", "-o", "{out}"], "no such image file"),
    (["saliency", "{notimage}", "--model", "{model}", "-o", "{out}"], "cannot read image"),
    (["saliency", "{truncated}", "--model", "{model}", "-o", "{out}"], "cannot read image"),
    (["saliency", "{dir}", "--model", "{model}", "-o", "{out}"], "cannot read image"),
    (["saliency", *IMG, "--size", "0"], "size to resize to"),
    (["saliency", *IMG, "--size", "100000"], "size to resize to"),
    (["saliency", *IMG, "--size", "abc"], "expected a whole number"),
    # models
    (["saliency", "{image}", "--model", "{root}/nope.h5", "-o", "{out}"], "no such model file"),
    (["saliency", "{image}", "--model", "{dir}", "-o", "{out}"], "is a folder, not a model file"),
    (["saliency", "{image}", "--model", "{image}", "-o", "{out}"], "not a readable HDF5 file"),
    (["info", "{corrupt_version}"], "format_version must be a whole number >= 1"),
    (["info", "{corrupt_shape}"], "input_shape' is not valid JSON"),
    (["info", "{corrupt_arch}"], "architecture' must be a JSON list"),
    (["info", "{corrupt_space}"], "space' must be a JSON dict"),
    (["info", "{bad_type}"], "unknown layer type ['relu']"),
    (["info", "{bad_space_key}"], "not an ImageSpace description"),
    (["info", "{bad_channels}"], "channels must be one of"),
    (["info", "{bad_std}"], "finite means"),
    (["info", "{bad_size}"], "the network takes (3, 32, 32)"),
    (["info", ""], "no model given"),
    (["saliency", "{image}", "--model", "{classless}", "-o", "{out}", "--target", "goldfish"], "no class names"),
    (["saliency", "{image}", "--model", "{huge}", "-o", "{out}"], "overflow"),
    (["saliency", "{image}", "--model", "{huge}", "-o", "{out}", "--target", "1"], "overflow"),
    # targets
    (["saliency", *IMG, "--target", "zebra"], "no class name contains 'zebra'"),
    (["saliency", *IMG, "--target", "10"], "class 10 is out of range"),
    (["saliency", *IMG, "--target", "sh"], "matches"),
    (["saliency", *IMG, "--target", ""], "no target class given"),
    (["saliency", *IMG, "--target", "-1"], "class -1 is out of range"),
    (["adversarial", *IMG], "the following arguments are required: --target"),
    (["fool", "--model", "{model}", "-o", "{out}"], "the following arguments are required: --target"),
    (["classviz", "--model", "{model}", "-o", "{out}"], "give either --target (a class) or --unit"),
    (["classviz", "--model", "{model}", "-o", "{out}", "--target", "1", "--unit", "2"], "not both"),
    (["fgsm", *IMG, "--label", "1", "--target", "2"], "not both"),
    (["fool", "{image}", "--model", "{model}", "-o", "{out}", "--target", "1", "--start", "{image}"], "not both"),
    (["fgsm", *IMG, "--label", "zebra"], "no class name contains 'zebra'"),
    # numbers
    (["segment", *IMG, "--fg", "200"], "fg must be < 100"),
    (["segment", *IMG, "--bg", "96"], "background percentile must be below"),
    (["segment", *IMG, "--smooth", "1e6"], "smooth must be <= 50"),
    (["segment", *IMG, "--smooth", "nan"], "expected a finite number"),
    (["occlusion", *IMG, "--stride", "0"], "stride must be >= 1"),
    (["occlusion", *IMG, "--patch", "0"], "patch must be >= 1"),
    (["occlusion", *IMG, "--patch", "100"], "larger than the image"),
    (["occlusion", *IMG, "--batch", "0"], "batch must be >= 1"),
    (["classviz", "--model", "{model}", "-o", "{out}", "--target", "1", "--iterations", "0"], "iterations must be >= 1"),
    (["classviz", "--model", "{model}", "-o", "{out}", "--target", "1", "--iterations", "-5"], "iterations must be >= 1"),
    (["classviz", "--model", "{model}", "-o", "{out}", "--target", "1", "--seed", "-1"], "seed must be >= 0"),
    (["classviz", "--model", "{model}", "-o", "{out}", "--target", "1", "--jitter", "-1"], "jitter must be >= 0"),
    (["classviz", "--model", "{model}", "-o", "{out}", "--target", "1", "--preset", "x"], "invalid choice"),
    (["adversarial", *IMG, "--target", "1", "--step", "0"], "step must be >= 0.01"),
    (["adversarial", *IMG, "--target", "1", "--max-steps", "-3"], "max_steps must be >= 1"),
    (["adversarial", *IMG, "--target", "1", "--magnify", "inf"], "expected a finite number"),
    (["fgsm", *IMG, "--epsilon", "0"], "epsilon must be >= 0.01"),
    (["fgsm", *IMG, "--epsilon", "300"], "epsilon must be <= 255"),
    (["fool", "--model", "{model}", "-o", "{out}", "--target", "1", "--confidence", "1.5"], "confidence must be < 1"),
    (["fool", "--model", "{model}", "-o", "{out}", "--target", "1", "--start", "{root}/nope.png"],
     "no such image file"),
    (["linear-example", "--epsilon", "0"], "epsilon must be > 0"),
    (["gradcheck", "--seed", "-1"], "seed must be"),
    # names
    (["neuron", *IMG, "--layer", "conv99", "--unit", "1"], "no layer named 'conv99'"),
    (["neuron", *IMG, "--layer", "relu2", "--unit", "1,2"], "unit must be a channel"),
    (["neuron", *IMG, "--layer", "relu2", "--unit", "abc"], "unit must be a channel"),
    (["neuron", *IMG, "--layer", "relu2", "--unit", "-1"], "unit must be a channel"),
    (["neuron", *IMG, "--layer", "relu2", "--unit", "99"], "unit 99 is outside relu2: it has 16 channels, 0 to 15 "
                                                           "(output shape (16, 16, 16))"),
    (["neuron", *IMG, "--layer", "relu2", "--unit", "5,99,99"], "unit (5, 99, 99) is outside relu2's output of shape "
                                                                "(16, 16, 16)"),
    # a unit outside its layer: refused the same way by every verb that takes one, before any work
    (["classviz", "--model", "{model}", "-o", "{out}", "--layer", "relu2", "--unit", "16"],
     "classviz: unit 16 is outside relu2: it has 16 channels"),
    (["classviz", "--model", "{model}", "-o", "{out}", "--layer", "relu2", "--unit", "16,0,0"],
     "classviz: unit (16, 0, 0) is outside relu2's output of shape (16, 16, 16)"),
    (["top-patches", "--model", "{model}", "--images", "{image}", "--layer", "relu2", "--units", "3,16", "-o", "{out}"],
     "top patches: unit 16 is outside relu2: it has 16 channels"),
    (["neuron", *IMG, "--layer", "fc", "--unit", "1,0,0"], "is a position, but fc outputs a vector"),
    # numbers that are not plain ASCII numbers: never an index; a class-name search that says what would work
    (["saliency", *IMG, "--target", "\u00b2"], "no class name contains '\u00b2'; for class 2"),
    (["saliency", *IMG, "--target", "\uff13"], "no class name contains '\uff13'; for class 3"),
    (["saliency", *IMG, "--target", "\u0663"], "for class 3"),
    (["saliency", *IMG, "--target", "1_0"], "no class name contains '1_0'; no name is close; `minicnn info` lists"),
    (["saliency", *IMG, "--target", "goldfsh"], "no class name contains 'goldfsh'; closest names: 1 'goldfish'"),
    (["saliency", "{image}", "--model", "{classless}", "-o", "{out}", "--target", "\uff13"], "no class names"),
    (["neuron", *IMG, "--layer", "relu2", "--unit", "\u0663"], "unit must be a channel"),
    (["neuron", *IMG, "--layer", "relu2", "--unit", "1,\u00b2,3"], "unit must be a channel"),
    (["top-patches", "--model", "{model}", "--images", "{image}", "--units", "\u0663", "-o", "{out}"],
     "units must be channel numbers"),
    (["classviz", "--model", "{model}", "-o", "{out}", "--target", "1", "--iterations", "\u0663"],
     "expected a whole number"),
    (["classviz", "--model", "{model}", "-o", "{out}", "--target", "1", "--iterations", "1_0"],
     "expected a whole number"),
    (["segment", *IMG, "--smooth", "\uff11.5"], "expected a number"),
    (["saliency", "sample:\u0663", "-o", "{out}"], "the model holds samples 0 to 999"),
    # outputs that cannot be written: refused before any work
    (["saliency", *IMG[:-1], "{readonly}/new/x.png"], "does not take new files"),
    (["classviz", "--model", "{model}", "--target", "1", "--iterations", "100000", "-o", "{readonly}/x.png"],
     "does not take new files"),
    (["train", "--epochs", "1", "-o", "{readonly}/m.h5"], "does not take new files"),
    (["invert", *IMG, "--size", "48", "--layers", "fc"], "whose weights fix the input at 32x32"),
    (["classviz", "--model", "{model}", "-o", "{out}", "--layer", "relu2", "--target", "3"],
     "--target is a class of the class scores; for a unit of --layer give --unit"),
    (["top-patches", "--model", "{model}", "--images", "{image}", "--units", "1,2,1", "-o", "{out}"],
     "unit 1 given twice"),
    (["saliency", *IMG, "--size", "64", "--whole"], "give --size or --whole, not both"),
    (["deepdream", *IMG, "--size", "64", "--whole"], "give --size or --whole, not both"),
    (["saliency", *IMG, "--target", "gold  fsh"], "no class name contains 'gold  fsh'"),      # as typed
    (["saliency", "sample:\uff13", "-o", "{out}"], "write the index in ASCII digits"),
    (["neuron", *IMG, "--layer", "Relu2", "--unit", "1"], "no layer named 'Relu2' (did you mean 'relu2'?)"),
    (["info", "{model}", "--model", "{model}"], "give the model once"),
    # a named model that is not there says how to get it
    (["saliency", "{image}", "--model", "VGG16", "-o", "{out}"], "model names are lower case, `--model vgg16`"),
    (["saliency", "{image}", "--model", "{root}/vgg16.h5", "-o", "{out}"], "`minicnn fetch vgg16` writes"),
    (["saliency", "{image}", "--model", "vgg16", "-o", "{out}"], "run `minicnn fetch vgg16`"),
    (["info", "vgg19"], "run `minicnn fetch vgg19`"),
    (["gallery", "--model", "squeezenet1_1", "-o", "{root}/g"], "run `minicnn fetch squeezenet1_1`"),
    (["saliency", "{image}", "--model", "no_such_net", "-o", "{out}"], "no model named 'no_such_net'"),
    (["neuron", *IMG, "--unit", "1"], "required: --layer"),
    (["occlusion", *IMG, "--layer", "nowhere"], "no layer named 'nowhere'"),
    (["classviz", "--model", "{model}", "-o", "{out}", "--layer", "nowhere", "--unit", "1"], "no layer named"),
    # image sets and layer lists (the default model and its samples)
    (["tsne", "--images", ",", "-o", "{out}"], "tsne: no images given"),
    (["top-patches", "--images", ",", "-o", "{out}"], "top patches: no images given"),
    (["tsne", "--images", "{image},{image},{image},{image},{image}", "-o", "{out}"], "all 5 codes are the same"),
    (["tsne", "--crops", "6", "-o", "{out}"], "more than the 5,000"),
    (["top-patches", "--units", "\u00b2", "-o", "{out}"], "units must be channel numbers"),
    (["saliency", "sample:\u00b2", "-o", "{out}"], "the model holds samples 0 to 999"),
    (["invert", "sample:1", "--layers", ",", "-o", "{out}"], "no layers given"),
    (["style", "sample:1", "--style", "sample:2", "--style-layers", ",", "-o", "{out}"], "no layers given"),
    (["style", "sample:1", "--style", "sample:2", "--style-layers", "fc3", "-o", "{out}"], "not a (C, H, W) map"),
    (["style", "sample:1", "--style", "sample:2,sample:3", "--style-weights", "1e308,1e308", "-o", "{out}"],
     "non-negative weights"),
    (["deepdream", "sample:1", "--octaves", "12", "-o", "{out}"], "use fewer octaves"),
    # convert and fetch
    (["convert", "{root}/nope.pth", "{out}"], "no such file"),
    (["convert", "{empty_npz}", "{out}", "--prototxt", "{root}/nope.prototxt"], "no such prototxt file"),
    (["convert", "{empty_npz}", "{out}", "--prototxt", "{dir}"], "is not a file"),
    (["convert", "{empty_npz}", "{out}", "--prototxt", "{binary}"], "prototxt"),
    (["convert", "{empty_npz}", "{out}"], "need the network definition"),
    (["convert", "{keras}", "{out}", "--arch", "squeezenet1_1"], "not 'squeezenet1_1'"),
    (["convert", "{keras}", "{out}", "--classes", "{root}/nope.txt"], "no such class-name file"),
    (["convert", "{keras}", "{file}/m.h5"], "is not a folder"),
    (["convert", "{keras}", "{keras}"], "one of this command's inputs"),
    (["convert", "{empty_npz}", "{out}", "--prototxt", "{prototxt}"], "empty, truncated or not an .npz"),
    (["convert", "{truncated_npz}", "{out}", "--prototxt", "{prototxt}"], "empty, truncated or not an .npz"),
    (["convert", "{keras}", "{out}", "--classes", "{binary}"], "cannot read class names"),
    (["convert", "{strings_npz}", "{out}", "--prototxt", "{prototxt}"], "not floating-point numbers"),
    (["convert", "{no_bias_npz}", "{out}", "--prototxt", "{prototxt}"], "no bias for layer 'conv1'"),
    (["convert", "{no_bias_npz}", "{out}", "--prototxt", "{prototxt}", "--arch", "vgg16"], "--arch is for Keras"),
    (["fetch", "squeezenet1_1", "--url", "not a url", "--sha256", "00", "-o", "{out}"], "not a download address"),
    # after the lecture: attribution methods and the checks on them
    (["gradcam", *IMG, "--layer", "fc"], "has no spatial map (its output is (10,))"),
    (["gradcam", *IMG, "--layer", "conv9"], "no layer named 'conv9' (did you mean 'conv2'?)"),
    (["gradcam", *IMG, "--target", "99"], "class 99 is out of range"),
    (["integrated-gradients", *IMG, "--steps", "0"], "steps must be a whole number from 1 to 1024 or 'auto'"),
    (["integrated-gradients", *IMG, "--steps", "lots"], "steps must be a whole number from 1 to 1024 or 'auto'"),
    (["integrated-gradients", *IMG, "--steps", "5000"], "steps must be a whole number from 1 to 1024 or 'auto'"),
    (["integrated-gradients", *IMG, "--baseline", "white"], "invalid choice: 'white'"),
    (["integrated-gradients", *IMG, "--rule", "simpson"], "invalid choice: 'simpson'"),
    (["lrp", *IMG, "--rule", "lrp-0"], "invalid choice: 'lrp-0'"),
    (["lrp", *IMG, "--alpha", "0.5"], "alpha must be >= 1"),
    (["lrp", *IMG, "--eps", "0"], "eps must be > 0"),
    (["lrp", *IMG, "--pool", "max"], "invalid choice: 'max'"),
    (["sanity", *IMG, "--methods", "saliency,gradients"], "unknown method 'gradients'; known: saliency"),
    (["sanity", *IMG, "--methods", ","], "unknown method (none given)"),
    (["sanity", *IMG, "--mode", "all"], "invalid choice: 'all'"),
    (["sanity", *IMG, "--random-labels", "{root}/nope.h5"], "no such model file"),
    (["sanity", *IMG, "--random-labels", "{image}"], "not a readable HDF5 file"),
    (["sanity", *IMG, "--random-labels", "digits"], "digits: not the same architecture as the model explained"),
    (["deletion", *IMG, "--methods", "lime"], "unknown method 'lime'"),
    (["deletion", *IMG, "--n", "0"], "n must be >= 1"),
    (["deletion", *IMG, "--steps", "2000"], "more than the image's 1024 pixels"),
    (["deletion", *IMG, "--images", "{root}/nope"], "no such image file"),
    (["deletion", *IMG, "--toward", "black"], "invalid choice: 'black'"),
    # feature visualization
    (["classviz", "--model", "{model}", "--target", "3", "-o", "{out}", "--param", "spectral"], "invalid choice: 'spectral'"),
    (["classviz", "--model", "{model}", "--target", "3", "-o", "{out}", "--param", "fourier", "--preset", "yosinski3"], "give one"),
    (["classviz", "--model", "{model}", "--target", "3", "-o", "{out}", "--batch", "2"], "go with --param"),
    (["classviz", "--model", "{model}", "--target", "3", "-o", "{out}", "--param", "fourier", "--batch", "0"], "batch must be >= 1"),
    (["classviz", "--model", "{model}", "--target", "3", "-o", "{out}", "--param", "fourier", "--batch", "65"], "batch must be <= 64"),
    (["classviz", "--model", "{model}", "--target", "3", "-o", "{out}", "--param", "fourier", "--lr", "0"], "lr must be > 0"),
    (["classviz", "--model", "{model}", "--target", "3", "-o", "{out}", "--param", "fourier", "--diversity", "-1"], "diversity must be >= 0"),
    (["classviz", "--model", "{model}", "--target", "3", "-o", "{out}", "--param", "fourier", "--robust", "yes"], "invalid choice: 'yes'"),
    (["classviz", "--model", "{model}", "--target", "3", "-o", "{out}", "--param", "fourier", "--l1", "-1"], "l1 must be >= 0"),
    (["classviz", "--model", "{model}", "--target", "3", "-o", "{out}", "--preset", "simonyan", "--l1", "0.1"], "go with --param"),
    (["classviz", "--model", "{model}", "--target", "3", "-o", "{out}", "--l1", "0.1"], "default is Yosinski's ascent"),
]


def fill(args, w):
    return [a.format(**w) for a in args]


def snapshot(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize("args, fragment", TABLE, ids=[" ".join(a[:1] + a[-2:]) for a, _ in TABLE])
def test_bad_input_is_one_line_and_leaves_nothing(world, capsys, args, fragment):
    before = snapshot(world["root"])
    try:
        rc = cli.main(fill(args, world))
    except SystemExit as e:                     # argparse's own errors
        rc = e.code
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert rc not in (0, None), err
    assert len(lines) == 1 and lines[0].startswith("minicnn: error: "), err
    assert fragment in lines[0], (fragment, lines[0])
    assert snapshot(world["root"]) == before, "a file was left behind"
    assert stat.S_ISFIFO(os.stat(world["fifo"]).st_mode) and stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_stale_temporary_files_of_killed_runs_are_removed(world, capsys):
    """A run killed outright (SIGKILL) leaves .NAME.PID.part behind; the next write removes it."""
    out = world["root"] / "fresh" / "x.png"
    out.parent.mkdir()
    dead = out.with_name(".x.png.999999999.part")             # no such process
    dead.write_bytes(b"half a picture")
    rc = cli.main(fill(["saliency", *IMG], dict(world, out=out)))
    assert rc == 0, capsys.readouterr().err
    assert sorted(p.name for p in out.parent.iterdir()) == ["x.png", "x.png.json"]
    json.loads(out.with_name("x.png.json").read_text())
    with Image.open(out) as im:
        assert np.asarray(im.convert("L")).std() > 5


def test_overflow_warnings_do_not_add_lines(world):
    """NumPy's overflow warnings would print before the error: the command line keeps it to one line."""
    rc, _, err = run_cli("saliency", world["image"], "--model", world["huge"], "-o", world["out"])
    assert_one_line_error(rc, err, "overflow")
    assert len(err.strip().splitlines()) == 1, err
