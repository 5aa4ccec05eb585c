#!/usr/bin/python3
"""Writes a torchvision-style ResNet state_dict (PyTorch names) and PyTorch's outputs as safetensors.

The modules below mirror torchvision.models.resnet (BasicBlock: conv1, bn1, relu, conv2, bn2,
downsample = Sequential(conv 1x1, bn); stem conv1, bn1, relu, maxpool; layer1..layer4; avgpool;
fc), so `state_dict()` has torchvision's names: conv1.weight, bn1.running_mean,
bn1.num_batches_tracked, layer1.0.conv1.weight, layer2.0.downsample.0.weight, fc.weight, ...
torchvision itself is not needed. 'resnet20' is the CIFAR ResNet of stridenet's zoo (three stages
of 16/32/64 filters, no max pool) with the same naming.

Batch-norm affine parameters and running statistics are randomised (a fresh net has 1, 0, 0, 1)
so that loading them wrongly shows in the outputs; num_batches_tracked is a nonzero I64.

Outputs in --out: <model>.safetensors (the state_dict, --dtype for float tensors, I64 counters)
and <model>-io.safetensors ('images' F32 [2,3,S,S], 'logits' F32 [2,10], eval mode, computed
with the weights as stored, i.e. after rounding to --dtype).

Run: /usr/bin/python3 tools/weights/make_resnet_fixture.py --model resnet18 --dtype F32 --out DIR
(torch 1.13, Debian python3-torch). The committed fixture tools/weights/fixtures/resnet20.* is
  /usr/bin/python3 tools/weights/make_resnet_fixture.py --model resnet20 --dtype F16
"""
import argparse
import os
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_lenet5_fixture import write_safetensors  # noqa: E402

TORCH_DTYPES = {"F32": torch.float32, "F16": torch.float16, "F64": torch.float64}


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return self.relu(y + (x if self.downsample is None else self.downsample(x)))


class ResNet(nn.Module):
    def __init__(self, widths, blocks, stem_kernel, stem_stride, maxpool, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(3, widths[0], stem_kernel, stem_stride, stem_kernel // 2, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1) if maxpool else nn.Identity()
        cin = widths[0]
        for i, w in enumerate(widths):
            layer = nn.Sequential(*[BasicBlock(cin if b == 0 else w, w, 2 if b == 0 and i > 0 else 1) for b in range(blocks)])
            setattr(self, f"layer{i + 1}", layer)
            cin = w
        self.stages = len(widths)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for i in range(self.stages):
            x = getattr(self, f"layer{i + 1}")(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))


def build(model):
    if model == "resnet18":  # torchvision.models.resnet18(num_classes=10)
        return ResNet([64, 128, 256, 512], 2, 7, 2, True, 10)
    if model == "resnet20":
        return ResNet([16, 32, 64], 3, 3, 1, False, 10)
    raise SystemExit(f"--model is {model!r} but expected resnet18 or resnet20")


def randomise_batch_norm(net):
    """Batch-norm affine parameters and statistics away from 1, 0, 0, 1; num_batches_tracked 1234."""
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.1)
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.num_batches_tracked.fill_(1234)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="resnet20")
    ap.add_argument("--dtype", default="F32", choices=sorted(TORCH_DTYPES))
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures"))
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    net = build(args.model)
    randomise_batch_norm(net)
    with torch.no_grad():
        # Store in --dtype, and compute the reference with exactly the stored values.
        for t in net.state_dict().values():
            if t.is_floating_point():
                t.copy_(t.to(TORCH_DTYPES[args.dtype]).to(torch.float32))
    net.eval()
    images = torch.rand(2, 3, args.size, args.size)
    with torch.no_grad():
        logits = net(images)
    np_dtype = {"F32": np.float32, "F16": np.float16, "F64": np.float64}[args.dtype]
    tensors = [(k, v.numpy().astype(np_dtype if v.is_floating_point() else np.int64)) for k, v in net.state_dict().items()]
    os.makedirs(args.out, exist_ok=True)
    meta = {"source": "tools/weights/make_resnet_fixture.py", "torch": torch.__version__, "model": args.model}
    write_safetensors(os.path.join(args.out, f"{args.model}.safetensors"), tensors, meta)
    write_safetensors(os.path.join(args.out, f"{args.model}-io.safetensors"), [("images", images.numpy()), ("logits", logits.numpy())], meta)
    print(f"{args.model}: {len(tensors)} tensors, {sum(p.numel() for p in net.parameters())} parameters ({args.dtype})", file=sys.stderr)


if __name__ == "__main__":
    main()
