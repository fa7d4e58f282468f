"""Receptive fields: which input pixels a unit of a layer can see, computed from shapes alone.

A unit (y, x) of a layer sees the input rows offset[0] + y*stride[0] ... offset[0] + y*stride[0]
+ size[0] - 1 (and likewise columns). Each windowed layer (convolution, pooling) on top of a
field with stride S grows it by (k - 1)*S, multiplies its stride by its own, and moves its
offset by its padding: that is all ``through`` does.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class ReceptiveField:
    """Per axis as (h, w) pairs, in input pixels. offset can be negative: windows start in the padding."""
    size: tuple = (1, 1)
    stride: tuple = (1, 1)
    offset: tuple = (0, 0)

    def window(self, y, x, image_hw=None):
        """(top, left, bottom, right) input rectangle of unit (y, x), bottom/right exclusive
        (a slice: image[top:bottom, left:right]); clipped to the image when image_hw = (H, W)."""
        top = self.offset[0] + y * self.stride[0]
        left = self.offset[1] + x * self.stride[1]
        box = [top, left, top + self.size[0], left + self.size[1]]
        if image_hw is not None:
            H, W = image_hw
            box = [max(box[0], 0), max(box[1], 0), min(box[2], H), min(box[3], W)]
        return tuple(box)

    def through(self, k, s, p):
        """The field after a window of k (h, w) cells, stride s, padding p applied on top."""
        return ReceptiveField(
            size=tuple(self.size[a] + (k[a] - 1) * self.stride[a] for a in (0, 1)),
            stride=tuple(self.stride[a] * s[a] for a in (0, 1)),
            offset=tuple(self.offset[a] - p[a] * self.stride[a] for a in (0, 1)),
        )

    def whole(self, shape):
        """The field of a unit connected to every position of a (C, H, W) map (fully connected
        layers, global pooling): the union of all their fields."""
        if len(shape) != 3:
            return self
        H, W = shape[1:]
        return ReceptiveField(size=(self.size[0] + (H - 1) * self.stride[0], self.size[1] + (W - 1) * self.stride[1]),
                              stride=(self.stride[0] * H, self.stride[1] * W), offset=self.offset)

    @staticmethod
    def union(fields):
        """The field of a unit that joins several branches (a concatenation): the smallest
        window holding all of theirs (e.g. SqueezeNet's 1x1 and 3x3 expand branches)."""
        top = tuple(min(f.offset[a] for f in fields) for a in (0, 1))
        end = tuple(max(f.offset[a] + f.size[a] for f in fields) for a in (0, 1))
        return ReceptiveField(size=(end[0] - top[0], end[1] - top[1]), stride=fields[0].stride, offset=top)
