#!/usr/bin/python3
"""Exports a PyTorch model with torch.onnx.export and writes PyTorch's outputs beside it.

Models: 'lenet5' (make_lenet5_fixture.LeNet5, untrained, seed 0), 'resnet20' and 'resnet18'
(the torchvision-named modules of make_resnet_fixture.py, batch-norm statistics randomised).
Outputs in --out: <model>.onnx (eval mode, opset --opset, dynamic batch axis) and
<model>-onnx-io.safetensors ('images' F32 [2, ...input], 'logits' F32 [2, 10], PyTorch eval mode).

Run: /usr/bin/python3 tools/weights/make_torch_onnx.py --model lenet5   (the committed fixture)
     /usr/bin/python3 tools/weights/make_torch_onnx.py --model resnet18 --out /tmp/r18
(torch 1.13, Debian python3-torch; the onnx Python package is not needed)
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_lenet5_fixture import LeNet5, write_safetensors  # noqa: E402
from make_resnet_fixture import build, randomise_batch_norm  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="lenet5", choices=["lenet5", "resnet20", "resnet18"])
    ap.add_argument("--opset", type=int, default=13)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures"))
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    if args.model == "lenet5":
        net, shape = LeNet5(), (1, 28, 28)
    else:
        net, shape = build(args.model), (3, 32, 32)
        randomise_batch_norm(net)
    net.eval()
    images = torch.rand(2, *shape)
    with torch.no_grad():
        logits = net(images)
    os.makedirs(args.out, exist_ok=True)
    torch.onnx.export(net, images, os.path.join(args.out, f"{args.model}.onnx"), opset_version=args.opset,
                      input_names=["input"], output_names=["output"], dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    meta = {"source": "tools/weights/make_torch_onnx.py", "torch": torch.__version__, "model": args.model, "opset": str(args.opset)}
    write_safetensors(os.path.join(args.out, f"{args.model}-onnx-io.safetensors"), [("images", images.numpy()), ("logits", logits.numpy())], meta)


if __name__ == "__main__":
    main()
