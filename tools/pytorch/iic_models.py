"""iic_models.py — the PyTorch twin of our models/ and iic/iic_loss: ClusterNet6c, ClusterNet5g
and the IIC loss as the authors' code builds them (/work/shared/paper/protocol.md), for timing
the same work in PyTorch (tools/pytorch/iic_bench.py).

Contract:
  - ClusterNet6c: four blocks conv 5x5 (pad 2, no bias) -> BatchNorm2d -> ReLU, 2x2 max pool
    between them, widths 64, 128, 256, 512; flatten (512 x 3 x 3 = 4608 for 24x24 input).
  - ClusterNet5g: fixed Sobel step (greyscale [N,1,H,W] -> 2 gradient channels, zero padding 1),
    then a ResNet34 trunk: conv 3x3 s1 p1 -> BN -> ReLU -> max pool k2 s2 p1, BasicBlocks
    [3, 4, 6, 3] of widths 64..512 (stages 2-4 open with stride 2 and a 1x1 conv + BN shortcut),
    average pool over the final map (3x3 for 32x32 input, stride 1), flatten -> 512.
  - Heads as the authors': each sub-head its own nn.Linear (with bias) + Softmax(dim=1);
    forward(x, head) returns the list of the S sub-heads' [N, k] probabilities.
  - Batch norm with track_running_stats=False (batch statistics in training and evaluation).
  - Initialisation as the authors: conv Kaiming normal (ReLU; fan_in for 6c, fan_out for 5g),
    BN weight 1 / bias 0, linear weight N(0, 0.01) / bias 0.
  - iic_loss: the authors' IID_loss: joint from the batch of outer products, symmetrised,
    normalised; P, P_i, P_j below EPS = sys.float_info.epsilon set to EPS with no gradient there
    (out of place here: newer PyTorch refuses the authors' in-place write to expanded tensors);
    loss = -sum P (log P - lamb log P_j - lamb log P_i).
Parameter counts equal ours (tools/bench prints "parameters" in its step lines).
"""

import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class SubHeads(nn.Module):
    def __init__(self, features, k, subheads):
        super().__init__()
        self.heads = nn.ModuleList(
            [nn.Sequential(nn.Linear(features, k), nn.Softmax(dim=1)) for _ in range(subheads)])

    def forward(self, f):
        return [h(f) for h in self.heads]


class ClusterNet(nn.Module):
    """Trunk + heads "A" and "B"; subclasses set self.trunk and call _add_heads."""

    def _add_heads(self, features, k_a, k_b, subheads):
        self.head_a = SubHeads(features, k_a, subheads)
        self.head_b = SubHeads(features, k_b, subheads)

    def _init(self, conv_mode):
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode=conv_mode, nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0.0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x, head):
        f = torch.flatten(self.trunk(x), 1)
        return (self.head_a if head == "A" else self.head_b)(f)


def bn(c):
    return nn.BatchNorm2d(c, track_running_stats=False)


class ClusterNet6c(ClusterNet):
    def __init__(self, k_a=50, k_b=10, subheads=5, input_size=24):
        super().__init__()
        layers, cin = [], 1
        for i, cout in enumerate([64, 128, 256, 512]):
            if i > 0:
                layers.append(nn.MaxPool2d(2, 2))
            layers += [nn.Conv2d(cin, cout, 5, 1, 2, bias=False), bn(cout), nn.ReLU(inplace=True)]
            cin = cout
        self.trunk = nn.Sequential(*layers)
        self._add_heads(512 * (input_size // 8) ** 2, k_a, k_b, subheads)
        self._init("fan_in")


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = bn(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = bn(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), bn(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)), inplace=True)
        out = self.bn2(self.conv2(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return F.relu(out + shortcut, inplace=True)


class Sobel(nn.Module):
    def __init__(self):
        super().__init__()
        w = torch.tensor([[[1., 0., -1.], [2., 0., -2.], [1., 0., -1.]],
                          [[1., 2., 1.], [0., 0., 0.], [-1., -2., -1.]]]).unsqueeze(1)
        self.register_buffer("weight", w)  # [2, 1, 3, 3], not a parameter

    def forward(self, x):
        return F.conv2d(x, self.weight, padding=1)


class ClusterNet5g(ClusterNet):
    def __init__(self, k_a=70, k_b=10, subheads=5, input_size=32):
        super().__init__()
        layers = [Sobel(), nn.Conv2d(2, 64, 3, 1, 1, bias=False), bn(64), nn.ReLU(inplace=True),
                  nn.MaxPool2d(2, 2, padding=1)]
        side = (input_size + 2 - 2) // 2 + 1
        cin = 64
        for stage, (blocks, width) in enumerate(zip([3, 4, 6, 3], [64, 128, 256, 512])):
            for b in range(blocks):
                stride = 2 if stage > 0 and b == 0 else 1
                layers.append(BasicBlock(cin, width, stride))
                side = (side + 2 - 3) // stride + 1
                cin = width
        layers.append(nn.AvgPool2d(side, stride=1))
        self.trunk = nn.Sequential(*layers)
        self._add_heads(512, k_a, k_b, subheads)
        self._init("fan_out")


def iic_loss(x_out, x_tf_out, lamb=1.0, EPS=sys.float_info.epsilon):
    _, k = x_out.size()
    p_i_j = (x_out.unsqueeze(2) * x_tf_out.unsqueeze(1)).sum(dim=0)  # the authors' compute_joint
    p_i_j = (p_i_j + p_i_j.t()) / 2.0
    p_i_j = p_i_j / p_i_j.sum()
    p_i = p_i_j.sum(dim=1).view(k, 1).expand(k, k)
    p_j = p_i_j.sum(dim=0).view(1, k).expand(k, k)
    p_i_j = p_i_j.masked_fill(p_i_j < EPS, EPS)
    p_j = p_j.masked_fill(p_j < EPS, EPS)
    p_i = p_i.masked_fill(p_i < EPS, EPS)
    return -(p_i_j * (torch.log(p_i_j) - lamb * torch.log(p_j) - lamb * torch.log(p_i))).sum()


def make_net(dataset):
    """The network of a Table 1 row with the authors' k values: 'mnist' or 'cifar10'."""
    if dataset == "mnist":
        return ClusterNet6c(k_a=50, k_b=10, subheads=5, input_size=24)
    return ClusterNet5g(k_a=70, k_b=10, subheads=5, input_size=32)
