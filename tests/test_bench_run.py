"""bench.run's measuring: timed runs unobserved, peak memory from the observed ones."""

import sys

from bench import run
from bench.run import Sample


def test_an_unobserved_run_has_its_times_and_no_memory(tmp_path):
    log = tmp_path / "log"
    quick = run.measure([sys.executable, "-c", "sum(range(10**6))"], tmp_path, log, observed=False)
    assert quick.ok and not quick.observed and quick.peak_mb == 0.0
    assert quick.wall > 0 and quick.cpu > 0
    failed = run.measure([sys.executable, "-c", "raise SystemExit(3)"], tmp_path, log, observed=False)
    assert not failed.ok
    sampled = run.measure(
        [sys.executable, "-c", "x = bytearray(2**26); import time; time.sleep(0.3)"], tmp_path, log
    )
    assert sampled.ok and sampled.observed and sampled.peak_mb >= 60


def test_times_come_from_the_timed_runs_and_memory_from_the_observed_ones():
    def runs(wall, peak, observed):
        return {
            step: {
                "stock": Sample(10.0, 9.0, 100.0 if observed else 0.0, True, observed),
                "portal": Sample(wall, wall, peak, True, observed),
            }
            for step in run.STEPS
        }

    table = run.summarise([runs(1.0, 0.0, False), runs(3.0, 0.0, False), runs(50.0, 150.0, True)])
    edit = table["edit"]
    assert edit["portal"]["wall"] == 2.0 and edit["portal"]["cpu"] == 2.0  # the sampled 50 s left out
    assert edit["portal"]["peak_mb"] == 150.0 and edit["stock"]["peak_mb"] == 100.0
    assert edit["ratio"]["wall"] == 0.2 and edit["ratio"]["peak_mb"] == 1.5
    assert len(edit["portal"]["samples"]) == 3

    alone = run.summarise([runs(4.0, 120.0, True)])  # sampled runs only (the former way): both from them
    assert alone["cold"]["portal"]["wall"] == 4.0 and alone["cold"]["ratio"]["peak_mb"] == 1.2
    untimed = run.summarise([runs(4.0, 0.0, False)])  # no memory measured
    assert untimed["cold"]["ratio"]["peak_mb"] is None
    assert "| – |" in run._row("cold", untimed["cold"])
