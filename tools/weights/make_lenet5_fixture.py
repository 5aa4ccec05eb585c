#!/usr/bin/python3
"""Trains stridenet's LeNet-5 in PyTorch on Fashion-MNIST and writes test fixtures.

Outputs (in tools/weights/fixtures/):
  lenet5.safetensors     the trained weights, float32, under stridenet's parameter names
  lenet5-io.safetensors  'images' [8,1,28,28] F32 test images, 'labels' [8] I32,
                         'logits' [8,10] F32 PyTorch's outputs for them (eval mode)

The network mirrors `lenet5()` from @stridenet/core (default options): conv 6@5x5 pad 2 + relu,
max pool 2, conv 16@5x5 + relu, max pool 2, flatten (NCHW order), dense 120 + relu, dense 84 +
relu, dense 10. PyTorch's attribute names and layouts (conv [O,I,kh,kw], linear [out,in]) are the
same as stridenet's, so the mapping is the identity (see README.md).

Run: /usr/bin/python3 tools/weights/make_lenet5_fixture.py   (torch 1.13, CPU, about a minute)
The safetensors bytes are written here directly so the `safetensors` package is not needed.
"""
import gzip
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = "/usr/share/datasets/fashion-mnist"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
SEED = 0
TRAIN_EXAMPLES = 6000
STEPS = 400
BATCH = 32


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def read_idx(name):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        raw = f.read()
    magic, = struct.unpack(">I", raw[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


DTYPES = {np.dtype("float32"): "F32", np.dtype("int32"): "I32", np.dtype("int64"): "I64", np.dtype("float16"): "F16",
          np.dtype("float64"): "F64"}


def write_safetensors(path, tensors, metadata):
    """tensors: list of (name, numpy array); header JSON padded with spaces to 8 bytes."""
    header = {"__metadata__": metadata}
    offset = 0
    blobs = []
    for name, arr in tensors:
        arr = np.ascontiguousarray(arr)
        data = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": DTYPES[arr.dtype], "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    js = json.dumps(header, separators=(",", ":")).encode("utf-8")
    js += b" " * (-len(js) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)))
        f.write(js)
        for b in blobs:
            f.write(b)


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    x_train = torch.from_numpy(read_idx("train-images-idx3-ubyte.gz")[:TRAIN_EXAMPLES].astype(np.float32) / 255).unsqueeze(1)
    y_train = torch.from_numpy(read_idx("train-labels-idx1-ubyte.gz")[:TRAIN_EXAMPLES].astype(np.int64))
    x_test = torch.from_numpy(read_idx("t10k-images-idx3-ubyte.gz")[:1000].astype(np.float32) / 255).unsqueeze(1)
    y_test = torch.from_numpy(read_idx("t10k-labels-idx1-ubyte.gz")[:1000].astype(np.int64))

    net = LeNet5()
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    g = torch.Generator().manual_seed(SEED)
    net.train()
    for step in range(STEPS):
        idx = torch.randint(0, TRAIN_EXAMPLES, (BATCH,), generator=g)
        loss = F.cross_entropy(net(x_train[idx]), y_train[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    with torch.no_grad():
        acc = (net(x_test).argmax(1) == y_test).float().mean().item()
        images = x_test[:8].clone()
        logits = net(images)
    n_params = sum(p.numel() for p in net.parameters())
    assert n_params == 61706, n_params
    print(f"trained {STEPS} steps; test accuracy on 1000 images: {acc:.3f}; last loss {loss.item():.3f}", file=sys.stderr)

    os.makedirs(OUT, exist_ok=True)
    meta = {"format": "stridenet.weights", "source": "tools/weights/make_lenet5_fixture.py", "torch": torch.__version__,
            "testAccuracy": f"{acc:.4f}"}
    write_safetensors(os.path.join(OUT, "lenet5.safetensors"),
                      [(name, p.detach().numpy().astype(np.float32)) for name, p in net.state_dict().items()], meta)
    write_safetensors(os.path.join(OUT, "lenet5-io.safetensors"),
                      [("images", images.numpy()), ("labels", y_test[:8].numpy().astype(np.int32)), ("logits", logits.numpy())],
                      {"source": "tools/weights/make_lenet5_fixture.py", "torch": torch.__version__})


if __name__ == "__main__":
    main()
