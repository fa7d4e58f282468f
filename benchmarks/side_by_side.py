"""Run two implementations of the same work in separate processes, alternated, and compare.

    results = alternate({"minicnn": (argv_a, env_a), "PyTorch": (argv_b, env_b)}, rounds=3)

Each worker is a fresh Python process with its own environment (its own threads, allocator and
caches; neither side imports the other's library, and the PyTorch side gets none of minicnn's
thread settings) that prints one JSON line last: {"first": ms, "step": [ms, ...],
"forward": [ms, ...], "peak_rss_mib": MiB, ...}, and may add "start": ms, what a side does once
per process to get ready before its first step, and "peak_device_mib": MiB, the most GPU memory
its allocator held. Running them A B A B ... spreads slow spells
of a shared machine over both sides. What is reported is the median of all steady steps of a
side (warm-up excluded), the median of its first steps (one per process) and its largest peak RSS.
"""
import json
import os
import resource
import statistics
import subprocess
import sys
import time


CLEAN_ENV = dict(os.environ)   # as the user started the benchmark: before minicnn sets anything in it


def peak_rss_mib():
    """This process's peak resident memory so far, MiB: VmHWM, which starts afresh with the worker's
    program (getrusage's ru_maxrss would carry over the parent's peak across fork and exec)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed_steps(step, n, sync=lambda: None):
    """Run step() n times; return the list of milliseconds each took."""
    times = []
    for _ in range(n):
        t = time.perf_counter()
        step()
        sync()
        times.append(1e3 * (time.perf_counter() - t))
    return times


def report(**values):
    """The worker's last line: what the parent reads."""
    print(json.dumps(dict(values, peak_rss_mib=peak_rss_mib())), flush=True)


def run_worker(argv, env):
    r = subprocess.run([sys.executable] + argv, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise SystemExit(f"worker {' '.join(argv)} failed:\n{r.stderr.strip()}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def alternate(workers, rounds):
    """{name: (argv, env)} -> {name: [result of each round]}, the workers run in turn, rounds times."""
    results = {name: [] for name in workers}
    for r in range(rounds):
        for name, (argv, env) in workers.items():
            results[name].append(run_worker(argv + ["--round", str(r)], env))
            print(f"  round {r + 1}/{rounds}: {name} done", file=sys.stderr, flush=True)
    return results


def summarize(runs):
    """One side's rounds -> {"step", "forward", "first", "peak_rss_mib"} (medians over all steps and rounds)."""
    out = {"first": statistics.median(r["first"] for r in runs), "peak_rss_mib": max(r["peak_rss_mib"] for r in runs),
           "start": statistics.median(r["start"] for r in runs) if "start" in runs[0] else None,
           "peak_device_mib": max(r["peak_device_mib"] for r in runs) if "peak_device_mib" in runs[0] else None}
    for key in ("step", "forward"):
        values = [t for r in runs for t in r.get(key, [])]
        out[key] = statistics.median(values) if values else None
        out[key + "_spread"] = (min(values), max(values)) if values else None
    return out


def table(summaries, reference):
    """Lines comparing each side with ``reference``: medians, ranges, ratios, first step, peak RSS
    (and peak GPU memory where the sides ran there)."""
    ref = summaries[reference]
    gpu = all(s["peak_device_mib"] is not None for s in summaries.values())
    lines = [f"  {'':10s}{'step (ms)':>24s}{'forward (ms)':>24s}{'start':>10s}{'first step':>12s}{'peak RSS':>12s}"
             + (f"{'peak GPU':>12s}" if gpu else "")]
    for name, s in summaries.items():
        cells = []
        for key in ("step", "forward"):
            if s[key] is None:
                cells.append(f"{'-':>24s}")
                continue
            lo, hi = s[key + "_spread"]
            cells.append(f"{s[key]:8.1f} [{lo:6.1f}-{hi:6.1f}]".rjust(24))
        start = f"{s['start']:7.0f} ms" if s["start"] is not None else f"{'-':>10s}"
        lines.append(f"  {name:10s}" + "".join(cells) + start + f"{s['first']:9.0f} ms{s['peak_rss_mib']:8.0f} MiB"
                     + (f"{s['peak_device_mib']:8.0f} MiB" if gpu else ""))
    for name, s in summaries.items():
        if name == reference:
            continue
        ratios = [f"{key} {s[key] / ref[key]:.2f}x" for key in ("step", "forward") if s[key] and ref[key]]
        lines.append(f"  {name} / {reference}: " + ", ".join(ratios) +
                     f", peak RSS {s['peak_rss_mib'] / ref['peak_rss_mib']:.2f}x"
                     + (f", peak GPU memory {s['peak_device_mib'] / ref['peak_device_mib']:.2f}x" if gpu else "") + "; "
                     f"{name}'s first step = {s['first'] / s['step']:.2f}x its steady step")
    return lines


def minicnn_env():
    """The environment minicnn's own import would make (its thread settings), for its worker, which
    imports NumPy before minicnn."""
    from minicnn.fast import threads
    return {**threads.SETTINGS, **CLEAN_ENV}
