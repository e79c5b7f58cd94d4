"""Model-merge benchmark: crdt-merge vs mergekit on the same configs, CPU.

Generates a Llama-shaped float32 model (8 layers, hidden 768, MLP 2688,
vocab 32000: 75 tensors, ~118M parameters, ~470 MB) as a base and three
fine-tunes (base + noise), then, in one run:
  - a plain memory copy of a tensor-sized buffer set (numpy, one core) for
    this machine's memory bandwidth;
  - `mergekit-yaml` and `crdt-merge model merge --config` on a linear and a
    TIES config (both end to end: process start, reading, merging, writing);
  - every output tensor compared (max |ours - mergekit| / max |mergekit| per tensor);
  - peak RSS of each process (wait4).
Usage: /work/venvs/mergekit/bin/python benches/model_vs_mergekit.py
       [--bin target/release/crdt-merge] [--mergekit /work/venvs/mergekit/bin/mergekit-yaml]
       [--dir DIR] [--small]
(run with mergekit's venv: it needs numpy and safetensors).
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
from safetensors.numpy import load_file, save_file


def shapes(hidden, inter, layers, vocab):
    s = {"model.embed_tokens.weight": (vocab, hidden)}
    for i in range(layers):
        p = f"model.layers.{i}."
        for n in ["q_proj", "k_proj", "v_proj", "o_proj"]:
            s[p + f"self_attn.{n}.weight"] = (hidden, hidden)
        s[p + "mlp.gate_proj.weight"] = (inter, hidden)
        s[p + "mlp.up_proj.weight"] = (inter, hidden)
        s[p + "mlp.down_proj.weight"] = (hidden, inter)
        s[p + "input_layernorm.weight"] = (hidden,)
        s[p + "post_attention_layernorm.weight"] = (hidden,)
    s["model.norm.weight"] = (hidden,)
    s["lm_head.weight"] = (vocab, hidden)
    return s


def write_model(d, sh, seed, base, dims):
    rng = np.random.default_rng(seed)
    os.makedirs(d, exist_ok=True)
    t = {}
    for k, s in sh.items():
        x = rng.standard_normal(s, dtype=np.float32)
        t[k] = (x * np.float32(0.02)) if base is None else (base[k] + x * np.float32(0.002))
    save_file(t, os.path.join(d, "model.safetensors"), metadata={"format": "pt"})
    hidden, inter, layers, vocab = dims
    cfg = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": hidden,
           "intermediate_size": inter, "num_hidden_layers": layers, "num_attention_heads": hidden // 64,
           "num_key_value_heads": hidden // 64, "vocab_size": vocab, "max_position_embeddings": 2048,
           "rms_norm_eps": 1e-5, "torch_dtype": "float32", "tie_word_embeddings": False, "hidden_act": "silu"}
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    return t


def run(cmd, env=None):
    """Run cmd; return (wall seconds, CPU seconds (user + sys), peak RSS in MiB).
    Dirty pages of earlier runs are flushed first so neither tool pays for
    the other's write-back."""
    os.sync()
    # Peak RSS through /usr/bin/time: a child forked from this (large) Python
    # process would count its parent's pages until exec.
    rss_file = tempfile.mktemp(prefix="rss-")
    timed = ["/usr/bin/time", "-f", "%M", "-o", rss_file] + cmd if os.path.exists("/usr/bin/time") else cmd
    t0 = time.perf_counter()
    p = subprocess.Popen(timed, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    dt = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({p.returncode}): {err.decode(errors='replace')[-2000:]}")
    rss = ru.ru_maxrss / 1024
    if os.path.exists(rss_file):
        with open(rss_file) as f:
            rss = int(f.read().split()[-1]) / 1024
        os.unlink(rss_file)
    return dt, ru.ru_utime + ru.ru_stime, rss


def load_dir(d):
    t = {}
    for f in sorted(glob.glob(os.path.join(d, "*.safetensors"))):
        t.update(load_file(f))
    return t


def compare(ours, theirs):
    """Worst relative difference per tensor (max |ours - theirs| / max |theirs|),
    and how many elements differ by more than 1e-5 of the tensor's scale."""
    a, b = load_dir(ours), load_dir(theirs)
    if set(a) != set(b):
        return f"tensor names differ: {sorted(set(a) ^ set(b))[:5]}"
    worst, bad, total = 0.0, 0, 0
    for k in b:
        x, y = a[k].astype(np.float64), b[k].astype(np.float64)
        if x.shape != y.shape:
            return f"{k}: shape {x.shape} vs {y.shape}"
        scale = max(np.abs(y).max(), 1e-30)
        d = np.abs(x - y)
        worst = max(worst, float(d.max() / scale))
        bad += int((d > 1e-5 * scale).sum())
        total += y.size
    verdict = "all within 1e-5" if bad == 0 else f"{bad} of {total} elements beyond 1e-5"
    return f"{len(b)} tensors, worst relative difference {worst:.2e}; {verdict}"


def memcpy_gbps(nbytes):
    src = np.ones(nbytes // 4, dtype=np.float32)
    dst = np.empty_like(src)
    np.copyto(dst, src)  # fault the pages in
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - t0)
    return 2 * nbytes / best / 1e9  # read + write


def main():
    args = sys.argv[1:]
    opt = lambda k, d: args[args.index(k) + 1] if k in args else d
    binary = os.path.abspath(opt("--bin", "target/release/crdt-merge"))
    mergekit = opt("--mergekit", "/work/venvs/mergekit/bin/mergekit-yaml")
    small = "--small" in args
    dims = (128, 448, 4, 1000) if small else (768, 2688, 8, 32000)
    sh = shapes(*dims)
    nparams = sum(int(np.prod(s)) for s in sh.values())
    root = opt("--dir", None) or tempfile.mkdtemp(prefix="model-bench-")
    os.makedirs(root, exist_ok=True)
    print(f"model: {len(sh)} tensors, {nparams / 1e6:.1f}M parameters, {nparams * 4 / 1e6:.0f} MB float32 each; base + 3 fine-tunes in {root}")
    if not os.path.exists(os.path.join(root, "ft2", "model.safetensors")):
        base = write_model(os.path.join(root, "base"), sh, 0, None, dims)
        for i in range(3):
            write_model(os.path.join(root, f"ft{i}"), sh, i + 1, base, dims)
        del base
    m = lambda n: os.path.join(root, n)
    configs = {
        "linear": f"merge_method: linear\nmodels:\n"
                  + "".join(f"  - model: {m(f'ft{i}')}\n    parameters: {{weight: {w}}}\n" for i, w in enumerate([0.5, 0.3, 0.2]))
                  + "dtype: float32\n",
        "ties": f"merge_method: ties\nbase_model: {m('base')}\nmodels:\n"
                + "".join(f"  - model: {m(f'ft{i}')}\n    parameters: {{weight: {w}, density: 0.5}}\n" for i, w in enumerate([1.0, 0.7, 0.5]))
                + "parameters: {normalize: true}\ndtype: float32\n",
    }
    gbps = memcpy_gbps(nparams * 4)
    print(f"memcpy (numpy copyto, one core, {nparams * 4 / 1e6:.0f} MB): {gbps:.2f} GB/s moved (read + write)")
    env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    rows = []
    for name, text in configs.items():
        cfg = os.path.join(root, f"{name}.yaml")
        with open(cfg, "w") as f:
            f.write(text)
        out_mk, out_us = m(f"out-mergekit-{name}"), m(f"out-ours-{name}")
        for d in (out_mk, out_us):
            shutil.rmtree(d, ignore_errors=True)
        # Warm the page cache for both alike (inputs read once beforehand).
        for d in glob.glob(os.path.join(root, "*", "model.safetensors")):
            with open(d, "rb") as f:
                while f.read(1 << 24):
                    pass
        t_mk, cpu_mk, rss_mk = run([mergekit, cfg, out_mk, "--no-copy-tokenizer", "--no-write-model-card"], env)
        t_us, cpu_us, rss_us = run([binary, "model", "merge", "--config", cfg, "-o", out_us], env)
        n_in = 4 if name == "ties" else 3
        moved = (n_in + 1) * nparams * 4  # inputs read + output written
        rows.append((name, t_mk, t_us, cpu_mk, cpu_us, rss_mk, rss_us, moved / t_us / 1e9, moved / cpu_us / 1e9,
                     compare(out_us, out_mk)))
        shutil.rmtree(out_mk, ignore_errors=True)
        shutil.rmtree(out_us, ignore_errors=True)
    print()
    print("| config | mergekit wall | crdt-merge wall | speed-up | mergekit CPU | crdt-merge CPU | CPU ratio | peak RSS mergekit | peak RSS crdt-merge |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, t_mk, t_us, cpu_mk, cpu_us, rss_mk, rss_us, *_ in rows:
        print(f"| {name} | {t_mk:.2f} s | {t_us:.2f} s | {t_mk / t_us:.1f}x | {cpu_mk:.2f} s | {cpu_us:.2f} s | {cpu_mk / cpu_us:.1f}x | {rss_mk:.0f} MiB | {rss_us:.0f} MiB |")
    print()
    print("bytes moved = inputs read + output written; memcpy moved", f"{gbps:.2f} GB/s on one core")
    for name, *r in rows:
        bw, bw_cpu = r[6], r[7]
        print(f"{name}: crdt-merge {bw:.2f} GB/s wall ({bw / gbps:.0%} of memcpy), {bw_cpu:.2f} GB/s per CPU-second ({bw_cpu / gbps:.0%})")
    print()
    for name, *_, cmp in rows:
        print(f"{name}: {cmp}")
    print(f"(output is {nparams * 4 / 2**20:.0f} MiB; cores: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
