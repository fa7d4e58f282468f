import numpy as np

from cli_helpers import run_cli
from model_files import torchvision_squeezenet_state, write_pth


def test_convert_then_info(tmp_path):
    src = tmp_path / "squeezenet1_1-b8a52dc0.pth"
    write_pth(src, torchvision_squeezenet_state(np.random.RandomState(0)))
    rc, out, err = run_cli("convert", src, tmp_path / "sq.h5")
    assert rc == 0 and "wrote" in out, err
    rc, out, err = run_cli("info", tmp_path / "sq.h5")
    assert rc == 0, err
    assert "fire9/concat" in out and "512x13x13" in out                 # output shapes at 224x224
    assert "1,235,496 parameters" in out
    assert "input: RGB, pixel values 0..1, mean (0.485, 0.456, 0.406)" in out
    assert "classes: 1000 ('tench, Tinca tinca'" in out
    assert "source: squeezenet1_1-b8a52dc0.pth  sha256 " in out and "format torchvision" in out
    # receptive field of a conv10 unit: conv1 3 (stride 2); pool1 7 (4); fire2, fire3 +8 each: 23;
    # pool3 31 (8); fire4, fire5 +16 each: 63; pool5 79 (16); fire6..fire9 +32 each: 207.
    # Offsets: only the 3x3 expands pad (by 1 unit of the current stride): -(2*4 + 2*8 + 4*16) = -88.
    row = next(line for line in out.splitlines() if line.startswith("conv10 "))
    assert row.split()[-3:] == ["207", "16", "-88"]
