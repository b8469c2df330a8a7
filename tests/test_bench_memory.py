"""bench.memory's sampling of a process tree (the tool behind the cold build's memory notes)."""

import os
import subprocess
import sys

from bench import memory
from bench.run import process_tree


def test_a_process_tree_is_sampled_with_each_process_memory_and_command():
    holder = "x = bytearray(64 * 2**20); import sys; sys.stdin.read()"  # 64 MB written, then waits
    child = subprocess.Popen([sys.executable, "-c", holder], stdin=subprocess.PIPE)
    try:
        for _ in range(200):  # until the child holds its bytes
            found = memory.process_memory(child.pid)
            if found and found["private"] >= 60:
                break
            subprocess.run([sys.executable, "-c", "import time; time.sleep(0.02)"], check=True)
        assert child.pid in process_tree(os.getpid())
        assert process_tree(child.pid) == [child.pid]
        assert found["pss"] >= 60 and found["private"] >= 60 and found["cpu"] >= 0
        assert memory.command_of(child.pid).startswith(sys.executable)
    finally:
        child.stdin.close()
        child.wait()
    assert memory.process_memory(child.pid) is None  # gone


def test_the_report_names_the_largest_moment_and_its_processes(capsys):
    samples = [
        {"t": t, "processes": [{"pid": 1, "command": "portal.build", "pss": pss, "private": 10.0, "cpu": t}]}
        for t, pss in ((0.0, 50.0), (5.0, 400.0), (10.0, 120.0))
    ]
    cards = {"pid": 2, "command": "portal.cards", "pss": 16.0, "private": 12.0, "cpu": 1.0}
    samples[1]["processes"].append(cards)
    memory.report(samples)
    lines = capsys.readouterr().out.splitlines()
    assert lines[:4] == [
        "largest PSS totals (MB; each process as PSS/private):",
        "  416 MB at     5.0 s  portal.build 400/10 | portal.cards 16/12",
        "  120 MB at    10.0 s  portal.build 120/10",
        "  50 MB at     0.0 s  portal.build 50/10",
    ]
    assert [line.split()[2] for line in lines[5:]] == ["0.0", "5.0", "10.0"]  # one line every 5 s
