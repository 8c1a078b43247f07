"""Recompute what `blotter run --json` printed for one order on a recording,
from the raw files (tape.py), and check every fill against the tape.
usage: run_check.py RUN.json btc|aapl"""
import json
import sys
import numpy as np
import pandas as pd
import tape

doc = json.load(open(sys.argv[1]))
which = sys.argv[2]
if which == "btc":
    trades, quotes = tape.binance_trades(), tape.binance_quotes()
else:
    _, trades, quotes = tape.lobster()
o = doc["orders"][0]
side = o["side"]
s = 1 if side == "buy" else -1
fills = pd.DataFrame([e["fill"] for e in doc["events"] if e["type"] == "fill"])
done = [e for e in doc["events"] if e["type"] == "done"]
fills["ts"] = pd.to_datetime(fills.ts, unit="ns", utc=True)
start = pd.to_datetime(o["start"], unit="ns", utc=True)
end = pd.to_datetime(done[0]["ts"], unit="ns", utc=True) if done else pd.to_datetime(o["end"], unit="ns", utc=True)
shift = abs(doc.get("replay", {}).get("impact", {}).get("max_shift", 0) or 0)
q = fills.qty.sum()
avg = (fills.px * fills.qty).sum() / q
arr = tape.mid_at(quotes, start)
arr_from = "quote mid"
if arr is None:
    w = trades[trades.ts <= start]
    arr, arr_from = (w.price.iloc[-1], "last print") if len(w) else (trades.price.iloc[0], "first print (look-ahead)")
vw, vol, n = tape.vwap(trades, start, end)
print(f"window {start} .. {end} ({n} prints, {vol:.6f})")
rows = [
    ("filled", o["filled_qty"], q),
    ("avg px", o["avg_px"], avg),
    (f"arrival ({arr_from})", o["arrival_px"], arr),
    ("interval VWAP (tape)", o["interval_vwap"], vw),
    ("arrival slippage bps", o["arrival_slippage_bps"], tape.bps(side, avg, arr)),
    ("VWAP slippage bps (tape)", o["vwap_slippage_bps"], tape.bps(side, avg, vw)),
    ("participation q/(tape vol)", o["participation"], q / vol),
    ("participation q/(tape vol+q)", o["participation"], q / (vol + q)),
]
t = o["tca"]
isf = t["implementation_shortfall"]
D = t["decision_px"]
N = (fills.px * fills.qty).sum()
fees = fills.fee.sum()
rows += [
    ("IS trading", isf["trading"], s * (N - arr * q)),
    ("IS fees", isf["fees"], fees),
    ("IS total", isf["total"], s * (N - D * q) + fees + isf["opportunity"]),
    ("IS total bps", isf["total_bps"], (s * (N - D * q) + fees + isf["opportunity"]) / (D * o["qty"]) * 1e4),
]
for name, got, want in rows:
    flag = "" if abs(got - want) <= 1e-6 * max(1, abs(want)) else "  <-- DIFF"
    print(f"{name:32s} blotter {got:.6f}  independent {want:.6f}{flag}")

# Markouts after: mid at fill time + h, quantity-weighted.
def mid_series(t):
    return tape.mid_at(quotes, t)
for h, key in [(1, "1s"), (5, "5s"), (30, "30s")]:
    last = quotes.ts.max()
    use = fills[fills.ts + pd.Timedelta(seconds=h) <= last]
    if use.empty:
        continue
    mids = np.array([mid_series(x + pd.Timedelta(seconds=h)) or np.nan for x in use.ts])
    mk = (s * (use.px - mids) / use.px * 1e4 * use.qty).sum() / use.qty.sum()
    got = t["markouts_bps"][key]
    print(f"markout {key:4s} blotter {got}  independent {mk:.4f} over {len(use)}/{len(fills)} fills")

# Every fill against the tape.
bad = 0
for liq, grp in fills.groupby("liquidity"):
    for ts, g in grp.groupby("ts"):
        if liq == "maker":
            other = "sell" if side == "buy" else "buy"
            at = trades[(trades.ts == ts) & (trades.aggressor == other)]
            px = g.px.iloc[0]
            ok = at[(s * (at.price - px) <= 0)]  # buy: print at or below our price (before our non-negative shift)
            if ok.empty or g.qty.sum() > ok.quantity.sum() + 1e-9:
                bad += 1
                print(f"  PASSIVE fill {ts} {g.qty.sum()} @ {px}: prints there {at[['price','quantity','aggressor']].values.tolist()}")
        else:
            qs = quotes[quotes.ts <= ts]
            if qs.empty:
                continue
            touch = qs.ask.iloc[-1] if side == "buy" else qs.bid.iloc[-1]
            for px in g.px:
                if s * (px - touch) < -1e-9:
                    bad += 1
                    print(f"  AGGRESSIVE fill {ts} @ {px} better than the recorded touch {touch}")
                if s * (px - touch) > shift + 10 * 0.01 * max(1, touch / 1000) and "-v" in sys.argv:
                    print(f"  note: aggressive fill {ts} @ {px}, touch {touch}, {s*(px-touch):.4f} beyond (shift<= {shift})")
print("fills", len(fills), "maker", (fills.liquidity == "maker").sum(), "violations", bad)
