"""PyTorch's CPU normalization ops on the bench's workloads, for `npm run bench`.

Reads a JSON request on stdin:
  {"family": "batchnorm", "threads": 1, "budget_s": 1.0, "min_samples": 5, "warmup_s": 0.2,
   "workloads": [{"label": "32x64x56x56 NCHW", "shape": [32, 64, 56, 56], "layout": "NCHW"}, ...],
   "ops": ["train", "infer", "trainBackward"]}
Shapes are given in their layout: NHWC shapes are (N, H, W, C) and run as torch's
channels_last memory format; 2-D shapes run as they are. Writes JSON on stdout:
  {"torch": "1.13.0", "threads": 1, "rows": [{"label": ..., "op": ..., "samples_ms": [...]}]}
Families: "batchnorm" (nn.BatchNorm1d/2d), "layernorm" (nn.LayerNorm over the last dim),
"groupnorm" (nn.GroupNorm with GROUPS groups, as bench/families/norms.ts), "instancenorm"
(nn.InstanceNorm2d, PyTorch's defaults: no affine, no running statistics), "rmsnorm" (the
Hugging Face Llama composite `x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w`:
PyTorch 1.13 has no RMSNorm), "addlayernorm" (`layer_norm(x + r)`) and "addrmsnorm" (the RMS
composite of x + r), the residual r a second random tensor of x's shape.
Ops: train = the module in training mode (autograd on, as in a training step);
infer = eval mode under torch.inference_mode(); trainBackward = training forward with
x.requires_grad, then y.backward(dy) (gradients of x and of the parameters there are).
threads (default 1) goes to torch.set_num_threads: 1 for the one-thread columns, 2 for the
anchor of the two-thread rows (issue 14).
Run with Debian's /usr/bin/python3 (python3-torch).
"""
import json
import sys
import time

import torch


GROUPS = 32


class RMSNorm(torch.nn.Module):
    """The composite models write on PyTorch before 2.4 (Hugging Face's LlamaRMSNorm, float32 throughout)."""

    def __init__(self, d, eps=1e-5):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class AddNorm(torch.nn.Module):
    """norm(x + r) with a fixed residual r: the unfused residual add + norm."""

    def __init__(self, norm, r):
        super().__init__()
        self.norm = norm
        self.r = r

    def forward(self, x):
        return self.norm(x + self.r)


def module_for(family, shape, layout):
    if family == "rmsnorm":
        return RMSNorm(shape[-1]), tuple(shape), torch.contiguous_format
    if family in ("addlayernorm", "addrmsnorm"):
        norm = torch.nn.LayerNorm(shape[-1]) if family == "addlayernorm" else RMSNorm(shape[-1])
        return AddNorm(norm, torch.empty(tuple(shape)).uniform_(-1.0, 1.0)), tuple(shape), torch.contiguous_format
    if family == "layernorm":
        return torch.nn.LayerNorm(shape[-1]), tuple(shape), torch.contiguous_format
    if len(shape) == 2:
        return torch.nn.BatchNorm1d(shape[1]), tuple(shape), torch.contiguous_format
    n, h, w, c = shape if layout == "NHWC" else (shape[0], shape[2], shape[3], shape[1])
    fmt = torch.channels_last if layout == "NHWC" else torch.contiguous_format
    if family == "groupnorm":
        return torch.nn.GroupNorm(GROUPS, c), (n, c, h, w), fmt
    if family == "instancenorm":
        return torch.nn.InstanceNorm2d(c), (n, c, h, w), fmt
    return torch.nn.BatchNorm2d(c), (n, c, h, w), fmt


def make_step(op, bn, x, dy):
    if op == "train":
        bn.train()

        def step():
            bn(x)
        return step
    if op == "infer":
        bn.eval()

        def step():
            with torch.inference_mode():
                bn(x)
        return step
    if op == "trainBackward":
        bn.train()
        xg = x.detach().requires_grad_(True)

        def step():
            xg.grad = None
            for p in bn.parameters():
                p.grad = None
            bn(xg).backward(dy)
        return step
    raise ValueError(f"unknown op {op}")


def timed(step, budget_s, min_samples, warmup_s):
    start = time.perf_counter()
    step()  # first call: allocation, dispatch caches
    first = time.perf_counter() - start
    if first < 1.0:
        end = time.perf_counter() + warmup_s
        while time.perf_counter() < end:
            step()
    samples = []
    deadline = time.perf_counter() + budget_s
    while len(samples) < min_samples or time.perf_counter() < deadline:
        t = time.perf_counter_ns()
        step()
        samples.append((time.perf_counter_ns() - t) / 1e6)
    return samples


def main():
    request = json.load(sys.stdin)
    family = request["family"]
    if family not in ("batchnorm", "layernorm", "groupnorm", "instancenorm", "rmsnorm", "addlayernorm", "addrmsnorm"):
        raise SystemExit(f"torch_bench.py: no rows for family {family}")
    torch.set_num_threads(int(request.get("threads", 1)))
    torch.manual_seed(0)
    rows = []
    for wl in request["workloads"]:
        bn, shape, fmt = module_for(family, wl["shape"], wl["layout"])
        x = torch.empty(shape).uniform_(-1.5, 2.5).contiguous(memory_format=fmt)
        dy = torch.empty(shape).uniform_(-1.0, 1.0).contiguous(memory_format=fmt)
        for op in request["ops"]:
            step = make_step(op, bn, x, dy)
            samples = timed(step, request["budget_s"], request["min_samples"], request["warmup_s"])
            rows.append({"label": wl["label"], "op": op, "samples_ms": samples})
            print(f"torch {wl['label']} {op}: {sorted(samples)[len(samples) // 2]:.3f} ms", file=sys.stderr)
    json.dump({"torch": torch.__version__, "threads": torch.get_num_threads(), "rows": rows}, sys.stdout)


if __name__ == "__main__":
    main()
