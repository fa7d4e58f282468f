import warnings

import numpy as np
import pytest
from PIL import Image

from minicnn import images
from minicnn.images import CAFFE, TORCHVISION, ImageError, ImageSpace, load_image

SPACES = {"caffe": ImageSpace(**CAFFE, size=(227, 227)), "torchvision": ImageSpace(**TORCHVISION, size=(224, 224))}


@pytest.mark.parametrize("kind", SPACES)
def test_deprocess_inverts_preprocess(kind):
    space = SPACES[kind]
    img = np.random.RandomState(0).randint(0, 256, (space.size[0], space.size[1], 3)).astype(np.uint8)
    x = space.preprocess(img)
    assert x.shape == (1, 3) + space.size and x.dtype == np.float32
    np.testing.assert_array_equal(space.deprocess(x), img)


def test_caffe_space_by_hand():
    """One pure-red pixel: BGR order, 0..255, minus (104, 117, 123)."""
    x = SPACES["caffe"].to_input(np.array([[[255, 0, 0]]], np.uint8))
    np.testing.assert_allclose(x[0, :, 0, 0], [0 - 104, 0 - 117, 255 - 123])
    x = SPACES["torchvision"].to_input(np.array([[[255, 0, 0]]], np.uint8))
    np.testing.assert_allclose(x[0, :, 0, 0], [(1 - 0.485) / 0.229, -0.456 / 0.224, -0.406 / 0.225], rtol=1e-6)


@pytest.mark.parametrize("kind", SPACES)
def test_pixel_units(kind):
    """A step of pixel_step() in input space is one 0..255 unit on every RGB channel, and
    bounds() are the images of pixel values 0 and 255."""
    space = SPACES[kind]
    x = space.to_input(np.full((1, 1, 3), 100.0))
    moved = space.to_pixels(x + space.pixel_step())
    np.testing.assert_allclose(moved[0, 0, 0], [101, 101, 101], rtol=1e-5)
    low, high = space.bounds()
    np.testing.assert_allclose(space.to_pixels(low)[0, 0, 0], 0, atol=1e-9)
    np.testing.assert_allclose(space.to_pixels(high)[0, 0, 0], 255, rtol=1e-12)


def test_preprocess_resizes_the_shorter_side_and_crops_the_centre():
    img = np.zeros((100, 300, 3), np.uint8)
    img[40:60, 140:160] = 255                                   # a white square in the middle
    x = SPACES["caffe"].preprocess(img, size=50, crop=50)       # -> 50x150, centre 50x50
    back = SPACES["caffe"].deprocess(x)
    assert back.shape == (50, 50, 3)
    assert back[25, 25].min() > 200 and back[2, 2].max() < 30   # the square stays in the middle
    exact = SPACES["caffe"].preprocess(img, crop=(20, 30), exact=True)
    assert exact.shape == (1, 3, 20, 30)


def save(tmp_path, im, name, **kw):
    path = tmp_path / name
    im.save(path, **kw)
    return path


def test_modes_become_rgb_by_the_documented_rule(tmp_path):
    gray = Image.fromarray(np.full((4, 4), 77, np.uint8), "L")
    assert (load_image(save(tmp_path, gray, "l.png")) == 77).all()
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[0, 0, 3] = 0                                           # transparent -> white
    rgba[1:, :, 3] = 255
    rgba[0, 1:, 3] = 255
    out = load_image(save(tmp_path, Image.fromarray(rgba, "RGBA"), "rgba.png"))
    assert tuple(out[0, 0]) == (255, 255, 255) and tuple(out[2, 2]) == (255, 0, 0)
    la = Image.fromarray(np.stack([np.full((4, 4), 10, np.uint8), np.zeros((4, 4), np.uint8)], -1), "LA")
    assert (load_image(save(tmp_path, la, "la.png")) == 255).all()
    p = Image.fromarray(np.zeros((4, 4), np.uint8), "P")
    p.putpalette([0, 0, 255] + [0] * 765)
    assert tuple(load_image(save(tmp_path, p, "p.png"))[0, 0]) == (0, 0, 255)
    i16 = Image.fromarray(np.full((4, 4), 65535, np.uint16))                 # mode I;16
    assert (load_image(save(tmp_path, i16, "i16.png")) == 255).all()
    cmyk = Image.new("CMYK", (4, 4), (0, 255, 255, 0))          # cyan-free, full magenta+yellow: red
    assert tuple(load_image(save(tmp_path, cmyk, "c.jpg", quality=100))[0, 0])[0] > 200
    bilevel = Image.new("1", (4, 4), 1)
    assert (load_image(save(tmp_path, bilevel, "b.png")) == 255).all()


def test_exif_orientation_is_applied(tmp_path):
    im = Image.fromarray(np.zeros((10, 30, 3), np.uint8))       # 30 wide, 10 high
    exif = Image.Exif()
    exif[0x0112] = 6                                            # "rotate 90 CW to view"
    path = save(tmp_path, im, "rot.jpg", exif=exif.tobytes())
    assert load_image(path).shape == (30, 10, 3)


def test_huge_images_are_refused_or_downscaled(tmp_path, monkeypatch):
    path = save(tmp_path, Image.new("RGB", (400, 300)), "big.png")
    monkeypatch.setattr(images, "MAX_SIDE", 200)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = load_image(path)
    assert out.shape == (150, 200, 3) and "downscaled" in str(w[0].message)
    monkeypatch.setattr(images, "MAX_PIXELS", 100_000)
    with pytest.raises(ImageError, match="400x300 = 120,000 pixels"):
        load_image(path)


def test_corrupt_and_missing_files(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    with pytest.raises(ImageError, match="cannot read image"):
        load_image(bad)
    with pytest.raises(ImageError, match="no such image file"):
        load_image(tmp_path / "nope.jpg")
    good = save(tmp_path, Image.new("RGB", (64, 64), (1, 2, 3)), "trunc.png")
    good.write_bytes(good.read_bytes()[:60])
    with pytest.raises(ImageError, match="cannot read image"):
        load_image(good)


def test_space_is_stored_as_json_and_checked():
    s = SPACES["torchvision"]
    assert ImageSpace.from_json(s.to_json()) == s
    with pytest.raises(ImageError, match="channels"):
        ImageSpace(channels="GBR")
    with pytest.raises(ImageError, match="not an ImageSpace"):
        ImageSpace.from_json('{"channels": "RGB", "evil": 1}')


def test_a_decompression_bomb_is_one_clear_error(tmp_path, monkeypatch):
    """Pillow refuses images far over its pixel limit when it opens them (a 225-megapixel PNG):
    one ImageError, not Pillow's exception. The limit is lowered here to keep the test small."""
    path = save(tmp_path, Image.new("L", (100, 100)), "bomb.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(ImageError, match="too large"):
        load_image(path)


def test_grey_spaces_take_the_luma_and_show_grey():
    space = ImageSpace(channels="L", mean=(0.0,), std=(255.0,), size=(2, 2))
    rgb = np.array([[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [90, 90, 90]]], np.uint8)
    x = space.to_input(rgb)
    assert x.shape == (1, 1, 2, 2)
    np.testing.assert_allclose(x[0, 0], [[0.299, 0.587], [0.114, 90 / 255]], rtol=1e-6)
    back = space.deprocess(x)
    assert back.shape == (2, 2, 3) and (back[..., 0] == back[..., 2]).all() and back[1, 1, 0] == 90
    assert space.pixel_step().shape == (1, 1, 1, 1) and space.pixel_step()[0, 0, 0, 0] == pytest.approx(1 / 255)


def test_every_net_has_a_space():
    from minicnn import Net
    spec = [{"name": "fc", "type": "linear", "out_features": 2}]
    assert Net(spec, (3, 4, 4)).space == ImageSpace(mean=(0, 0, 0), std=(1, 1, 1), size=(4, 4))
    assert Net(spec, (1, 4, 4)).space.channels == "L"
    raw = Net(spec, (2, 4, 4)).space
    assert raw.channels == "raw" and raw.pixel_step().shape == (1, 2, 1, 1)
    with pytest.raises(ImageError, match="not an image"):
        raw.to_input(np.zeros((4, 4, 3)))
