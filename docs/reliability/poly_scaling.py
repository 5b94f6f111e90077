"""The measured cases of docs/RELIABILITY.md (poly under any scaling, what auto promises) through the command
line, against --method exact in float64. Usage: python3 docs/reliability/poly_scaling.py a|b|c|d|e"""
import numpy as np, subprocess, json, sys, os, re, tempfile
TA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tensor-attention")
TMP = tempfile.mkdtemp()
def run(cmd, arrays, extra):
    np.savez(os.path.join(TMP, "in.npz"), **arrays)
    r = subprocess.run([TA, cmd, "--input", os.path.join(TMP, "in.npz"), "--output", os.path.join(TMP, "out.npz"), "--report", os.path.join(TMP, "rep.json")] + extra,
                       capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stderr.strip()
    txt = open(os.path.join(TMP, "rep.json")).read()
    try:
        rep = json.loads(txt)
    except ValueError:  # numbers such as "1." from the report writer
        rep = json.loads(re.sub(r'(\d)\.([,\n}])', r'\1.0\2', txt))
    return dict(np.load(os.path.join(TMP, "out.npz"))), rep
def ref(arrays, extra):
    a64 = {k: v.astype(np.float64) for k, v in arrays.items()}
    o, rep = run("forward", a64, strip(extra))
    return o["o"]
def strip(extra):
    out = []; i = 0
    while i < len(extra):
        if extra[i] in ("--method", "--epsilon"): i += 2; continue
        out.append(extra[i]); i += 1
    return out + ["--method", "exact"]
def vinf(a):
    vs = [a[k].astype(np.float64) for k in sorted(a) if k.startswith("v")]
    return np.max(np.prod([np.max(np.abs(v), axis=-2) for v in vs], axis=0))
rng = np.random.default_rng(1)
which = sys.argv[1]
if which == "a":
    n, d = 32, 4
    base = {"q": rng.uniform(-1, 1, (n, d)) * 1e-100, "k1": rng.uniform(-1, 1, (n, d)) * 1e50,
            "k2": rng.uniform(-1, 1, (n, d)) * 1e50, "v1": rng.uniform(-1, 1, (n, 2)), "v2": rng.uniform(-1, 1, (n, 2))}
    for m in ([], ["--causal"], ["--window", "5,7"]):
        ex = ["--method", "poly", "--epsilon", "1e-6"] + m
        o, rep = run("forward", base, ex)
        r = ref(base, ex)
        err = np.max(np.abs(o["o"] - r))
        print("a", m, "NaN:", int(np.isnan(o["o"]).sum()), "err/Vinf %.2e" % (err / vinf(base)), "bound/Vinf %.2e" % (rep.get("error_bound", rep.get("errorBound", float('nan'))) / vinf(base)) if isinstance(rep, dict) else rep)
        dout = {"dout": rng.uniform(-1, 1, (n, 2))}
        g, rep = run("backward", {**base, **dout}, ex)
        print("  backward NaN:", sum(int(np.isnan(g[k]).sum()) for k in g))
elif which == "b":
    n, d = 16, 3
    s = lambda shape: np.where(rng.uniform(size=shape) < 0.5, -1e10, 1e10)
    base = {"q": s((n, d)), "k1": s((n, d)), "k2": s((n, d)), "v1": rng.uniform(-1, 1, (n, 2)), "v2": rng.uniform(-1, 1, (n, 2))}
    ex = ["--method", "poly", "--epsilon", "1e-8", "--scale", "1e-30"]
    o, rep = run("forward", base, ex)
    r = ref(base, ex)
    print("b err/Vinf %.2e" % (np.max(np.abs(o["o"] - r)) / vinf(base)), "report:", {k: rep[k] for k in rep if "bound" in k.lower() or k in ("degree", "R", "radius")})
elif which == "c":
    worst = []; over = 0
    for seed in range(20):
        g = np.random.default_rng(100 + seed)
        base = {k: g.uniform(-30, 30, (64, 4)).astype(np.float32) for k in ("q", "k1", "k2")}
        base.update({k: g.uniform(-1, 1, (64, 4)).astype(np.float32) for k in ("v1", "v2")})
        ex = ["--method", "auto", "--epsilon", "1e-6"]
        o, rep = run("forward", base, ex)
        r = ref(base, ex)
        e = np.max(np.abs(o["o"].astype(np.float64) - r)) / (1e-6 * vinf(base))
        worst.append(e); over += e > 1
    print("c auto float32: max err / (eps Vinf) = %.3f, seeds over: %d of 20, method %s" % (max(worst), over, rep.get("method")))
elif which == "d":
    base = {"q": rng.uniform(-1, 1, (9, 3)), "k1": rng.uniform(-1, 1, (3, 3)), "k2": rng.uniform(-1, 1, (5, 3)),
            "v1": rng.uniform(-1, 1, (3, 2)), "v2": rng.uniform(-1, 1, (5, 2))}
    o, rep = run("forward", base, ["--method", "poly", "--window", "2,2"])
    print("d rows 4..8:", o["o"][4:].tolist() if o else rep, "NaN:", int(np.isnan(o["o"]).sum()) if o else "-")
elif which == "e":
    base = {"q": np.zeros((0, 5, 3)), "k1": np.zeros((0, 5, 3)), "k2": np.zeros((0, 5, 3)), "v1": np.zeros((0, 5, 2)), "v2": np.zeros((0, 5, 2))}
    o, rep = run("forward", base, ["--method", "poly"])
    print("e", o["o"].shape if o else rep)
