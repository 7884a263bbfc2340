"""``load_image_folder``: one sub-folder per class of image files (decoded with Pillow)."""

from __future__ import annotations

import os

import numpy as np

from core.datasets.base import DatasetError, LabeledDataset

__all__ = ["IMG_EXTENSIONS", "load_image_folder"]

IMG_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")


def _pillow():
    try:
        from PIL import Image
    except ImportError as exc:
        raise ImportError(
            "load_image_folder decodes images with Pillow: pip install pillow"
        ) from exc
    return Image


def _files(folder: str, extensions) -> list[str]:
    return sorted(
        e.path
        for e in os.scandir(folder)
        if e.is_file() and not e.name.startswith(".") and e.name.lower().endswith(extensions)
    )


def load_image_folder(
    root,
    size: int | tuple[int, int] | None = None,
    grayscale: bool = False,
    *,
    extensions=IMG_EXTENSIONS,
    name: str | None = None,
) -> LabeledDataset:
    """``root/<class>/<image>`` files as data (N, C, H, W) float32 in [0, 1] (C = 1 with
    ``grayscale``, else 3 RGB) and targets the class indices, classes being the sorted
    sub-folder names (torchvision's ImageFolder layout). ``size`` (an int or (H, W))
    resizes every image; without it all images must have one size. Everything is decoded
    into memory at once; ``ds.samples`` lists (path, class index) as read."""
    root = os.fspath(root)
    if not os.path.isdir(root):
        raise FileNotFoundError(f"{root}: no such folder")
    extensions = tuple(e.lower() for e in extensions)
    classes = sorted(e.name for e in os.scandir(root) if e.is_dir() and not e.name.startswith("."))
    if not classes:
        raise DatasetError(f"{root}: no class sub-folders; expected root/<class>/<image> files")
    samples = []
    for k, c in enumerate(classes):
        files = _files(os.path.join(root, c), extensions)
        if not files:
            raise DatasetError(
                f"{os.path.join(root, c)}: no image files ({', '.join(extensions)}) for class {c!r}"
            )
        samples.extend((p, k) for p in files)
    if isinstance(size, int):
        size = (size, size)
    Image = _pillow()  # noqa: N806 - the module's name
    mode = "L" if grayscale else "RGB"
    arrays, first = [], None
    for path, _ in samples:
        try:
            with Image.open(path) as im:
                im = im.convert(mode)
                if size is not None:
                    im = im.resize((size[1], size[0]), Image.Resampling.BILINEAR)
                arr = np.asarray(im, dtype=np.uint8)
        except Exception as exc:  # Pillow raises many types for broken files
            raise DatasetError(
                f"{path}: cannot read this image ({type(exc).__name__}: {exc})"
            ) from None
        if first is None:
            first = (path, arr.shape)
        elif arr.shape != first[1]:
            raise DatasetError(
                f"{path}: image is {arr.shape[1]}x{arr.shape[0]} (WxH) but {first[0]} is "
                f"{first[1][1]}x{first[1][0]}; pass size=(H, W) to resize every image"
            )
        arrays.append(arr)
    x = np.stack(arrays)
    x = x[:, None] if grayscale else x.transpose(0, 3, 1, 2)
    x = x.astype(np.float32) / np.float32(255.0)
    y = np.array([k for _, k in samples], dtype=np.int64)
    ds = LabeledDataset(
        x, y, name=name or os.path.basename(os.path.normpath(root)), classes=classes
    )
    ds.samples = samples
    return ds
