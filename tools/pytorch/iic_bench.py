#!/usr/bin/env python3
"""iic_bench.py — the PyTorch twin of our `bench` (tools/src/bench.cpp): times the same IIC
training steps and inference passes with PyTorch, and prints the same JSON fields.

Cases (names as ours):
  clusternet6c_step / clusternet5g_step: one training step of the authors' recipe (MNIST:
    140 x 5 = 700 pairs; CIFAR-10: 220 x 3 = 660 pairs; protocol.md) as the authors' code runs
    it: zero_grad; x (tf1) repeated r times -> all_imgs, both to the device; net(all_imgs) and
    net(x_tf); the IIC loss of every sub-head, their mean, .item(); backward; Adam (lr 1e-4)
    step. work "identical" is that; work "dedup" passes x once and repeats its outputs r times
    (the shortcut of our trainer, here in PyTorch), same loss and gradients.
  clusternet6c_infer / clusternet5g_infer: head B of a batch (--infer-batch) under no_grad.
Inputs are synthetic, uniform [0, 1): x [B, 1, s, s], x_tf [r*B, 1, s, s] (s = 24 MNIST, 32 CIFAR:
the Sobel step is inside the net), kept on the CPU and copied to the device in every step, as
the authors' loop does with its loader's batches.

Timing: --warmup untimed iterations, then --iters timed ones; seconds = median, best_seconds =
minimum, cpu_seconds = median process CPU time; on CUDA each iteration ends with
torch.cuda.synchronize(). Every unit (case x head x work) runs in a fresh process (this script
again with --child), so peak_rss_mb (ru_maxrss) is that unit's own peak; on CUDA also
peak_device_mb (torch.cuda.max_memory_allocated). Numerics are PyTorch's defaults (float32;
on CUDA TF32 as the installed version's defaults: reported in tf32_conv / tf32_matmul).

Notes for CPU runs: glibc malloc returns tensors larger than its mmap threshold to the system on
every free, so each step maps and faults them in again; tools/bench-compare runs this script
with MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=<large> (docs/benchmarks.md). The "blas" field
names the BLAS library PyTorch's linear layers ended up in (Debian's python3-torch uses the
system libblas.so.3, by default the slow reference BLAS).
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

import torch

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from iic_models import iic_loss, make_net  # noqa: E402

# The authors' recipes (protocol.md; ours: iic::authors_recipe).
RECIPES = {"mnist": dict(batch=140, repeats=5, side=24, k={"A": 50, "B": 10}),
           "cifar10": dict(batch=220, repeats=3, side=32, k={"A": 70, "B": 10})}
LR = 1e-4
CASES = {"clusternet6c_step": ("mnist", "step"), "clusternet5g_step": ("cifar10", "step"),
         "clusternet6c_infer": ("mnist", "infer"), "clusternet5g_infer": ("cifar10", "infer")}


def blas_library():
    """Path of the BLAS shared library mapped into this process (after a linear layer ran)."""
    with open("/proc/self/maps") as maps:
        libs = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
    return ",".join(sorted(libs)) or "none (BLAS linked statically or not loaded)"


def timed_iterations(args, device, body):
    wall, cpu = [], []
    for it in range(args.warmup + args.iters):
        c0, t0 = time.process_time(), time.perf_counter()
        body()
        if device.type == "cuda":
            torch.cuda.synchronize()
        if it >= args.warmup:
            wall.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    return dict(seconds=statistics.median(wall), best_seconds=min(wall),
                cpu_seconds=statistics.median(cpu))


def run_step(args, device, dataset, head, work):
    """(pairs, timing, extra fields) of the training step."""
    rec = RECIPES[dataset]
    b, r, s = rec["batch"], rec["repeats"], rec["side"]
    torch.manual_seed(args.seed)
    net = make_net(dataset).to(device).train()
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    x = torch.rand(b, 1, s, s)
    x_tf = torch.rand(r * b, 1, s, s)
    last = {}

    def step():
        net.zero_grad(set_to_none=False)  # the authors' PyTorch 1.x semantics, as ours
        if work == "identical":
            outs = net(x.repeat(r, 1, 1, 1).to(device), head)
        else:
            outs = [torch.cat([z] * r, 0) for z in net(x.to(device), head)]
        tf_outs = net(x_tf.to(device), head)
        loss = sum(iic_loss(z, z_tf) for z, z_tf in zip(outs, tf_outs)) / len(outs)
        last["loss"] = loss.item()
        loss.backward()
        opt.step()

    t = timed_iterations(args, device, step)
    return r * b, t, dict(batch=b, repeats=r, k=rec["k"][head], loss=last["loss"],
                          parameters=sum(p.numel() for p in net.parameters()))


def run_infer(args, device, dataset):
    """(images, timing, extra fields) of a head-B pass without a graph."""
    torch.manual_seed(args.seed)
    net = make_net(dataset).to(device).eval()
    side = RECIPES[dataset]["side"]
    x = torch.rand(args.infer_batch, 1, side, side)

    def forward():
        with torch.no_grad():
            net(x.to(device), "B")

    return args.infer_batch, timed_iterations(args, device, forward), {}


def run_unit(args, name, head, work):
    device = torch.device(args.device)
    dataset, kind = CASES[name]
    if kind == "step":
        count_key, rate_key = "pairs", "pairs_per_s"
        count, t, extra = run_step(args, device, dataset, head, work)
    else:
        count_key, rate_key = "batch", "images_per_s"
        count, t, extra = run_infer(args, device, dataset)
    line = {"framework": "pytorch", "torch": torch.__version__, "case": name, "head": head,
            "work": work, count_key: count, "seconds": round(t["seconds"], 6),
            "best_seconds": round(t["best_seconds"], 6),
            rate_key: round(count / t["seconds"], 3), "cpu_seconds": round(t["cpu_seconds"], 6),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "precision": "fp32", "threads": torch.get_num_threads(), "device": device.type}
    line.update(extra)
    if device.type == "cuda":
        line["peak_device_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
        line["gpu"] = torch.cuda.get_device_name()
        line["tf32_conv"] = torch.backends.cudnn.allow_tf32
        line["tf32_matmul"] = torch.backends.cuda.matmul.allow_tf32
    else:
        line["blas"] = blas_library()
        line["mkldnn"] = torch.backends.mkldnn.is_available()
        line["malloc_env"] = " ".join(f"{k}={v}" for k, v in sorted(os.environ.items())
                                      if k.startswith("MALLOC_")) or None
    return line


def print_line(args, line):
    if args.json:
        print(json.dumps(line), flush=True)
        return
    rate_key = "pairs_per_s" if "pairs" in line else "images_per_s"
    count = line.get("pairs", line.get("batch"))
    print(f"{line['case']:<22} {line['head'] or '-':<4} {line['work'] or '-':<9} "
          f"{count:>5} {line['seconds']:9.4f} {line['best_seconds']:9.4f} "
          f"{line[rate_key]:9.1f}/s {line['peak_rss_mb']:8.0f} MB {line['cpu_seconds']:7.2f}",
          flush=True)


def units(args):
    names = args.case.split(",") if args.case else list(CASES)
    for n in names:
        if n not in CASES:
            sys.exit(f"iic_bench.py: unknown case '{n}' (known: {', '.join(CASES)})")
    for n in names:
        if CASES[n][1] == "infer":
            yield n, "B", None
            continue
        for head in ([args.head] if args.head else ["A", "B"]):
            for work in ([args.work] if args.work else ["dedup", "identical"]):
                yield n, head, work


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--case", default="", help="comma-separated cases (default: all)")
    p.add_argument("--head", choices=["A", "B"])
    p.add_argument("--work", choices=["dedup", "identical"])
    p.add_argument("--iters", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads; 0 = all cores")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--precision", choices=["fp32"], default="fp32")
    p.add_argument("--infer-batch", type=int, default=700)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.iters < 1 or args.warmup < 0:
        sys.exit("iic_bench.py: --iters must be >= 1 and --warmup >= 0")
    torch.set_num_threads(args.threads or os.cpu_count())
    selected = list(units(args))
    if args.child or len(selected) == 1:
        for name, head, work in selected:
            print_line(args, run_unit(args, name, head, work))
        return 0
    failed = 0
    for name, head, work in selected:
        cmd = [sys.executable, os.path.abspath(__file__)] + sys.argv[1:] + \
            ["--case", name, "--child"] + (["--head", head, "--work", work] if work else [])
        failed += subprocess.call(cmd) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
