"""Where a portal build spends its time: wall seconds per signal receiver and per generator.

``python -m bench.stages CONTENT OUTPUT [--cache DIR]`` runs one ``publishconf.py`` build in this
process and prints, slowest first, the time spent in each plugin's signal receivers and in each
Pelican generator's ``generate_context``/``generate_output``. Work done in worker processes is
counted in the receiver that waited for it. A diagnostic for ``bench/RESULTS.md``, not a benchmark.
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


def instrument(totals: dict[str, float]) -> None:
    """Wrap blinker's dispatch and Pelican's generators so each records its wall time."""
    import blinker
    from pelican import generators

    def wrap(cls: type, name: str) -> None:
        for method in ("generate_context", "generate_output"):
            original = cls.__dict__.get(method)
            if original is None:
                continue

            def timed(self, *args, __original=original, __key=f"{name}.{method}", **kwargs):
                started = time.perf_counter()
                try:
                    return __original(self, *args, **kwargs)
                finally:
                    totals[__key] += time.perf_counter() - started

            setattr(cls, method, timed)

    def send(self, *args, **kwargs):
        results = []
        sender = args[0] if args else None
        for receiver in self.receivers_for(sender):
            started = time.perf_counter()
            value = receiver(sender, **kwargs)
            totals[f"signal {self.name}: {_label(receiver)}"] += time.perf_counter() - started
            if self.name == "get_generators":  # the plugins' own generators
                for cls in value if isinstance(value, (list, tuple)) else [value]:
                    if isinstance(cls, type):
                        wrap(cls, cls.__qualname__)
            results.append((receiver, value))
        return results

    blinker.base.Signal.send = send
    for name in dir(generators):
        cls = getattr(generators, name)
        if isinstance(cls, type) and issubclass(cls, generators.Generator):
            wrap(cls, name)


def main(argv: list[str] | None = None) -> int:
    """Build once with timing on and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("content", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    totals: dict[str, float] = defaultdict(float)
    instrument(totals)
    from pelican import main as pelican_main

    command = [str(args.content), "-s", str(ROOT / "publishconf.py"), "-o", str(args.output), "-q"]
    if args.cache:
        command += ["-e", f"CACHE_PATH={json.dumps(str(args.cache))}"]
    started = time.perf_counter()
    try:
        pelican_main(command)
    except SystemExit as exit_:
        if exit_.code:
            print(f"build failed ({exit_.code})", file=sys.stderr)
    total = time.perf_counter() - started
    print(f"{'seconds':>8}  stage (total {total:.2f} s)")
    for key, seconds in sorted(totals.items(), key=lambda item: -item[1])[: args.top]:
        print(f"{seconds:8.2f}  {key}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
