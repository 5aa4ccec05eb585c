#!/usr/bin/python3
"""Exports a PyTorch model with torch.onnx.export and writes PyTorch's outputs beside it.

Models: 'lenet5' (make_lenet5_fixture.LeNet5, untrained, seed 0), 'resnet20' and 'resnet18'
(the torchvision-named modules of make_resnet_fixture.py, batch-norm statistics randomised).
Outputs in --out: <model>.onnx (eval mode, opset --opset, dynamic batch axis) and
<model>-onnx-io.safetensors ('images' F32 [2, ...input], 'logits' F32 [2, 10], PyTorch eval mode).

--compact (the committed ResNet-18 fixture) sets every weight so that the export compresses well:
each conv/linear weight is scale * t, t in {-1, 0, +1} drawn from a seeded generator (half of
three quarters of them zero), scale = sqrt(gain / (fan_in * density)) per layer (kaiming for ternary weights), and
each batch-norm tensor and the fc bias takes a few distinct values. It writes
<model>-torch.onnx.gz (gzip, mtime 0) and <model>-torch-onnx-io.safetensors instead.

Run: /usr/bin/python3 tools/weights/make_torch_onnx.py --model lenet5   (the committed fixture)
     /usr/bin/python3 tools/weights/make_torch_onnx.py --model resnet18 --compact   (committed)
     /usr/bin/python3 tools/weights/make_torch_onnx.py --model resnet18 --out /tmp/r18
(torch 1.13, Debian python3-torch; the onnx Python package is not needed)
"""
import argparse
import gzip
import io
import math
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_lenet5_fixture import LeNet5, write_safetensors  # noqa: E402
from make_resnet_fixture import build, randomise_batch_norm  # noqa: E402

DENSITY = 0.25  # share of nonzero ternary weights


def pick(g, values, shape):
    """A tensor of `shape` whose entries are drawn (seeded) from the few `values`."""
    table = torch.tensor(values, dtype=torch.float32)
    return table[torch.randint(len(values), shape, generator=g)]


def compact_weights(net, seed=0):
    """Low-entropy but non-trivial parameters and statistics (see the module docstring)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, m in net.named_modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                u = torch.rand(m.weight.shape, generator=g)
                t = (u >= 1 - DENSITY / 2).float() - (u < DENSITY / 2).float()
                fan_in = m.weight[0].numel()
                # Convs follow a ReLU (or the image): gain 2; the classifier gain 1.
                gain = 1.0 if isinstance(m, nn.Linear) else 2.0
                m.weight.copy_(t * math.sqrt(gain / (fan_in * DENSITY)))
                if m.bias is not None:
                    m.bias.copy_(pick(g, [-0.25, 0.0, 0.25], m.bias.shape))
            elif isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                residual = name.endswith("bn2") or name.endswith("downsample.1")
                # Smaller gammas on the branches that meet in a residual sum keep the sums O(1) over 8 blocks.
                m.weight.copy_(pick(g, [0.5, 0.625, 0.75] if residual else [0.75, 1.0, 1.25], (c,)))
                m.bias.copy_(pick(g, [-0.125, 0.0, 0.125], (c,)))
                m.running_mean.copy_(pick(g, [-0.25, 0.0, 0.25], (c,)))
                m.running_var.copy_(pick(g, [0.5, 1.0, 2.0], (c,)))
                m.num_batches_tracked.fill_(1234)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="lenet5", choices=["lenet5", "resnet20", "resnet18"])
    ap.add_argument("--opset", type=int, default=13)
    ap.add_argument("--compact", action="store_true", help="ternary weights, gzip output (the committed ResNet-18)")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures"))
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    if args.model == "lenet5":
        net, shape = LeNet5(), (1, 28, 28)
    else:
        net, shape = build(args.model), (3, 32, 32)
        randomise_batch_norm(net)
    if args.compact:
        compact_weights(net)
    net.eval()
    images = torch.rand(2, *shape)
    with torch.no_grad():
        logits = net(images)
    os.makedirs(args.out, exist_ok=True)
    stem = f"{args.model}-torch" if args.compact else args.model
    onnx = io.BytesIO()
    torch.onnx.export(net, images, onnx, opset_version=args.opset,
                      input_names=["input"], output_names=["output"], dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    if args.compact:
        with open(os.path.join(args.out, f"{stem}.onnx.gz"), "wb") as f:
            f.write(gzip.compress(onnx.getvalue(), compresslevel=9, mtime=0))
    else:
        with open(os.path.join(args.out, f"{stem}.onnx"), "wb") as f:
            f.write(onnx.getvalue())
    meta = {"source": "tools/weights/make_torch_onnx.py", "torch": torch.__version__, "model": args.model, "opset": str(args.opset)}
    if args.compact:
        meta["weights"] = "compact"
    write_safetensors(os.path.join(args.out, f"{stem}-onnx-io.safetensors"), [("images", images.numpy()), ("logits", logits.numpy())], meta)
    print(f"{stem}: onnx {len(onnx.getvalue())} bytes, logits std {logits.std().item():.4g}, max |logit| {logits.abs().max().item():.4g}", file=sys.stderr)


if __name__ == "__main__":
    main()
