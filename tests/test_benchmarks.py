"""The benchmark harness on tiny sizes: it runs, the engines agree, the tables have their rows.

No timing is asserted (timings depend on the machine and its load); this checks the harness.
"""

import json

import pytest

from benchmarks import engines, runner

TINY = ["--quick", "--repeats", "1", "--points", "6", "--chain", "100,2000", "--wide", "300",
        "--bytes-nodes", "2000", "--hessian-points", "4", "--hessian-k", "3"]


def run(capsys, tmp_path, *extra):
    out_json = tmp_path / "rows.json"
    code = runner.main([*TINY, *extra, "--json", str(out_json)])
    table = capsys.readouterr().out
    return code, table, json.loads(out_json.read_text())["rows"]


def rows_of(rows, bench):
    return {r["engine"]: r for r in rows if r["bench"] == bench}


def test_all_benchmarks_run_and_the_engines_agree(capsys, tmp_path):
    code, table, rows = run(capsys, tmp_path)
    assert code == 0, table
    demo = rows_of(rows, "demo")
    assert {"dagrad", "dagrad (gc off)"} <= demo.keys()
    for r in demo.values():
        assert r["ok"] and r["max_dev"] <= 1e-12, r["engine"]
        assert len(r["losses"]) == len(demo["dagrad"]["losses"]) == 2  # warm-up + 1 run
    if "numpy by hand" in demo:  # sub-5-ms steps are also timed warm, in blocks
        assert demo["numpy by hand"]["warm_seconds"] > 0
        assert demo["dagrad compiled (grouped)"]["warm_seconds"] > 0
        assert "warm ms/step" in table
    chain = [r for r in rows if r["bench"] == "chain" and r["engine"] == "dagrad"]
    assert [r["nodes"] for r in chain] == [100, 2000] and all(r["ok"] for r in chain)
    assert rows_of(rows, "wide")["dagrad"]["ok"]
    assert 100 < rows_of(rows, "bytes")["dagrad"]["bytes_per_node"] < 300
    assert rows_of(rows, "hessian")["dagrad"]["ok"]
    for heading in ("demo step", "Deep chain", "Wide sum", "bytes per node", "Hessian",
                    "Targets"):
        assert heading in table
    assert "| dagrad | " in table


@pytest.mark.skipif(engines.optional("micrograd") is None or engines.optional("torch") is None,
                    reason="micrograd and torch (the 'bench' extra) not installed")
def test_reference_engines_have_their_rows(capsys, tmp_path):
    code, table, rows = run(capsys, tmp_path, "--only", "demo,chain,hessian")
    assert code == 0, table
    demo = rows_of(rows, "demo")
    for name in ("micrograd (gc on)", "micrograd (gc off)", "torch 0-d", "torch batched"):
        assert demo[name]["ok"], name  # same losses as dagrad at every step
        assert f"| {name}" in table
    deep = [r for r in rows if r["bench"] == "chain" and r["engine"] == "micrograd"]
    assert deep[-1]["nodes"] == 2000 and not deep[-1]["ok"]  # micrograd recurses: a result
    assert "RecursionError" in table
    hess = rows_of(rows, "hessian")
    assert hess["torch 0-d (double backward)"]["max_dev"] < 1e-10
    assert hess["torch batched (functional.hessian)"]["max_dev"] < 1e-10


def test_without_micrograd_or_torch_dagrad_alone(capsys, tmp_path, monkeypatch):
    real = engines.optional
    monkeypatch.setattr(engines, "optional",
                        lambda name: None if name in ("micrograd", "torch") else real(name))
    code, table, rows = run(capsys, tmp_path)
    assert code == 0, table
    assert {r["engine"] for r in rows} <= {"dagrad", "dagrad (gc off)", "dagrad compiled (floats)",
                                           "dagrad compiled (batched)",
                                           "dagrad compiled (grouped)", "numpy by hand"}
    assert "no reference engines installed" in table


def test_isolate_runs_each_engine_in_a_subprocess(capsys, tmp_path):
    code, table, rows = run(capsys, tmp_path, "--only", "demo,bytes", "--isolate")
    assert code == 0, table
    assert "one subprocess per engine" in table
    assert rows_of(rows, "demo")["dagrad"]["ok"]
