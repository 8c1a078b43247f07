#!/usr/bin/env python3
"""Soak benchmark of `blotter serve` memory (issue 14, finding 5).

Starts the release `blotter serve` on a fresh SQLite ledger, opens 300 event
streams that never read (a small receive buffer each), keeps 40 POV orders
working, and samples the server's resident memory (VmRSS, and the kernel's
peak VmHWM) once a second until the engine has published `--events` events
(default 10 million) or `--max-seconds` pass.

A US equity session alone makes 6.3 M events with 40 POV orders, so the
simulated day starts at midnight New York with the 24-hour crypto pairs
(BTC-USD, ETH-USD): 40 orders on them until the equity open, 40 on AAPL,
MSFT, SPY and JPM over the session, and crypto again after the close until
midnight UTC. An order that ends is replaced on what is trading (the count
of replacements is printed). Prints one line per sample, the RSS curve every
10 s, and a JSON summary; the figures go to BENCHMARKS.md.

    cargo build --release && python3 benches/soak.py [--events N] [--speed X]
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import datetime
from zoneinfo import ZoneInfo

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "blotter")
SYMBOLS = ["AAPL", "MSFT", "SPY", "JPM", "BTC-USD", "ETH-USD"]
# Symbols trading around the clock (the rest trade 09:30-16:00 New York).
ALL_DAY = {"BTC-USD", "ETH-USD"}
NY = ZoneInfo("America/New_York")


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
    ap.add_argument("--qty", type=int, default=2_000_000, help="quantity of each POV order on an equity")
    ap.add_argument("--adv-24h", type=float, default=0.2,
                    help="quantity of each POV order on a 24-hour symbol, as a fraction of its daily volume")
    ap.add_argument("--at", default="00:00",
                    help="simulated start, New York time: the 24-hour symbols trade from midnight UTC the day before")
    ap.add_argument("--keep", action="store_true",
                    help="keep the scratch folder (the SQLite ledger: several GB for 10 M events)")
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
         "--symbols", ",".join(symbols), "--at", a.at, "--speed", "0", "--bind", f"127.0.0.1:{port}",
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
        adv = {i["symbol"]: float(i["adv"]) for i in http(port, "GET", "/v1/instruments", sup)}

        all_day = [s for s in symbols if s in ALL_DAY]
        equities = [s for s in symbols if s not in ALL_DAY]

        def trading(now_ns):
            """What to send an order on at simulated time `now_ns`, and its end (ns) if any."""
            t = datetime.fromtimestamp(now_ns / 1e9, NY)
            minutes = t.hour * 60 + t.minute
            if equities and 9 * 60 + 30 <= minutes < 15 * 60 + 50 or not all_day:
                return equities, None
            if equities and minutes < 9 * 60 + 30:
                # Crypto until the equity open, then the equities take over.
                return all_day, int(t.replace(hour=9, minute=30, second=0, microsecond=0).timestamp()) * 10**9
            return all_day, None

        def send(i, pool, end):
            sym = pool[i % len(pool)]
            qty = max(1, int(adv[sym] * a.adv_24h)) if sym in ALL_DAY else a.qty
            body = {"symbol": sym, "side": "buy" if i % 2 == 0 else "sell", "qty": qty, "algo": "pov",
                    "params": {"rate": "0.1"}}
            if end:
                body["end"] = end
            http(port, "POST", "/v1/orders", sup, body)

        def order(i, now_ns):
            # The engine's clock may lag the server's (it jumps ahead on a
            # command): a window refused as outside the session goes to the other pool.
            pool, end = trading(now_ns)
            try:
                send(i, pool, end)
            except urllib.error.HTTPError as e:
                other = all_day if pool is equities else equities
                if e.code != 400 or not other:
                    raise
                send(i, other, None)

        start_ns = http(port, "GET", "/healthz", sup)["now"]
        for i in range(a.orders):
            try:
                order(i, start_ns)
            except urllib.error.HTTPError as e:
                sys.exit(f"order {i} refused: {e.code} {e.read().decode()}")
        replaced, refills_stopped = 0, False
        http(port, "PUT", "/v1/clock", sup, {"speed": a.speed})
        t0 = time.time()
        rss0, _ = mem_kb(serve.pid)
        peak, samples = 0, []
        print(f"pid {serve.pid}, {a.subscribers} stalled streams, {a.orders} POV orders, speed {a.speed}x; "
              f"RSS at start {rss0 / 1024:.0f} MB", flush=True)
        last = -1.0
        while True:
            # Polled four times a second (a second is 33 simulated minutes at
            # 2000x): ended orders are replaced promptly; memory printed each second.
            time.sleep(0.25)
            rss, hwm = mem_kb(serve.pid)
            peak = max(peak, hwm)
            try:
                h = http(port, "GET", "/healthz", sup)
            except OSError as e:  # a slow answer on a loaded machine: note it, keep sampling memory
                print(f"healthz: {e}", flush=True)
                continue
            seq, t = h["lastSeq"], time.time() - t0
            if t - last >= 1.0:
                last = t
                samples.append((t, seq, rss))
                print(f"{t:7.1f} s  events {seq:>11,}  RSS {rss / 1024:7.1f} MB  peak {hwm / 1024:7.1f} MB  "
                      f"working {h['openOrders']}", flush=True)
            if seq >= a.events or t >= a.max_seconds or h["openOrders"] == 0 and refills_stopped:
                samples.append((t, seq, rss))
                break
            # Keep `--orders` working: replace ended ones on what trades now.
            for _ in range(0 if refills_stopped else max(0, a.orders - h["openOrders"])):
                try:
                    order(replaced, h["now"])
                    replaced += 1
                except urllib.error.HTTPError as e:
                    print(f"replacement refused, no more: {e.code} {e.read().decode()}", flush=True)
                    refills_stopped = True
                    break
        after_minute = [r for (t, _, r) in samples if t >= 60] or [samples[-1][2]]
        curve, next_t = [], 0.0
        for (t, seq, r) in samples:
            if t >= next_t:
                curve.append((round(t), seq, round(r / 1024)))
                next_t = t + 10.0
        print("RSS every 10 s (s, events, MB): " + ", ".join(f"{t} s {seq / 1e6:.2f} M {mb} MB" for t, seq, mb in curve))
        print(json.dumps({
            "events": samples[-1][1], "seconds": round(samples[-1][0], 1),
            "events_per_second": round(samples[-1][1] / samples[-1][0]),
            "rss_start_mb": round(rss0 / 1024, 1), "peak_rss_mb": round(peak / 1024, 1),
            "rss_after_first_minute_min_mb": round(min(after_minute) / 1024, 1),
            "rss_after_first_minute_max_mb": round(max(after_minute) / 1024, 1),
            "rss_end_mb": round(samples[-1][2] / 1024, 1),
            "replaced_orders": replaced,
            "curve_every_10s": curve,
            "load_average": os.getloadavg(),
        }))
        for s in streams:
            s.close()
    finally:
        serve.kill()
        serve.wait()
        if a.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
