"""demo/fragment_fusion.py on a tiny grid, with its remote mode (nginx and moto's S3
on 127.0.0.1): every way of gathering, local and remote, must agree (the demo
exits 1 otherwise)."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "demo"))

import fragment_fusion  # noqa: E402


def test_demo_remote_mode_agrees(tmp_path, capsys):
    argv = ["--out", str(tmp_path), "--grid", "2", "--spanning", "60", "--local", "10", "--labels", "20"]
    argv += ["--repeat", "1", "--workers", "1", "--codecs", "br,none", "--remote"]
    assert fragment_fusion.main(argv) == 0
    out = capsys.readouterr().out
    assert "all agree with the local gathers" in out
    assert out.count("| segpack.gather | HTTP |") == 1 and out.count("| segpack.gather | S3 |") == 1
