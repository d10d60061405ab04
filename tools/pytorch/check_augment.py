#!/usr/bin/env python3
"""check_augment.py — our augmentation (the views tools/src/dump_views.cpp writes with the
trainer's transforms for the `authors` recipe) against torchvision's, built as the authors' code
builds them (protocol.md, "Augmentation") on PIL images of the same source pixels.
  MNIST:    tf1 = RandomChoice([RandomCrop(20), CenterCrop(20)]), Resize(24)
            tf2 = RandomApply([RandomRotation(25, bilinear)], p=0.5),
                  RandomChoice([RandomCrop(16), RandomCrop(20), RandomCrop(24)]), Resize(24),
                  ColorJitter(brightness=0.4, contrast=0.4)
            tf3 = CenterCrop(20), Resize(24)
  CIFAR-10: tf1 = RandomCrop(20), Resize(32), greyscale
            tf2 = RandomCrop(20), Resize(32), RandomHorizontalFlip,
                  ColorJitter(0.4, 0.4, 0.4, 0.125), greyscale
            tf3 = CenterCrop(20), Resize(32), greyscale
tf3 is deterministic: compared pixel by pixel (PIL rounds to 8 bits after the resize and after
the greyscale conversion, we do not, so up to ~1.5/255 apart is expected; another resize
convention gives far more). tf1 and tf2 are random: compared as distributions of four
statistics per view (mean grey level, its standard deviation, mean |Sobel x| and mean |Sobel
y|), over D draws of each of N images on each side (default one draw of 4,000 images, so the
views of a side are independent): a two-sample Kolmogorov-Smirnov distance above the 0.1%
critical value for independent samples is a FAIL. Both sides see the same images, which makes
their statistics alike beyond chance: the test is conservative (fewer false alarms, less
power), and a FAIL is a real difference.

  /usr/bin/python3 tools/pytorch/check_augment.py --data DIR [--dataset mnist,cifar10]
      [--binary build/dump_views] [--count 4000] [--draws 1] [--first 0]

DIR is a data root: mnist/ with the IDX files (.gz or raw), cifar-10-batches-bin/ with the
official binary files (../shared/data/cifar10/make-bin.sh writes them). Needs python3-torch,
python3-torchvision and python3-pil (Debian; `tools/setup torch`). Exit status 1 on a FAIL.
"""

import argparse
import gzip
import os
import random
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F
import torchvision.transforms as T
from PIL import Image

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_step import read_safetensors  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CIFAR_FILES = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
SOBEL = torch.tensor([[[1., 0., -1.], [2., 0., -2.], [1., 0., -1.]],
                      [[1., 2., 1.], [0., 0., 0.], [-1., -2., -1.]]]).unsqueeze(1)


def cifar_images(root, first, count):
    """[count, 32, 32, 3] uint8 from the official binary files, train then test."""
    raw = b"".join(open(os.path.join(root, "cifar-10-batches-bin", f), "rb").read()
                   for f in CIFAR_FILES)
    recs = np.frombuffer(raw, np.uint8).reshape(-1, 3073)[first:first + count]
    return recs[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)


def mnist_images(root, first, count):
    """[count, 28, 28] uint8 from the IDX image files, train then test."""
    parts = []
    for name in ("train-images-idx3-ubyte", "t10k-images-idx3-ubyte"):
        path = os.path.join(root, "mnist", name)
        gz = os.path.exists(path + ".gz")
        raw = gzip.open(path + ".gz").read() if gz else open(path, "rb").read()
        parts.append(np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 28, 28))
    return np.concatenate(parts)[first:first + count]


def authors_transform(dataset, which):
    if dataset == "mnist":
        if which == "tf3":
            return T.Compose([T.CenterCrop(20), T.Resize(24), T.ToTensor()])
        if which == "tf1":
            return T.Compose([T.RandomChoice([T.RandomCrop(20), T.CenterCrop(20)]), T.Resize(24),
                              T.ToTensor()])
        rotate = T.RandomRotation(25, interpolation=T.InterpolationMode.BILINEAR)
        return T.Compose([T.RandomApply([rotate], p=0.5),
                          T.RandomChoice([T.RandomCrop(c) for c in (16, 20, 24)]), T.Resize(24),
                          T.ColorJitter(brightness=0.4, contrast=0.4), T.ToTensor()])
    steps = [T.CenterCrop(20) if which == "tf3" else T.RandomCrop(20), T.Resize(32)]
    if which == "tf2":
        steps += [T.RandomHorizontalFlip(), T.ColorJitter(0.4, 0.4, 0.4, 0.125)]
    return T.Compose(steps + [T.Grayscale(1), T.ToTensor()])


def torchvision_views(images, tf, draws, seed):
    torch.manual_seed(seed)
    random.seed(seed)  # RandomChoice draws from Python's random
    out = [tf(Image.fromarray(img)) for _ in range(draws) for img in images]
    return torch.stack(out)  # [draws * N, 1, side, side], row d*N + i


def stats(views):
    v = torch.tensor(np.array(views, np.float32))
    s = F.conv2d(v, SOBEL, padding=1)
    return {"mean grey": v.mean((1, 2, 3)), "std grey": v.std((1, 2, 3)),
            "mean |sobel x|": s[:, 0].abs().mean((1, 2)),
            "mean |sobel y|": s[:, 1].abs().mean((1, 2))}


def ks_distance(a, b):
    """Two-sample Kolmogorov-Smirnov distance and its critical value at the 0.1% level."""
    grid = np.concatenate([a, b])
    fa = np.searchsorted(np.sort(a), grid, side="right") / len(a)
    fb = np.searchsorted(np.sort(b), grid, side="right") / len(b)
    return float(np.abs(fa - fb).max()), 1.95 * np.sqrt((len(a) + len(b)) / (len(a) * len(b)))


def check_dataset(args, dataset, images):
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for which in ("tf3", "tf1", "tf2"):
            draws = 1 if which == "tf3" else args.draws
            path = os.path.join(tmp, which + ".safetensors")
            subprocess.run([args.binary, "--dataset", dataset, "--data", args.data,
                            "--recipe", "authors", "--transform", which, "--first",
                            str(args.first), "--count", str(args.count), "--draws", str(draws),
                            "--seed", str(args.seed), "--out", path],
                           check=True, stdout=subprocess.DEVNULL)
            ours = read_safetensors(path)["views"]
            theirs = torchvision_views(images, authors_transform(dataset, which), draws,
                                       args.seed).numpy()
            if which == "tf3":
                d = np.abs(ours - theirs) * 255
                good = d.max() <= 3 and d.mean() <= 1
                ok &= good
                print(f"{'ok  ' if good else 'FAIL'} {dataset} tf3 pixel by pixel: mean "
                      f"|difference| {d.mean():.2f}/255, max {d.max():.2f}/255 (bounds 1 and 3)")
                continue
            ours_stats, theirs_stats = stats(ours), stats(theirs)
            for name, a in ours_stats.items():
                b = theirs_stats[name]
                d, bound = ks_distance(a.numpy(), b.numpy())
                good = d <= bound
                ok &= good
                q = lambda t: " ".join(f"{float(x):.3f}" for x in  # noqa: E731
                                       torch.quantile(t, torch.tensor([.05, .5, .95])))
                print(f"{'ok  ' if good else 'FAIL'} {dataset} {which} {name}: ours "
                      f"{float(a.mean()):.4f} (5/50/95%: {q(a)}), torchvision "
                      f"{float(b.mean()):.4f} ({q(b)}), Kolmogorov-Smirnov distance {d:.3f} "
                      f"(bound {bound:.3f})")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--dataset", default="mnist,cifar10")
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "dump_views"))
    ap.add_argument("--count", type=int, default=4000)
    ap.add_argument("--draws", type=int, default=1)
    ap.add_argument("--first", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    ok = True
    for dataset in args.dataset.split(","):
        load = {"mnist": mnist_images, "cifar10": cifar_images}[dataset]
        ok &= check_dataset(args, dataset, load(args.data, args.first, args.count))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
