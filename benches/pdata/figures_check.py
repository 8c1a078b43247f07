"""Recording figures recomputed: time-weighted median spread, realised
volatility of quote mids on a 1-s grid, touch depth."""
import numpy as np
import pandas as pd
import tape


def tw_median(values, ts, end):
    dur = np.diff(np.append(ts.astype("int64").values, end.value))
    order = np.argsort(values.values, kind="stable")
    v, w = values.values[order], dur[order]
    c = np.cumsum(w)
    return v[np.searchsorted(c, c[-1] / 2)]


def realised(mid_ts, mids, start, end, step_s, session_s):
    grid = pd.date_range(start.ceil(f"{step_s}s"), end, freq=f"{step_s}s")
    idx = np.searchsorted(mid_ts.values, grid.values, side="right") - 1
    ok = idx >= 0
    p = mids.values[idx[ok]]
    r = np.diff(np.log(p))
    covered = (grid[ok][-1] - grid[ok][0]).total_seconds()
    return np.sqrt((r ** 2).sum() * session_s / covered), len(r), (r != 0).sum()


q = tape.binance_quotes()
t = tape.binance_trades()
end = max(q.ts.max(), t.ts.max())
spread = (q.ask - q.bid) / q.mid * 1e4
print("BTC spread bps tw-median", tw_median(spread, q.ts, end))
print("BTC touch depth tw-median", tw_median((q.bid_size + q.ask_size) / 2, q.ts, end))
print("BTC daily vol (1 s mids, 24 h)", realised(q.ts, q.mid, q.ts.min(), end, 1, 86400))
m, tr, lq = tape.lobster()
lq = lq[(lq.ask < 1e5) & (lq.bid > 0)]
end = m.ts.max()
print("AAPL spread bps tw-median", tw_median((lq.ask - lq.bid) / lq.mid * 1e4, lq.ts, end))
print("AAPL touch depth tw-median", tw_median((lq.bid_size + lq.ask_size) / 2, lq.ts, end))
print("AAPL daily vol (1 s mids, 6.5 h)", realised(lq.ts, lq.mid, lq.ts.min(), end, 1, 23400))
print("AAPL ref px VWAP", (tr.price * tr.quantity).sum() / tr.quantity.sum(), "avg size", tr.quantity.mean())
