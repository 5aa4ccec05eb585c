"""PyTorch peer for stridenet-bench, driven over stdin/stdout with one JSON object per line.

The harness sets OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / OMP_WAIT_POLICY in the environment before
this process starts (they are read at import time); torch.set_num_threads is set again from --threads.
It starts one process per OpenMP wait policy (PASSIVE and ACTIVE) and, per workload, tries the
memory formats and (for inference) a frozen TorchScript graph, keeping the fastest: PyTorch at its best.
Inputs and weights arrive as little-endian float32 files written by the harness, so every
framework sees the same bytes.
"""
import ctypes
import json
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

THREADS = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 1
# With OMP_WAIT_POLICY=ACTIVE, idle OpenMP threads spin (bounded by GOMP_SPINCOUNT); after each timed
# batch this process waits, untimed, until its threads are idle (at most COOLDOWN seconds), so its
# spinning never overlaps another runner's repetition. A fixed 0.25 s pause was too short on a 2-vCPU
# Zen 2: 10M spins of ~65 cycles outlast it, and the next runner's 2-thread repetition ran on one core.
COOLDOWN = float(sys.argv[sys.argv.index("--cooldown") + 1]) if "--cooldown" in sys.argv else 0.0


def settle(max_seconds, window=0.01, busy=0.1):
    """Sleeps in windows until this process's CPU time over one stays under `busy` of it, or max_seconds pass."""
    end = time.perf_counter() + max_seconds
    while True:
        c0, w0 = time.process_time(), time.perf_counter()
        time.sleep(window)
        used, elapsed = time.process_time() - c0, time.perf_counter() - w0
        if used < busy * elapsed or time.perf_counter() >= end:
            return
torch.set_num_threads(THREADS)
torch.manual_seed(0)


def load(entry):
    arr = np.fromfile(entry["path"], dtype="<f4", count=entry["count"], offset=entry.get("offset", 0) * 4)
    return torch.from_numpy(arr.copy()).reshape(entry["shape"])


def symmetric(p):
    # p = [top, bottom, left, right]
    return p[0] == p[1] and p[2] == p[3]


class FlipRelu(torch.autograd.Function):
    """F.relu whose backward takes the other decision (passes the gradient where the input is <= 0, none where > 0)
    at the inputs within `band` of zero that fall in group `group` of `groups` (by a multiplicative hash of their index)."""

    @staticmethod
    def forward(ctx, x, band, group, groups):
        ctx.save_for_backward(x)
        ctx.band, ctx.group, ctx.groups = band, group, groups
        return F.relu(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        mask = x > 0
        idx = torch.arange(x.numel(), device=x.device).view_as(x)
        flip = (x.abs() <= ctx.band) & ((idx * 2654435761) % 4294967296 % ctx.groups == ctx.group)
        return g * (mask ^ flip).to(g.dtype), None, None, None


class IrModel(torch.nn.Module):
    """The harness's model IR (same architecture and weights as the stridenet zoo model)."""

    def __init__(self, ir, weights, flip=None):
        super().__init__()
        self.ir = ir
        # (band, group, groups): each ReLU's backward takes the other decision at the inputs within band x (the RMS of
        # that ReLU's input) of zero in group `group` (train_check's flip runs, verify.ts ReluFlips).
        self.flip = flip
        self.params = torch.nn.ParameterDict()
        self.stats = {}
        for name, t in weights.items():
            key = name.replace(".", "__")
            if ir["weights"][name]["trainable"]:
                self.params[key] = torch.nn.Parameter(t)
            else:
                self.register_buffer(key, t)
                self.stats[name] = key

    def w(self, name):
        key = name.replace(".", "__")
        return self.params[key] if key in self.params else getattr(self, key)

    def relu(self, x):
        if self.flip is None:
            return F.relu(x)
        band, group, groups = self.flip
        return FlipRelu.apply(x, band * float(x.detach().pow(2).mean().sqrt()), group, groups)

    def forward(self, x):
        values = {"input": x}
        for n in self.ir["nodes"]:
            op = n["op"]
            inp = values.get(n.get("input"))
            if op == "conv":
                t, b, l, r = n["pads"]
                if symmetric(n["pads"]):
                    y = F.conv2d(inp, self.w(n["weight"]), self.w(n["bias"]) if n.get("bias") else None, n["stride"], (t, l), n["dilation"], n["groups"])
                else:
                    y = F.conv2d(F.pad(inp, (l, r, t, b)), self.w(n["weight"]), self.w(n["bias"]) if n.get("bias") else None, n["stride"], 0, n["dilation"], n["groups"])
                if n["relu"]:
                    y = self.relu(y)
            elif op == "dense":
                y = F.linear(inp, self.w(n["weight"]), self.w(n["bias"]) if n.get("bias") else None)
                if n["relu"]:
                    y = self.relu(y)
            elif op == "batchnorm":
                y = F.batch_norm(inp, self.w(n["mean"]), self.w(n["variance"]), self.w(n["gamma"]), self.w(n["beta"]), self.training, n["momentum"], n["epsilon"])
            elif op == "relu":
                y = self.relu(inp)
            elif op in ("maxpool", "avgpool"):
                t, b, l, r = n["pads"]
                if not symmetric(n["pads"]):
                    raise ValueError("asymmetric pool padding in " + n["name"])
                if op == "maxpool":
                    y = F.max_pool2d(inp, n["window"], n["stride"], (t, l), ceil_mode=n["ceilMode"])
                else:
                    y = F.avg_pool2d(inp, n["window"], n["stride"], (t, l), ceil_mode=n["ceilMode"], count_include_pad=n["countIncludePad"])
            elif op == "globalavgpool":
                y = inp.mean(dim=(2, 3))
            elif op == "flatten":
                y = torch.flatten(inp, 1)
            elif op == "dropout":
                y = F.dropout(inp, n["rate"], self.training)
            elif op == "add":
                y = values[n["inputs"][0]] + values[n["inputs"][1]]
            else:
                raise ValueError("unknown op " + op)
            values[n["name"]] = y
        return values[self.ir["output"]]


def no_dropout(ir):
    return dict(ir, nodes=[dict(n, rate=0.0) if n["op"] == "dropout" else n for n in ir["nodes"]])


def train_check(msg):
    """Fresh model from the harness's weights, dropout off, `steps` SGD steps; losses and weights to a file.
    With msg["float64"] the same model code runs on weights and data widened to float64 (the harness's
    second check when float32 rounding misses the tolerance); results are written as float32 either way.
    msg["flip"] = [band, group, groups] (float64 only): ReLU decisions within the band taken the other way in one group
    of them (IrModel.relu; the harness runs one step per group, verify.ts)."""
    ir = no_dropout(msg["model"])
    weights = {k: load(v) for k, v in msg["weights"].items()}
    flip = msg.get("flip")
    if flip is not None and not msg.get("float64"):
        raise ValueError("train_check: flip is for the float64 run")
    model = IrModel(ir, weights, (float(flip[0]), int(flip[1]), int(flip[2])) if flip is not None else None)
    model.train()
    x = load(msg["tensors"]["x"])
    if msg.get("float64"):
        model.double()
        x = x.double()
    labels = torch.from_numpy(np.fromfile(msg["labels"]["path"], dtype="<i4", count=msg["labels"]["count"]).astype(np.int64))
    opt = torch.optim.SGD([p for p in model.parameters()], lr=0.01, momentum=0.9)
    names = [n for n in msg["model"]["weights"] if msg["model"]["weights"][n]["trainable"]]

    def weights():
        return [model.w(n).detach().contiguous().numpy().astype("<f4").ravel() for n in names]

    steps = int(msg["steps"])
    losses = []
    first = []
    for i in range(steps):
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), labels)
        loss.backward()
        opt.step()
        losses.append(float(loss.item()))
        if i == 0 and steps > 1:
            first = weights()
    # Losses, then every weight after step 1 (when more than one step ran), then after the last step.
    np.concatenate([np.array(losses, dtype="<f4")] + first + weights()).tofile(msg["path"])
    return {"steps": len(losses), "names": names, "first": steps > 1}


class Workload:
    def __init__(self, msg):
        spec = msg["spec"]
        variant = msg.get("variant") or {}
        cl = bool(variant.get("channelsLast"))
        fmt = (lambda t: t.contiguous(memory_format=torch.channels_last)) if cl else (lambda t: t)
        self.kind = spec["kind"]
        self.first = None
        self.losses = []
        self.train = False
        t = {k: load(v) for k, v in msg["tensors"].items()}
        if self.kind == "conv2d":
            pads = spec["pads"]
            stride, dil, groups = spec["stride"], spec["dilation"], spec["groups"]
            if not symmetric(pads):
                raise ValueError("unsupported: PyTorch conv2d takes symmetric padding only (explicit F.pad would add a copy)")
            padding = (pads[0], pads[2])
            if spec["pass"] == "forward":
                x, w = fmt(t["x"]), fmt(t["filter"])
                self.step = lambda: F.conv2d(x, w, None, stride, padding, dil, groups)
            elif spec["pass"] == "backward-input":
                dy, w = t["dy"], t["filter"]
                x = torch.empty(spec["input"])
                self.step = lambda: torch.ops.aten.convolution_backward(dy, x, w, None, stride, padding, dil, False, [0, 0], groups, [True, False, False])[0]
            else:
                x, dy = t["x"], t["dy"]
                w = torch.empty(spec["filter"])
                self.step = lambda: torch.ops.aten.convolution_backward(dy, x, w, None, stride, padding, dil, False, [0, 0], groups, [False, True, False])[1]
        elif self.kind == "pool2d":
            pads = spec["pads"]
            if not symmetric(pads):
                raise ValueError("unsupported: PyTorch pooling takes symmetric padding only")
            k, s, p, ceil = spec["window"], spec["stride"], (pads[0], pads[2]), spec["ceilMode"]
            if spec.get("pass") == "backward-input":
                # The gradient kernel a training step runs: max pooling's takes the argmax indices its forward saved.
                # In the probed layout (channels_last: PyTorch's vectorised pooling kernels), as the forward rows.
                dy = fmt(t["dy"])
                if spec["pool"] == "max":
                    x = fmt(t["x"])
                    _, idx = F.max_pool2d(x, k, s, p, ceil_mode=ceil, return_indices=True)
                    self.step = lambda: torch.ops.aten.max_pool2d_with_indices_backward(dy, x, k, s, p, [1, 1], ceil, idx)
                else:
                    x = fmt(torch.empty(spec["input"]))
                    cip = spec["countIncludePad"]
                    self.step = lambda: torch.ops.aten.avg_pool2d_backward(dy, x, k, s, p, ceil, cip, None)
                return
            if spec.get("pass") == "forward-train":
                # The forward a training step runs: max_pool2d keeping the selected indices for the gradient.
                x = fmt(t["x"])
                self.step = lambda: F.max_pool2d(x, k, s, p, ceil_mode=ceil, return_indices=True)[0]
                return
            x = fmt(t["x"])
            if spec["pool"] == "max":
                self.step = lambda: F.max_pool2d(x, k, s, p, ceil_mode=ceil)
            else:
                cip = spec["countIncludePad"]
                self.step = lambda: F.avg_pool2d(x, k, s, p, ceil_mode=ceil, count_include_pad=cip)
        elif self.kind == "dense":
            x, w, b = t["x"], t["w"], t["b"]
            self.step = lambda: F.linear(x, w, b)
        elif self.kind == "matmul":
            a, b = t["a"], t["b"]
            self.step = lambda: a @ b
        elif self.kind == "model":
            ir = msg["model"]
            weights = {k: load(v) for k, v in msg["weights"].items()}
            self.model = IrModel(ir, weights)
            x = t["x"]
            if spec["mode"] == "infer":
                self.model.eval()
                if cl:
                    self.model = self.model.to(memory_format=torch.channels_last)
                    x = fmt(x)
                if variant.get("freeze"):
                    # The IR's control flow is fixed for one architecture: a trace is the whole graph.
                    with torch.no_grad():
                        frozen = torch.jit.freeze(torch.jit.trace(self.model, x))
                        frozen(x)

                    def infer():
                        with torch.no_grad():
                            return frozen(x)

                else:

                    def infer():
                        with torch.inference_mode():
                            return self.model(x)

                self.step = infer
            else:
                self.train = True
                self.model.train()
                labels = torch.from_numpy(np.fromfile(msg["labels"]["path"], dtype="<i4", count=msg["labels"]["count"]).astype(np.int64))
                opt = torch.optim.SGD([p for p in self.model.parameters()], lr=0.01, momentum=0.9)

                def train_step():
                    opt.zero_grad(set_to_none=True)
                    loss = F.cross_entropy(self.model(x), labels)
                    loss.backward()
                    opt.step()
                    return loss.detach()

                self.step = train_step
        else:
            raise ValueError("unknown workload kind " + self.kind)

    def run(self, n):
        # CPU ops are synchronous: a call has finished its work when it returns. Only the first output is
        # copied (for the check); read-back is timed apart.
        t0 = time.perf_counter()
        for _ in range(n):
            y = self.step()
            if self.first is None:
                self.first = np.array([float(y.item())], dtype=np.float32) if self.train else y.detach().contiguous().numpy().astype(np.float32).copy()
        seconds = time.perf_counter() - t0
        if COOLDOWN > 0:
            settle(COOLDOWN)
        return seconds

    def readback(self):
        if self.train:
            return None
        y = self.step()
        t0 = time.perf_counter()
        y.detach().contiguous().numpy().copy()
        return time.perf_counter() - t0


def mapped_libraries(*needles):
    """Paths of the shared libraries mapped into this process whose path contains one of the needles."""
    found = []
    try:
        with open("/proc/self/maps") as f:
            for ln in f:
                fields = ln.split()
                path = fields[5] if len(fields) >= 6 else ""
                if path.startswith("/") and any(n in path for n in needles) and path not in found:
                    found.append(path)
    except OSError:
        pass
    return found


def isa_report():
    """The instruction sets this process's kernels run, read back from the libraries themselves.

    ATen: the capability torch reports (ATEN_CPU_CAPABILITY moves it). oneDNN: its effective ISA from
    dnnl_get_effective_cpu_isa() (ONEDNN_MAX_CPU_ISA / DNNL_MAX_CPU_ISA cap it), asked of the shared
    libdnnl that Debian's torch links (a wheel links oneDNN statically with hidden symbols: then None).
    BLAS: the libraries mapped, and OpenBLAS's core (OPENBLAS_CORETYPE moves it) when it is OpenBLAS.
    """
    show = torch.__config__.show()
    aten = next((ln.split(":", 1)[1].strip() for ln in show.splitlines() if "CPU capability usage" in ln), None)
    blas_info = next((part.split("=", 1)[1] for part in show.replace(",", " ").split() if part.startswith("BLAS_INFO=")), None)
    onednn = None
    dnnl = mapped_libraries("libdnnl", "libmkldnn")
    for path in dnnl:
        try:
            fn = ctypes.CDLL(path).dnnl_get_effective_cpu_isa
            fn.restype = ctypes.c_int
            onednn = int(fn())
            break
        except (OSError, AttributeError):
            pass
    blas = mapped_libraries("blas", "libmkl")
    openblas_core = None
    for path in blas:
        try:
            fn = ctypes.CDLL(path).openblas_get_corename
            fn.restype = ctypes.c_char_p
            openblas_core = fn().decode()
            break
        except (OSError, AttributeError):
            pass
    return {"aten": aten, "onednn": onednn, "onednnLibrary": dnnl[0] if dnnl else None, "blasInfo": blas_info, "blas": blas, "openblasCore": openblas_core}


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def main():
    current = None
    out = sys.stdout
    for line in sys.stdin:
        msg = json.loads(line)
        cmd = msg["cmd"]
        try:
            if cmd == "hello":
                show = torch.__config__.show()
                libs = [ln.strip("- ").strip() for ln in show.splitlines() if "MKL-DNN" in ln or "oneDNN" in ln or "OpenMP" in ln or "CPU capability" in ln]
                reply = {"torch": torch.__version__, "threads": torch.get_num_threads(), "config": libs, "mkldnn": bool(torch.backends.mkldnn.is_available()), "isa": isa_report()}
            elif cmd == "prepare":
                current = None
                current = Workload(msg)
                reply = {"ok": True}
            elif cmd == "run":
                reply = {"seconds": current.run(int(msg["n"]))}
            elif cmd == "readback":
                reply = {"seconds": current.readback()}
            elif cmd == "train_check":
                reply = train_check(msg)
            elif cmd == "output":
                current.first.astype("<f4").tofile(msg["path"])
                reply = {"count": int(current.first.size)}
            elif cmd == "rss":
                reply = {"rss": rss_bytes(), "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}
            elif cmd == "dispose":
                current = None
                reply = {"ok": True}
            elif cmd == "exit":
                break
            else:
                reply = {"error": "unknown command " + cmd}
        except Exception as e:  # reported to the harness, which records the cell as error/skipped
            reply = {"error": f"{type(e).__name__}: {e}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
