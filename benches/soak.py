#!/usr/bin/env python3
"""Soak benchmark of `blotter serve` memory (issue 14, finding 5).

Starts the release `blotter serve` on a fresh SQLite ledger, opens 300 event
streams that never read (a small receive buffer each), submits 40 POV orders
across four symbols, and samples the server's resident memory (VmRSS, and the
kernel's peak VmHWM) once a second until the engine has published
`--events` events (default 10 million) or `--max-seconds` pass. Prints one
line per sample and a summary; the figures go to BENCHMARKS.md.

    cargo build --release && python3 benches/soak.py [--events N] [--speed X]
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "blotter")
SYMBOLS = ["AAPL", "MSFT", "SPY", "JPM"]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http(port, method, path, token, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")


def stalled_stream(port, token):
    """An event stream that reads its response head and then nothing."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    s.sendall(f"GET /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
    return s


def mem_kb(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                k, v = line.split(":")
                out[k] = int(v.split()[0])
    return out["VmRSS"], out["VmHWM"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--speed", type=float, default=2000.0)
    ap.add_argument("--subscribers", type=int, default=300)
    ap.add_argument("--orders", type=int, default=40)
    ap.add_argument("--max-seconds", type=float, default=1800.0)
    ap.add_argument("--bin", default=BIN, help="the blotter binary (default: the release build)")
    ap.add_argument("--db", default=None,
                    help="the ledger: a fresh SQLite file by default; 'none' (memory only) or a postgres:// URL")
    ap.add_argument("--symbols", default=",".join(SYMBOLS), help="symbols served (the orders go round them)")
    ap.add_argument("--qty", type=int, default=2_000_000, help="quantity of each POV order")
    ap.add_argument("--prefix", default="",
                    help="a command to run serve under (e.g. 'heaptrack -o /tmp/soak'); its RSS is then the wrapper's")
    a = ap.parse_args()
    bin_ = a.bin
    if not os.path.exists(bin_):
        sys.exit(f"{bin_} is missing: cargo build --release first")
    tmp = tempfile.mkdtemp(prefix="blotter-soak-")
    db = a.db or f"sqlite:{tmp}/ledger.db"
    symbols = a.symbols.split(",")
    tokens = os.path.join(tmp, "tokens.json")
    sup = subprocess.run(
        [bin_, "token", "create", "--tokens", tokens, "--user", "sup", "--tenant", "hq", "--role", "SUPERVISOR"],
        check=True, capture_output=True, text=True).stdout.strip()
    port = free_port()
    log = open(os.path.join(tmp, "serve.log"), "w")
    serve = subprocess.Popen(
        a.prefix.split() + [bin_, "serve", "--tokens", tokens, "--db", db, "--date", "2026-11-25",
         "--symbols", ",".join(symbols), "--speed", "0", "--bind", f"127.0.0.1:{port}",
         "--enable-tenants", "hq"],
        stdout=subprocess.DEVNULL, stderr=log)
    try:
        for _ in range(300):
            try:
                http(port, "GET", "/healthz", sup)
                break
            except Exception:
                time.sleep(0.1)
        # Orders big enough to work all day: past the desk's fat-finger cap, so it is raised.
        http(port, "PUT", "/v1/risk/limits", sup, {"limits": {"max_order_notional": 10_000_000_000}})
        streams = [stalled_stream(port, sup) for _ in range(a.subscribers)]
        for i in range(a.orders):
            sym = symbols[i % len(symbols)]
            body = {"symbol": sym, "side": "buy" if i % 2 == 0 else "sell", "qty": a.qty, "algo": "pov",
                    "params": {"rate": "0.1"}}
            try:
                http(port, "POST", "/v1/orders", sup, body)
            except urllib.error.HTTPError as e:
                sys.exit(f"order {i} refused: {e.code} {e.read().decode()}")
        http(port, "PUT", "/v1/clock", sup, {"speed": a.speed})
        t0 = time.time()
        rss0, _ = mem_kb(serve.pid)
        peak, samples = 0, []
        print(f"pid {serve.pid}, {a.subscribers} stalled streams, {a.orders} POV orders, speed {a.speed}x; "
              f"RSS at start {rss0 / 1024:.0f} MB", flush=True)
        while True:
            time.sleep(1.0)
            rss, hwm = mem_kb(serve.pid)
            peak = max(peak, hwm)
            try:
                h = http(port, "GET", "/healthz", sup)
            except OSError as e:  # a slow answer on a loaded machine: note it, keep sampling memory
                print(f"healthz: {e}", flush=True)
                continue
            seq, t = h["lastSeq"], time.time() - t0
            samples.append((t, seq, rss))
            print(f"{t:7.1f} s  events {seq:>11,}  RSS {rss / 1024:7.1f} MB  peak {hwm / 1024:7.1f} MB", flush=True)
            if seq >= a.events or t >= a.max_seconds or h["openOrders"] == 0 and seq > 0 and t > 5:
                break
        after_minute = [r for (t, _, r) in samples if t >= 60] or [samples[-1][2]]
        print(json.dumps({
            "events": samples[-1][1], "seconds": round(samples[-1][0], 1),
            "events_per_second": round(samples[-1][1] / samples[-1][0]),
            "rss_start_mb": round(rss0 / 1024, 1), "peak_rss_mb": round(peak / 1024, 1),
            "rss_after_first_minute_min_mb": round(min(after_minute) / 1024, 1),
            "rss_after_first_minute_max_mb": round(max(after_minute) / 1024, 1),
            "rss_end_mb": round(samples[-1][2] / 1024, 1),
            "load_average": os.getloadavg(),
        }))
        for s in streams:
            s.close()
    finally:
        serve.kill()
        serve.wait()


if __name__ == "__main__":
    main()
