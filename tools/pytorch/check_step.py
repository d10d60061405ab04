#!/usr/bin/env python3
"""check_step.py — one whole IIC training step of our engine against the PyTorch twin
(iic_models.py): same parameters, same batch, every sub-head's loss and every parameter's
gradient. The per-op tests check each op alone; this checks the network as wired (Sobel step,
ResNet shortcuts, pooling, heads, the pairing of x with its r copies, batch norm per pass).

For each dataset (mnist: ClusterNet6c, cifar10: ClusterNet5g) and head, it initialises the twin
with a seed (sub-head weights then scaled by --head-scale, default 10: with the authors' N(0,
0.01) the sub-heads are near uniform and the loss is a near-cancelling sum close to 0, whose
relative error says little), draws a batch of B images x in [0, 1] and r copies g(x) (x plus
noise, clamped), writes both and the parameters (under our names, from `twin_step
--list-parameters`) to a case file, runs `twin_step` on it, and compares with the twin run in
float64 (the truth) and in float32 (to show float32's own distance from the truth):
  loss: |ours - truth| / |truth| per sub-head;
  grad: |ours - truth| / |truth| per parameter (Frobenius norms).
Each sub-head's loss and each parameter's gradient must be within max(--tolerance, --factor x
PyTorch float32's own error on that same quantity) (defaults 1e-3 and 10). Rounding grows as
the gradient goes back through ClusterNet5g's 36 batch norms: PyTorch's float32 ends ~3e-3 from
the truth on the first layers, ours 2-6x further (other summation orders), while a wiring or op
bug gives errors of order 1 (see docs/results.md). Exit status 1 on a mismatch; one
line per check, naming the quantity closest to its bound.

  /usr/bin/python3 tools/pytorch/check_step.py [--binary build/twin_step] [--device cpu]
      [--dataset mnist,cifar10] [--head head_a,head_b] [--batch 16] [--repeats 3] [--seed 0]
"""

import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from iic_models import iic_loss, make_net  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INPUT_SIDE = {"mnist": 24, "cifar10": 32}


def write_safetensors(path, tensors, metadata):
    """tensors: name -> float32 numpy array (the layout engine/checkpoint.hpp reads)."""
    header, offset, blobs = {"__metadata__": metadata}, 0, []
    for name, a in tensors.items():
        data = np.ascontiguousarray(a, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    header.pop("__metadata__", None)
    out = {}
    for name, e in header.items():
        if e["dtype"] != "F32":
            raise SystemExit(f"check_step: {path}: {name} is {e['dtype']}, expected F32")
        b, end = e["data_offsets"]
        out[name] = np.frombuffer(raw[8 + n + b:8 + n + end], dtype="<f4").reshape(e["shape"])
    return out


def our_names(binary, dataset):
    lines = subprocess.run([binary, "--list-parameters", "--dataset", dataset], check=True,
                           capture_output=True, text=True).stdout.split("\n")
    return [(l.split()[0], tuple(int(d) for d in l.split()[1].split("x"))) for l in lines if l]


def twin_step(net, x, x_tf, head, repeats):
    """Per-sub-head losses and parameter gradients of the mean, as the authors' code steps."""
    net.zero_grad(set_to_none=True)
    outs = net(x.repeat(repeats, 1, 1, 1), "A" if head == "head_a" else "B")
    outs_tf = net(x_tf, "A" if head == "head_a" else "B")
    losses = torch.stack([iic_loss(o, t) for o, t in zip(outs, outs_tf)])
    losses.mean().backward()
    grads = [None if p.grad is None else p.grad.detach().double().numpy()
             for p in net.parameters()]
    return losses.detach().double().numpy(), grads


def rel(a, b):
    return float(np.linalg.norm(np.asarray(a, np.float64) - b) / max(np.linalg.norm(b), 1e-30))


def check_case(args, dataset, head, tmp):
    torch.manual_seed(args.seed)
    net32 = make_net(dataset)
    with torch.no_grad():  # confident sub-heads: a loss well away from 0 (see the docstring)
        for m in net32.modules():
            if isinstance(m, torch.nn.Linear):
                m.weight.mul_(args.head_scale)
    side = INPUT_SIDE[dataset]
    x = torch.rand(args.batch, 1, side, side)
    noise = 0.1 * torch.randn(args.repeats * args.batch, 1, side, side)
    x_tf = (x.repeat(args.repeats, 1, 1, 1) + noise).clamp(0, 1)

    names = our_names(args.binary, dataset)
    params = list(net32.named_parameters())
    if len(names) != len(params):
        raise SystemExit(f"check_step: {dataset}: we have {len(names)} parameters, "
                         f"the twin {len(params)}")
    tensors = {"x": x.numpy(), "x_tf": x_tf.numpy()}
    for (ours, shape), (theirs, p) in zip(names, params):
        if tuple(p.shape) != shape:
            raise SystemExit(f"check_step: {dataset}: our {ours} {shape} against the twin's "
                             f"{theirs} {tuple(p.shape)} (parameter order differs)")
        tensors[ours] = p.detach().numpy()
    case = os.path.join(tmp, f"{dataset}-{head}-case.safetensors")
    result = os.path.join(tmp, f"{dataset}-{head}-result.safetensors")
    write_safetensors(case, tensors, {"dataset": dataset, "head": head,
                                      "repeats": str(args.repeats), "lambda": "1"})
    cmd = [args.binary, "--case", case, "--out", result, "--device", args.device]
    cmd += ["--identical-work"] if args.identical_work else []
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    got = read_safetensors(result)

    net64 = make_net(dataset).double()
    net64.load_state_dict({k: v.double() for k, v in net32.state_dict().items()})
    loss64, grad64 = twin_step(net64, x.double(), x_tf.double(), head, args.repeats)
    loss32, grad32 = twin_step(net32, x, x_tf, head, args.repeats)

    ok = True
    if len(got["loss"]) != len(loss64):
        print(f"FAIL {dataset} {head}: {len(got['loss'])} sub-head losses, the twin has "
              f"{len(loss64)}")
        return False
    # Each loss and each parameter's gradient against its own bound.
    checks = {"loss": [(f"sub-head {j}", rel(got["loss"][j], loss64[j]), rel(loss32[j], loss64[j]))
                       for j in range(len(loss64))], "grad": []}
    for (ours, _), g64, g32 in zip(names, grad64, grad32):
        key = "grad." + ours
        if (g64 is None) != (key not in got):
            print(f"FAIL {dataset} {head}: {ours} has a gradient on "
                  f"{'our side only' if g64 is None else 'the twin side only'}")
            ok = False
        elif g64 is not None:
            checks["grad"].append((ours, rel(got[key], g64), rel(g32, g64)))
    for what, rows in checks.items():
        bound = lambda t: max(args.tolerance, args.factor * t)  # noqa: E731
        failed = [r for r in rows if r[1] > bound(r[2])]
        for name, err, torch_err in rows if args.verbose else []:
            print(f"     {dataset} {head} {name}: {err:.1e} (PyTorch float32 {torch_err:.1e})")
        name, err, torch_err = max(rows, key=lambda r: r[1] / bound(r[2]))
        ok &= not failed
        print(f"{'ok  ' if not failed else 'FAIL'} {dataset} {head} {what}: "
              f"{len(rows) - len(failed)} of {len(rows)} within bound; closest to its bound: "
              f"{name}, relative error {err:.1e}, PyTorch float32 {torch_err:.1e}, "
              f"bound {bound(torch_err):.1e}")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "twin_step"))
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--dataset", default="mnist,cifar10")
    ap.add_argument("--head", default="head_a,head_b")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tolerance", type=float, default=1e-3)
    ap.add_argument("--factor", type=float, default=10.0)
    ap.add_argument("--head-scale", type=float, default=10.0)
    ap.add_argument("--verbose", action="store_true", help="one line per loss and gradient")
    ap.add_argument("--identical-work", action="store_true",
                    help="ours passes the originals r times too (default: once, outputs repeated)")
    args = ap.parse_args()
    if not os.access(args.binary, os.X_OK):
        raise SystemExit(f"check_step: no twin_step binary at {args.binary} (build first, or "
                         "pass --binary)")
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for dataset in args.dataset.split(","):
            for head in args.head.split(","):
                ok &= check_case(args, dataset, head, tmp)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
