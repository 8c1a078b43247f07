"""`blotter tca` of one order's fills (taken from a `run --json`) against the
raw tape: writes the fills CSV (and, for LOBSTER, the prints and L1 quotes as
CSV), and recomputes arrival, interval VWAP, slippage, size and shortfall.
usage: tca_check.py RUN.json btc|aapl OUTDIR  -> prints the blotter command, then
       tca_check.py RUN.json btc|aapl OUTDIR TCA.json -> compares"""
import json
import sys
import pandas as pd
import tape

run, which, out = sys.argv[1], sys.argv[2], sys.argv[3]
doc = json.load(open(run))
o = doc["orders"][0]
f = pd.DataFrame([e["fill"] for e in doc["events"] if e["type"] == "fill"])
f["timestamp"] = pd.to_datetime(f.ts, unit="ns", utc=True).map(lambda t: t.isoformat())
f[["timestamp", "px", "qty", "venue", "fee", "liquidity"]].rename(columns={"px": "price"}).assign(
    liquidity=lambda d: d.liquidity).to_csv(f"{out}/fills.csv", index=False)
if which == "btc":
    trades, quotes = tape.binance_trades(), tape.binance_quotes()
    tf = f"{tape.D}/binance_BTCUSDT_2021-01-08_trades.nautilus.csv"
    qf = f"{tape.D}/binance_BTCUSDT_2021-01-08_quotes.nautilus.csv"
else:
    _, trades, quotes = tape.lobster()
    tf, qf = f"{out}/aapl_trades.csv", f"{out}/aapl_quotes.csv"
    iso = lambda s: s.map(lambda t: t.isoformat())
    pd.DataFrame({"timestamp": iso(trades.ts), "price": trades.price, "qty": trades.quantity,
                  "side": trades.aggressor}).to_csv(tf, index=False)
    pd.DataFrame({"timestamp": iso(quotes.ts), "bid": quotes.bid, "bid_size": quotes.bid_size, "ask": quotes.ask,
                  "ask_size": quotes.ask_size}).to_csv(qf, index=False)
if len(sys.argv) < 5:
    print(f"tca --json --fills {out}/fills.csv --trades {tf} --quotes {qf} --side {o['side']} --qty {o['qty']}")
    sys.exit()
t = json.load(open(sys.argv[4]))
side, s = o["side"], (1 if o["side"] == "buy" else -1)
f["t"] = pd.to_datetime(f.ts, unit="ns", utc=True)
first, last = f.t.min(), f.t.max()
q = f.qty.sum()
avg = (f.px * f.qty).sum() / q
arr = tape.mid_at(quotes[quotes.ts < first], first)  # the last mid before the first fill
if arr is None:  # no quote yet: the last print before it
    arr = trades[trades.ts < first].price.iloc[-1]
vw, vol, n = tape.vwap(trades, first, last)
print(json.dumps(t)[:600])
flat = t.get("orders", [t])[0] if isinstance(t.get("orders"), list) else t
def get(*ks):
    x = flat
    for k in ks:
        x = x.get(k) if isinstance(x, dict) else None
    return x
for name, got, want in [("avg px", get("avg_px"), avg), ("arrival", get("arrival_px"), arr),
                        ("interval VWAP", get("interval_vwap"), vw),
                        ("arrival slip bps", get("arrival_slippage_bps"), tape.bps(side, avg, arr)),
                        ("VWAP slip bps", get("vwap_slippage_bps"), tape.bps(side, avg, vw)),
                        ("size/participation", get("participation"), q / (vol + q))]:
    print(f"{name:20s} blotter {got}  independent {want}")
