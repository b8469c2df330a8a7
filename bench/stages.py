"""Where a portal build spends its time: wall seconds per signal receiver and per generator.

``python -m bench.stages CONTENT OUTPUT [--cache DIR]`` runs one ``publishconf.py`` build in this
process and prints, slowest first, the time spent in each plugin's signal receivers and in each
Pelican generator's ``generate_context``/``generate_output``: wall and CPU seconds (CPU of this
process only: work done in worker processes shows as wall time of the receiver that waited for
it). A diagnostic for ``bench/RESULTS.md``, not a benchmark.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _label(receiver) -> str:
    module = getattr(receiver, "__module__", "?") or "?"
    return f"{module.removeprefix('plugins.')}.{getattr(receiver, '__qualname__', repr(receiver))}"


class Timer:
    """Wall and CPU seconds per stage of one build."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)

    def call(self, key: str, function, *args, **kwargs):
        """Call ``function`` and add its time to ``key``."""
        started, cpu = time.perf_counter(), time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            self.wall[key] += time.perf_counter() - started
            self.cpu[key] += time.process_time() - cpu

    def wrap(self, cls: type, name: str) -> None:
        """Time a generator class's ``generate_context`` and ``generate_output``."""
        for method in ("generate_context", "generate_output"):
            original = cls.__dict__.get(method)
            if original is not None:
                key = f"{name}.{method}"

                def timed(gen, *a, __original=original, __key=key, **k):
                    return self.call(__key, __original, gen, *a, **k)

                setattr(cls, method, timed)

    def instrument(self) -> None:
        """Wrap blinker's dispatch and Pelican's generators (and the plugins' own, when added)."""
        import blinker
        from pelican import generators

        timer = self

        def send(signal, *args, **kwargs):
            results = []
            sender = args[0] if args else None
            for receiver in signal.receivers_for(sender):
                value = timer.call(f"signal {signal.name}: {_label(receiver)}", receiver, sender, **kwargs)
                if signal.name == "get_generators":
                    for cls in value if isinstance(value, list | tuple) else [value]:
                        if isinstance(cls, type):
                            timer.wrap(cls, cls.__qualname__)
                results.append((receiver, value))
            return results

        blinker.base.Signal.send = send
        for name in dir(generators):
            cls = getattr(generators, name)
            if isinstance(cls, type) and issubclass(cls, generators.Generator):
                self.wrap(cls, name)


def main(argv: list[str] | None = None) -> int:
    """Build once with timing on and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("content", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--settings", default="publishconf.py", help="pelicanconf.py for a preview build")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    timer = Timer()
    timer.instrument()
    from pelican import main as pelican_main

    command = [str(args.content), "-s", str(ROOT / args.settings), "-o", str(args.output), "-q"]
    if args.cache:
        command += ["-e", f"CACHE_PATH={json.dumps(str(args.cache))}"]
    started = time.perf_counter()
    try:
        pelican_main(command)
    except SystemExit as exit_:
        if exit_.code:
            print(f"build failed ({exit_.code})", file=sys.stderr)
    total = time.perf_counter() - started
    print(f"{'wall s':>8}  {'CPU s':>6}  stage (total {total:.2f} s wall, {time.process_time():.2f} s CPU)")
    for key, seconds in sorted(timer.wall.items(), key=lambda item: -item[1])[: args.top]:
        print(f"{seconds:8.2f}  {timer.cpu[key]:6.2f}  {key}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
