#!/usr/bin/env python3
"""check_twin.py — checks the PyTorch twin (iic_models.py) against the golden values our own
tests check the engine against (../shared/golden, see its README): the IIC loss and its
gradients for lambda = 1 (iic_loss.json, every case, clamped entries included) and the Sobel
step (sobel.json). Both sides agreeing with the same float64 ground truth means the twin
computes what our engine computes. Prints one line per check; exit status 1 on a mismatch.

  /usr/bin/python3 tools/pytorch/check_twin.py [--golden DIR]
"""

import argparse
import json
import os
import sys

import torch

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from iic_models import Sobel, iic_loss  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def close(name, got, want, tol):
    err = (torch.as_tensor(got, dtype=torch.float64) -
           torch.as_tensor(want, dtype=torch.float64)).abs().max().item()
    print(f"{'ok  ' if err <= tol else 'FAIL'} {name}: max abs error {err:.2e} (tolerance {tol:g})")
    return err <= tol


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--golden", default=os.path.join(ROOT, "..", "shared", "golden"))
    a = p.parse_args()
    ok = True
    with open(os.path.join(a.golden, "iic_loss.json")) as f:
        cases = json.load(f)["cases"]
    for c in cases:
        x = torch.tensor(c["x_out"], dtype=torch.float32, requires_grad=True)
        y = torch.tensor(c["x_tf_out"], dtype=torch.float32, requires_grad=True)
        want = c["f64"]["lamb_1"]
        loss = iic_loss(x, y, lamb=1.0)
        loss.backward()
        ok &= close(f"iic_loss {c['name']}", loss.item(), want["loss"], 1e-6)
        ok &= close(f"iic_loss {c['name']} d/dx_out", x.grad, want["grad_x_out"], 1e-6)
        ok &= close(f"iic_loss {c['name']} d/dx_tf_out", y.grad, want["grad_x_tf_out"], 1e-6)
    with open(os.path.join(a.golden, "sobel.json")) as f:
        cases = json.load(f)["cases"]
    for c in cases:
        out = Sobel()(torch.tensor(c["input_n1hw"], dtype=torch.float32))
        ok &= close(f"sobel {c['name']}", out, c["f64_output_n2hw"], 1e-5)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
