"""Steady-state speed of tensor_attention (numpy forward, torch forward + backward) against PyTorch's own
order-3 attention, naive and query-chunked, on the same CPU and thread count. One run; prints a markdown table.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PYTHONPATH=python /usr/bin/python3 python/bench/bench.py

Timing: each arm is called CALLS times and the median of the calls from the third on is reported (the first
two pay JIT compilation and allocation). Order 3, float32, full mask, scale 1/d, inputs uniform in [-1, 1]."""

import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np
import torch
from torch.utils.checkpoint import checkpoint

import tensor_attention as ta
from tensor_attention import _api
from tensor_attention.torch import attention


def khatri_rao(a, b):
    """(a ⊘ b)[j1 * n + j2] = a[j1] * b[j2]: the tuple rows of order-3 attention."""
    return (a[:, None, :] * b[None, :, :]).reshape(-1, a.shape[-1])


def torch_chunk(q, k1, k2, v1, v2, c):
    """softmax(c q (k1 ⊘ k2)^T) (v1 ⊘ v2) for a block of queries: two GEMMs and a softmax over n^2 tuples."""
    return torch.softmax(c * (q @ khatri_rao(k1, k2).T), dim=-1) @ khatri_rao(v1, v2)


def torch_forward(q, k1, k2, v1, v2, chunk=None):
    c = 1.0 / q.shape[-1]
    if chunk is None:
        return torch_chunk(q, k1, k2, v1, v2, c)
    return torch.cat([torch_chunk(q[i:i + chunk], k1, k2, v1, v2, c) for i in range(0, q.shape[0], chunk)])


def torch_forward_backward(q, k1, k2, v1, v2, dout, chunk=None):
    c = 1.0 / q.shape[-1]
    if chunk is None:
        out = torch_chunk(q, k1, k2, v1, v2, c)
    else:
        # Recompute each chunk in the backward (activation checkpointing): keeping every chunk's n^2 weights
        # for autograd would bring back the naive version's memory.
        out = torch.cat([checkpoint(torch_chunk, q[i:i + chunk], k1, k2, v1, v2, c, use_reentrant=False)
                         for i in range(0, q.shape[0], chunk)])
    out.backward(dout)


def timed(fn, calls):
    """Median wall time of the calls from the third on, and the values fn returned then."""
    walls, values = [], []
    for i in range(calls):
        t = time.perf_counter()
        v = fn()
        w = time.perf_counter() - t
        if i >= 2:
            walls.append(w)
            values.append(v)
    return statistics.median(walls), values


def isa():
    flags = open("/proc/cpuinfo").read()
    return "AVX-512" if " avx512f" in flags else "AVX2" if " avx2" in flags else "no AVX2"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[512, 1024])
    ap.add_argument("--d", type=int, nargs="+", default=[64, 16])
    ap.add_argument("--calls", type=int, default=4, help="calls per arm; the median of the third on is reported")
    ap.add_argument("--chunk", type=int, default=64, help="queries per chunk in chunked torch")
    ap.add_argument("--naive-max-n", type=int, default=512,
                    help="largest n for naive torch (its n x n^2 weights take 4 n^3 bytes, twice with autograd)")
    ap.add_argument("--fb-max-n", type=int, default=1024,
                    help="largest n for the forward + backward arms (on a loaded machine they take long)")
    args = ap.parse_args()
    threads = os.cpu_count()
    torch.set_num_threads(threads)
    ta.warm_up()
    print(f"# {platform.processor() or platform.machine()}, {threads} cores, {isa()}, torch {torch.__version__} "
          f"threads {torch.get_num_threads()}, library threads {threads}; load before: "
          f"{os.getloadavg()[0]:.2f}", flush=True)
    rows = []
    for n in args.n:
        for d in args.d:
            rng = np.random.default_rng(0)
            q, k1, k2, v1, v2 = (rng.uniform(-1, 1, (n, d)).astype(np.float32) for _ in range(5))
            dout = rng.uniform(-1, 1, (n, d)).astype(np.float32)
            tq = [torch.from_numpy(a).requires_grad_() for a in (q, k1, k2, v1, v2)]
            tdout = torch.from_numpy(dout)
            res = {}
            res["fwd"], rs = timed(lambda: ta.forward(q, [k1, k2], [v1, v2], threads=threads), args.calls)
            res["fwd_kernel"] = statistics.median(r.seconds for r in rs)
            fb = n <= args.fb_max_n
            if fb:
                # The backward kernel's own seconds, given the forward as the torch path gives it.
                opts = _api.options(threads=threads)
                jq, jk, jv, jd = (_api.to_java(q), [_api.to_java(k1), _api.to_java(k2)],
                                  [_api.to_java(v1), _api.to_java(v2)], _api.to_java(dout))
                jr = _api.java_forward(jq, jk, jv, opts)
                _, gs = timed(lambda: _api.java_backward(jq, jk, jv, jd, jr, opts), args.calls)
                res["bwd_kernel"] = statistics.median(float(g.seconds()) for g in gs)
                res["fb"], _ = timed(
                    lambda: attention(tq[0], tq[1:3], tq[3:5], threads=threads).backward(tdout), args.calls)
            with torch.no_grad():
                res["chunk_fwd"], _ = timed(lambda: torch_forward(*tq, chunk=args.chunk), args.calls)
            if fb:
                res["chunk_fb"], _ = timed(lambda: torch_forward_backward(*tq, tdout, chunk=args.chunk), args.calls)
            if n <= args.naive_max_n:
                with torch.no_grad():
                    res["naive_fwd"], _ = timed(lambda: torch_forward(*tq), args.calls)
                if fb:
                    res["naive_fb"], _ = timed(lambda: torch_forward_backward(*tq, tdout), args.calls)
            rows.append((n, d, res))
            print(f"n={n} d={d}: " + ", ".join(f"{k} {v:.4f}" for k, v in res.items()), flush=True)
    print(f"# load after: {os.getloadavg()[0]:.2f}\n")
    na = lambda r, k: f"{r[k]:.3f}" if k in r else "-"
    print("| n | d | forward | kernel | overhead | chunked torch fwd | naive torch fwd | speed-up vs chunked "
          "| fwd+bwd (torch API) | chunked torch fwd+bwd | naive torch fwd+bwd | speed-up vs chunked "
          "| fwd+bwd overhead |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n, d, r in rows:
        over = (r["fwd"] - r["fwd_kernel"]) / r["fwd"]
        fb = "fb" in r
        ratio = lambda a, b: f"{r[a] / r[b]:.1f}x" if a in r and b in r else "-"
        bover = f"{100 * (r['fb'] - r['fwd_kernel'] - r['bwd_kernel']) / r['fb']:.1f}%" if fb else "-"
        print(f"| {n} | {d} | {r['fwd']:.3f} | {r['fwd_kernel']:.3f} | {100 * over:.1f}% | {r['chunk_fwd']:.3f} "
              f"| {na(r, 'naive_fwd')} | {ratio('chunk_fwd', 'fwd')} | {na(r, 'fb')} | {na(r, 'chunk_fb')} "
              f"| {na(r, 'naive_fb')} | {ratio('chunk_fb', 'fb')} | {bover} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
