"""Every benchmark in one go, each figure beside a baseline measured in the same run; the tables
in docs/benchmarks.md are rewritten with the results (between the `run_all` markers).

    .venv/bin/python bench/run_all.py [--quick] [--only P1,P4] [--no-write]
                                      [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]

P1 ack of `/csp help` against a bare AsyncApp (bench/ack_latency.py); P2 `/csp seats <group>` →
views.open with 10,000 groups cached, and P5 the memory of that bot process after it
(bench/seat_modal.py); P3 typeahead over 100,000 subscriptions on SQLite and PostgreSQL
(bench/typeahead.py); P4 a full sync of 1,000 groups × 20 subscriptions at 20 ms a call, batch
reads against one call per object (bench/full_sync.py); P6 a minute of mixed signed
interactions on SQLite and PostgreSQL, and the worker's provider writes (bench/sustained.py).

The benchmarks run one after the other, each in processes of its own, while this script holds
/tmp/csp-suite.lock (the lock the test suites take), so that they never overlap one another or
a test run. `--quick` runs each for a fraction of the time (the budget: 2 minutes in all
once the cache files exist, 10 without it); the first run also fills the cache files in the
temp directory, which later runs reuse. PostgreSQL: the server of `--database-url` (default
TEST_DATABASE_URL's, else 127.0.0.1:5432 as postgres); the benchmarks use databases of their
own (`bench`, and fresh `csp_bench_…` ones they drop), never the tests' database.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import platform
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- run_all:begin -->", "<!-- run_all:end -->"
LOCK = Path("/tmp/csp-suite.lock")


def default_server_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    return re.sub(r"/[^/]*$", "/postgres", url)


def plan(quick: bool, server_url: str) -> dict[str, list[tuple[str, list[str]]]]:
    """Each benchmark's runs: (name, arguments of its script). P3 runs last: the PostgreSQL
    cache it fills the first time is the slowest step of a first run."""
    bench_db = re.sub(r"/[^/]*$", "/bench", server_url)
    q = quick
    # P3 reads the same 100,000 subscriptions as P2 (10,000 groups × 10): one cache file to fill
    seats_cache = Path(tempfile.gettempdir()) / "csp-bench-seats-10000.db"
    p3 = ["--tenants", "10000", "--per-group", "10", "--queries", "600" if q else "3000"]
    return {
        "P1": [("ack", ["bench/ack_latency.py", "--requests", "600" if q else "2000",
                        "--warmup", "100" if q else "200", "--rounds", "2"])],
        "P2": [("seats", ["bench/seat_modal.py", "--groups", "10000",
                          "--requests", "300" if q else "1000",
                          "--suggestions", "200" if q else "1000"])],
        "P4": [("sync", ["bench/full_sync.py", "--groups", "30" if q else "1000",
                         "--changes", "5" if q else "20"])],
        "P6": [("sqlite", ["bench/sustained.py", "--seconds", "10" if q else "60"]),
               ("postgres", ["bench/sustained.py", "--seconds", "10" if q else "60",
                             "--database-url", server_url])],
        "P3": [("sqlite", ["bench/typeahead.py", *p3, "--db", str(seats_cache)]),
               ("postgres", ["bench/typeahead.py", *p3, "--database-url", bench_db])],
    }


def run(name: str, script_args: list[str], out_dir: Path) -> tuple[dict | None, str]:
    out = out_dir / f"{name}.json"
    started = time.monotonic()
    print(f"== {name}: {' '.join(script_args)}", flush=True)
    proc = subprocess.run([sys.executable, *script_args, "--json", str(out)], cwd=ROOT,
                          capture_output=True, text=True)
    tail = (proc.stdout + proc.stderr)[-3000:]
    print(proc.stdout[-2500:], end="", flush=True)
    took = time.monotonic() - started
    if not out.exists():
        print(f"   {name} failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}", flush=True)
        return None, tail
    result = json.loads(out.read_text())
    result["seconds"] = took
    result["exit"] = proc.returncode
    return result, tail


def machine() -> dict:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    return {"cpus": os.cpu_count(), "model": model, "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "system": f"{platform.system()} {platform.release()}",
            "commit": commit + (" + uncommitted changes" if dirty else "")}


# --- the tables -------------------------------------------------------------------------------


def f(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("yes" if ok else "**no**")


def rows(results: dict[str, dict | None]) -> list[list[str]]:
    """| id | what | figure | baseline (same run) | ratio | goal | met |"""
    out: list[list[str]] = []
    p1 = results.get("P1 ack")
    if p1:
        for q in ("p50", "p99"):
            ratio = p1[f"ratio_{q}"]
            app, bare = p1["app"][f"{q}_ms"], p1["bare"][f"{q}_ms"]
            out.append(["P1", f"`/csp help` ack {q}, 50 in flight", f"{f(app)} ms",
                        f"bare AsyncApp {f(bare)} ms", f(ratio, 2), "≤ 0.9", verdict(ratio <= 0.9)])
        out.append(["P1", "CPU per request", f"{f(p1['app']['cpu_ms'], 2)} ms",
                    f"bare {f(p1['bare']['cpu_ms'], 2)} ms",
                    f(p1['app']['cpu_ms'] / p1['bare']['cpu_ms'], 2), "", ""])
    p2 = results.get("P2 seats")
    if p2:
        vo, ba = p2["views_open"], p2["bare_ack"]
        out.append(["P2", f"`/csp seats <group>` → views.open p99, 50 in flight, "
                    f"{p2['groups']:,} groups cached", f"{f(vo['p99_ms'])} ms",
                    f"bare AsyncApp ack p99 {f(ba['p99_ms'])} ms", f(p2["ratio_p99"], 2),
                    "≤ 3", verdict(p2["ratio_p99"] <= 3)])
        out.append(["P2", "views.open p50", f"{f(vo['p50_ms'])} ms",
                    f"bare ack p50 {f(ba['p50_ms'])} ms", f(vo["p50_ms"] / ba["p50_ms"], 2),
                    "", ""])
        cpu = p2["cpu_ms"]
        out.append(["P2", "CPU per request", f"{f(cpu['bot'], 2)} ms",
                    f"bare ack {f(cpu['bare'], 2)} ms", f(cpu["bot"] / cpu["bare"], 1), "", ""])
    for db in ("sqlite", "postgres"):
        p3 = results.get(f"P3 {db}")
        if p3:
            sub, base = p3["subscriptions"], p3.get("empty read session")
            label = "SQLite" if db == "sqlite" else "PostgreSQL"
            out.append(["P3", f"typeahead p99, {p3['subscriptions_total']:,} subscriptions, "
                        f"{label}", f"{f(sub['p99_ms'], 2)} ms",
                        f"empty read session p99 {f(base['p99_ms'], 2)} ms" if base else "",
                        f(sub["p99_ms"] / base["p99_ms"], 1) if base else "", "≤ 10 ms",
                        verdict(sub["p99_ms"] <= 10)])
    p4 = results.get("P4 sync")
    if p4:
        b = p4["batch"]["full"]
        what = (f"full sync, {p4['groups']:,} groups × {p4['subscriptions_per_group']}, "
                f"{p4['latency_s'] * 1000:.0f} ms a call, {p4['concurrency']} in flight")
        out.append(["P4", what + ", batch reads", f"{f(b['wall_s'])} s, {b['calls']:,} calls "
                    f"(bot CPU {f(b.get('bot_cpu_s'))} s)",
                    f"calls × latency ÷ concurrency {f(b['ideal_s'])} s", f(b["ratio"], 2),
                    "≤ 1.2", verdict(b["ratio"] <= 1.2)])
        n = p4.get("naive", {}).get("full")
        if n:
            out.append(["P4", "the same, one call per object", f"{f(n['wall_s'])} s, "
                        f"{n['calls']:,} calls", f"batch reads {f(b['wall_s'])} s, "
                        f"{b['calls']:,} calls", f(n["wall_s"] / b["wall_s"], 2), "", ""])
        inc = p4["batch"].get("incremental")
        if inc:
            out.append(["P4", f"incremental sync after {inc['changed_groups']} groups changed",
                        f"{f(inc['wall_s'])} s, {inc['calls']:,} calls",
                        f"full sync {b['calls']:,} calls", f(inc["calls"] / b["calls"], 3),
                        "fewer calls", verdict(inc["calls"] < b["calls"])])
        again = p4["batch"].get("repeat")
        if again:
            out.append(["P4", "the next full sync (cache filled, usage not due), batch reads",
                        f"{f(again['wall_s'])} s, {again['calls']:,} calls (bot CPU "
                        f"{f(again.get('bot_cpu_s'))} s)",
                        f"calls × latency ÷ concurrency {f(again['ideal_s'])} s; first full "
                        f"sync {b['calls']:,} calls", f(again["ratio"], 2), "≤ 1.2",
                        verdict(again["ratio"] <= 1.2)])
    if p2:
        m = p2["memory_mb"]
        rss = m["bot_end"]["VmRSS"]
        out.append(["P5", f"RSS of the bot after P2 and {p2['typeahead']['n']} typeaheads, "
                    f"{p2['subscriptions']:,} subscriptions cached",
                    f"{f(rss, 0)} MB (peak {f(m['bot_end']['VmHWM'], 0)})",
                    f"bare AsyncApp {f(m['bare']['VmRSS'], 0)} MB; bot at start "
                    f"{f(m['bot_start']['VmRSS'], 0)} MB", f(rss / m["bare"]["VmRSS"], 2),
                    "≤ 150 MB", verdict(rss <= 150)])
    bare_rate = p1["bare"]["per_second"] if p1 else None
    for db in ("sqlite", "postgres"):
        p6 = results.get(f"P6 {db}")
        if p6:
            label = "SQLite" if db == "sqlite" else "PostgreSQL"
            ok = p6["per_second"] >= 1000 and p6["error_count"] == 0
            out.append(["P6", f"mixed signed interactions, {label}, {p6['wall_s']:.0f} s, "
                        f"{p6['concurrency']} loops", f"{f(p6['per_second'], 0)}/s, "
                        f"{p6['error_count']} errors",
                        f"bare AsyncApp acks (P1) {f(bare_rate, 0)}/s" if bare_rate else "",
                        f(p6["per_second"] / bare_rate, 2) if bare_rate else "",
                        "≥ 1,000/s, 0 errors", verdict(ok)])
            if "bot_cpu_s" in p6:
                out.append(["P6", f"the bot's CPU, {label}", f"{f(p6['bot_cpu_ms_per_request'], 2)}"
                            f" ms an interaction ({f(p6['bot_cpu_s'])} s in "
                            f"{p6['wall_s']:.0f} s)", "", "", "", ""])
            out.append(["P6", f"worker, {label}: confirmed requests sent to the sandbox",
                        f"{f(p6['writes_per_second'], 1)}/s ({p6['provider_writes']} in all)",
                        f"{p6['confirmed']} confirmed", "", "", ""])
    return out


def markdown(results: dict[str, dict | None], info: dict, command: str, failed: list[str]) -> str:
    lines = [
        BEGIN,
        f"Last run: {info['date']}, commit {info['commit']}, `{command}` "
        f"({info['seconds']:.0f} s in all).",
        "",
        f"Machine: {info['cpus']} CPUs ({info['model'] or 'unknown model'}), {info['system']}, "
        f"Python {info['python']}, SQLite {info['sqlite']}; load average "
        f"{info['load_start']} at the start, {info['load_end']} at the end (other jobs on the "
        "machine add to it).",
        "",
        "| | What | Figure | Baseline (same run) | Ratio | Goal | Met |",
        "|---|---|---|---|---|---|---|",
        *("| " + " | ".join(r) + " |" for r in rows(results)),
    ]
    if failed:
        lines += ["", "Did not finish: " + ", ".join(failed) + "."]
    lines.append(END)
    return "\n".join(lines)


def write_doc(block: str) -> None:
    text = DOC.read_text()
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip() + "\n\n## The last run of bench/run_all.py\n\n" + block + "\n"
    DOC.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short pass (about 2 minutes)")
    parser.add_argument("--only", help="comma-separated ids, e.g. P1,P3")
    parser.add_argument("--no-write", action="store_true", help="leave docs/benchmarks.md alone")
    parser.add_argument("--no-lock", action="store_true", help=f"do not wait for {LOCK}")
    parser.add_argument("--database-url", default=default_server_url(),
                        help="a PostgreSQL server where benchmark databases may be created")
    args = parser.parse_args(argv)
    wanted = set(args.only.upper().split(",")) if args.only else None
    if wanted and "P5" in wanted:
        wanted.add("P2")  # P5 is measured in P2's bot process
    command = "python bench/run_all.py" + (" --quick" if args.quick else "") + (
        f" --only {args.only}" if args.only else "") + (" --no-lock" if args.no_lock else "")
    lock = None
    if not args.no_lock:
        lock = open(LOCK, "a")  # held until the end
        print(f"waiting for {LOCK} (test suites hold it) …", flush=True)
        fcntl.flock(lock, fcntl.LOCK_EX)
    started = time.monotonic()
    info = machine() | {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                        "load_start": ", ".join(f"{x:.1f}" for x in os.getloadavg())}
    results: dict[str, dict | None] = {}
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="csp-run-all-") as directory:
        for pid, runs in plan(args.quick, args.database_url).items():
            if wanted and pid not in wanted:
                continue
            for name, script_args in runs:
                key = f"{pid} {name}"
                results[key], _ = run(key.replace(" ", "-"), script_args, Path(directory))
                if results[key] is None:
                    failed.append(key)
    info["seconds"] = time.monotonic() - started
    info["load_end"] = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    block = markdown(results, info, command, failed)
    print(block)
    if not args.no_write:
        write_doc(block)
        print(f"wrote {DOC.relative_to(ROOT)}")
    if lock is not None:
        lock.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
