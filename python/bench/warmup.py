"""The first call in a fresh process against later ones, with and without the background warm-up.

    PYTHONPATH=python /usr/bin/python3 python/bench/warmup.py

Each case is a new Python process: import tensor_attention, then forward (and backward) at n = 512, d = 64,
float32, order 3, four times each; wall and kernel seconds of every call."""

import json
import os
import subprocess
import sys
import time

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import numpy as np
import tensor_attention as ta
out = {"import": time.perf_counter() - t0}
if sys.argv[1] == "sleep":
    time.sleep(3)  # the caller preparing its data
if sys.argv[1] == "wait":
    t = time.perf_counter()
    ta.warm_up()
    out["warm-up wait"] = time.perf_counter() - t
rng = np.random.default_rng(0)
q, k1, k2, v1, v2, dout = (rng.uniform(-1, 1, (512, 64)).astype(np.float32) for _ in range(6))
for name, call in (("forward", lambda: ta.forward(q, [k1, k2], [v1, v2])),
                   ("backward", lambda: ta.backward(q, [k1, k2], [v1, v2], dout))):
    for i in range(4):
        t = time.perf_counter()
        r = call()
        out[f"{name} {i + 1}"] = (time.perf_counter() - t, r.seconds)
print(json.dumps(out))
"""

CASES = [("no warm-up (TENSOR_ATTENTION_WARMUP=0), first call right after import", "0", "now"),
         ("warm-up, first call right after import (which stops the warm-up)", "1", "now"),
         ("warm-up, first call 3 s after import", "1", "sleep"),
         ("warm-up, first call once the warm-up has run through (ta.warm_up())", "1", "wait")]


def main():
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    print(f"load before: {os.getloadavg()[0]:.2f}")
    for title, warm, when in CASES:
        env = dict(os.environ, TENSOR_ATTENTION_WARMUP=warm, PYTHONPATH=here)
        t = time.perf_counter()
        text = subprocess.run([sys.executable, "-c", CHILD, when], env=env, check=True, capture_output=True,
                              text=True).stdout
        total = time.perf_counter() - t
        r = json.loads(text)
        print(f"\n{title} (process {total:.1f} s)")
        print(f"  import {r['import']:.2f} s" + (f", waited {r['warm-up wait']:.2f} s" if "warm-up wait" in r else ""))
        for name in ("forward", "backward"):
            calls = [r[f"{name} {i}"] for i in range(1, 5)]
            print(f"  {name:8s} wall (kernel) s: " + "  ".join(f"{w:.3f} ({k:.3f})" for w, k in calls))
    print(f"\nload after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
