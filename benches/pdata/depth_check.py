"""Does a replayed order fill more than the raw tape allows? (branch `replay`,
item 1: a trades-only replay's made-up book.)

Reads `blotter run --json` (its fill events) and the raw Binance trades file,
and for every price an aggressive sell filled at, compares what we sold at
that price or better (higher) with what the tape printed there or better over
the order's window, and the book's stock: the made-up book at the start
(touch d plus nine levels growing by 0.35 a level: 25.75 d, d the typical
touch the run reports). A buy is the mirror. Written from the file's own
fields (`buyer_maker` True: the seller hit the bid), not from blotter's code.

    python3 depth_check.py /tmp/run.json
"""
import json
import sys

import pandas as pd

from tape import binance_trades

doc = json.load(open(sys.argv[1]))
order = doc["orders"][0]
side = order["side"]
fills = pd.DataFrame([e["fill"] for e in doc["events"] if e["type"] == "fill"])
coef = {c["name"]: c["value"] for c in doc["replay"]["coefficients"]}
d = coef["touch_depth"]
stock = d * sum(1 + 0.35 * k for k in range(10))
t = binance_trades()
start, end = pd.to_datetime(order["start"], utc=True), pd.to_datetime(order["end"], utc=True)
w = t[(t.ts >= start) & (t.ts <= end)]
better = (lambda a, b: a >= b) if side == "sell" else (lambda a, b: a <= b)
# The tape's volume on our side: sells hit the bids we sell into.
ours_side = w[w.aggressor == side]
filled = fills.qty.sum() if len(fills) else 0.0
print(f"{side} {order['qty']}: filled {filled:.6f} in {len(fills)} fills; tape {w.quantity.sum():.6f} "
      f"({side}-initiated {ours_side.quantity.sum():.6f}); typical touch d {d}, stock 25.75 d = {stock:.4f}")
worst = 0.0
for px in sorted(fills.px.unique(), reverse=(side == "sell")):
    ours = fills[better(fills.px, px)].qty.sum()
    tape = w[better(w.price, px)].quantity.sum()
    worst = max(worst, ours - tape - stock)
print(f"bound: filled <= stock + {side}-initiated tape = {stock + ours_side.quantity.sum():.6f}: "
      f"{'holds' if filled <= stock + ours_side.quantity.sum() + 1e-9 else 'BROKEN'}")
print(f"largest excess over (tape at or better than a fill price + stock): {worst:.6f} "
      f"({'none' if worst <= 1e-9 else 'FILLS BEYOND THE TAPE'})")
