"""Progress for every long loop (ascents, occlusion, SmoothGrad, GrabCut, t-SNE, training,
downloads), where it can be seen:

    on a terminal          tqdm's bar, redrawn in place
    in a notebook          tqdm's notebook widget (tqdm.auto; plain text without ipywidgets)
    in a log               stderr is a file or a pipe: a plain line every log_every() seconds,
                           "occlusion: 35/120 (29 %), 10 s, about 24 s left", and one at the end

    for step in progress_bar(range(n), "occlusion", progress):   # progress: None, True or False
        ...
"""
import math
import os
import sys
import time

from tqdm import tqdm

from . import interrupt
from .errors import ArgumentError


def log_every():
    """Seconds between two lines in a log: $MINICNN_LOG_EVERY, default 10 (a loop that ends
    sooner writes none)."""
    text = os.environ.get("MINICNN_LOG_EVERY", "").strip() or "10"
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < math.inf:
        raise ArgumentError(f"MINICNN_LOG_EVERY must be a number of seconds >= 0, got {text!r}")
    return seconds


def progress_bar(iterable=None, desc="", progress=None, total=None, **tqdm_options):
    """Report progress through iterable (or, without one, through update(n) calls up to total).

    progress: False shows nothing; None or True show it where stderr goes (above). Returns an
    iterable with tqdm's update(n), set_postfix(**values) and close().
    """
    if progress is False:
        return tqdm(iterable, total=total, disable=True)
    if in_notebook():
        from tqdm.auto import tqdm as notebook_tqdm
        return notebook_tqdm(iterable, desc=desc, total=total, leave=False, **tqdm_options)
    if sys.stderr is not None and sys.stderr.isatty():
        return Bar(iterable, desc=desc, total=total, leave=False, **tqdm_options)
    return LogLines(iterable, desc, total, **tqdm_options)


def in_notebook():
    """Whether this runs in a Jupyter kernel (where stderr is not a terminal but shows a widget)."""
    ipython = sys.modules.get("IPython")
    try:
        return ipython is not None and "IPKernelApp" in ipython.get_ipython().config
    except AttributeError:                      # IPython imported, but no shell running
        return False


class Bar(tqdm):
    """tqdm's bar, whose every step raises a Ctrl-C that a library swallowed (interrupt.py)."""

    def __iter__(self):
        for item in super().__iter__():
            interrupt.check()
            yield item

    def update(self, n=1):
        interrupt.check()
        return super().update(n)


class LogLines:
    """tqdm's interface, written as a plain line to stderr every log_every() seconds."""

    def __init__(self, iterable, desc, total=None, initial=0, unit="it", unit_scale=False, **_):
        self.iterable, self.desc, self.n, self.initial = iterable, desc, initial, initial
        self.unit, self.bytes = unit, unit_scale
        self.total = total if total is not None else (len(iterable) if hasattr(iterable, "__len__") else None)
        self.start = self.last = time.monotonic()
        self.every = log_every()
        self.postfix, self.shown = "", False

    def __iter__(self):
        try:
            for item in self.iterable:
                interrupt.check()
                yield item
                self.update(1)
        finally:                                 # also when the loop stops early (a target reached)
            self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def update(self, n=1):
        interrupt.check()
        self.n += n
        if time.monotonic() - self.last >= self.every:
            self.shown = True                    # the log hears of this loop: now, and at its end
            if not (self.total and self.n >= self.total):
                self._write()                    # (the end is close()'s line)

    def set_postfix(self, **values):
        self.postfix = ", " + ", ".join(f"{k} {v}" for k, v in values.items())

    def close(self):
        """A last line, if any was written: where the count ended and the time it took, with
        ", done" when it reached its total."""
        if self.shown:
            self._write(final=True)
            self.shown = False

    def _write(self, final=False):
        now = time.monotonic()
        elapsed, self.last = now - self.start, now
        count = _amount(self.n, self.bytes, self.unit)
        if self.total:
            count += f"/{_amount(self.total, self.bytes, self.unit)}"
        count += f" {self.unit}" if self.unit != "it" and not self.bytes else ""
        if self.total:
            count += f" ({100 * self.n / self.total:.0f} %)"
        line = f"{self.desc}: {count}, {_duration(elapsed)}"
        if not final and self.total and self.initial < self.n < self.total:
            line += f", about {_duration(elapsed * (self.total - self.n) / (self.n - self.initial))} left"
        if final and (not self.total or self.n >= self.total):
            line += ", done"
        print(line + self.postfix, file=sys.stderr, flush=True)


def _amount(n, scaled, unit):
    """1,234 as it is, or scaled with its unit: 1.2 kB, 3.4 MB."""
    if not scaled:
        return f"{n:,}"
    scale = min(int(math.log(max(n, 1), 1000)), 4)
    return f"{n / 1000 ** scale:.1f} {['', 'k', 'M', 'G', 'T'][scale]}{unit}"


def _duration(seconds):
    return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s" if seconds < 100 else f"{seconds / 60:.0f} min"
