"""A progress bar for the command-line tools, on stderr: redrawn in place on a terminal, a line per tenth elsewhere.

    with Progress("samples", total=1_000_000) as progress:
        for batch in batches:
            ...
            progress.advance(len(batch))

On a terminal the bar is redrawn at most ten times a second; in a log (stderr not a tty) it
writes one line at each tenth of the total, so CI logs and `2> file` stay short.
"""

import sys
import time

_WIDTH = 30
_REDRAW_S = 0.1


class Progress:
    """Counts done of `total` and shows it on `stream` (stderr by default)."""

    def __init__(self, label, total, stream=None):
        self.label = label
        self.total = max(total, 1)
        self.done = 0
        self._stream = stream or sys.stderr
        self._tty = self._stream.isatty()
        self._started = time.monotonic()
        self._drawn_at = 0.0
        self._tenths_shown = 0

    def advance(self, count):
        """Count `count` more done and show it when due."""
        self.done += count
        now = time.monotonic()
        tenths = min(10, self.done * 10 // self.total)
        if self._tty and now - self._drawn_at >= _REDRAW_S:
            self._drawn_at = now
            self._stream.write("\r" + self._line(now))
            self._stream.flush()
        elif not self._tty and tenths > self._tenths_shown:
            self._tenths_shown = tenths
            self._stream.write(self._line(now) + "\n")

    def _line(self, now):
        """`label [#####.....] 45% 450,000/1,000,000 12,345/s ETA 40 s`."""
        share = min(self.done / self.total, 1.0)
        filled = round(share * _WIDTH)
        rate = self.done / max(now - self._started, 1e-9)
        remaining = (self.total - self.done) / rate if rate and self.done < self.total else 0
        return (f"{self.label} [{'#' * filled}{'.' * (_WIDTH - filled)}] {share:4.0%} {self.done:,}/{self.total:,} "
                f"{rate:,.0f}/s ETA {remaining:,.0f} s")

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if self._tty:
            self._stream.write("\r" + self._line(time.monotonic()) + "\n")
            self._stream.flush()
