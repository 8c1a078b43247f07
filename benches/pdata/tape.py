"""Independent readers of the shared recordings (BLOTTER_SHARED_DATA) and the
benchmarks TCA uses, written from the file formats' own documentation (the
MANIFEST, LOBSTER's ReadMe, Binance's trade fields), not from blotter's code.
Used by the checks in this folder to recompute what `blotter` prints."""
import os
import numpy as np
import pandas as pd

D = os.environ.get("BLOTTER_SHARED_DATA", "/work/shared/data")
NY = "America/New_York"


def binance_trades():
    t = pd.read_csv(f"{D}/binance_BTCUSDT_2021-01-08_trades.nautilus.csv")
    t["ts"] = pd.to_datetime(t.ts_ms, unit="ms", utc=True)
    # buyer_maker True: the buyer rested, the seller hit the bid (seller-initiated).
    t["aggressor"] = np.where(t.buyer_maker, "sell", "buy")
    return t


def binance_quotes():
    q = pd.read_csv(f"{D}/binance_BTCUSDT_2021-01-08_quotes.nautilus.csv")
    q["ts"] = pd.to_datetime(q.ts_ms, unit="ms", utc=True)
    q["mid"] = (q.bid + q.ask) / 2
    return q


def lobster(date="2012-06-21"):
    m = pd.read_csv(f"{D}/AAPL_2012-06-21_34200000_57600000_message_10.first999.csv", header=None,
                    names=["t", "type", "oid", "size", "px", "dir"], dtype={"t": str})
    midnight = pd.Timestamp(date).tz_localize(NY)  # midnight New York, DST as on that day
    # Seconds after midnight read as text: a float64 loses the last nanosecond digit.
    whole = m.t.str.split(".").str[0].astype("int64")
    frac = m.t.str.split(".").str[1].fillna("").str.ljust(9, "0").astype("int64")
    m["ts"] = (midnight + pd.to_timedelta(whole * 1_000_000_000 + frac, unit="ns")).dt.tz_convert("UTC")
    m["price"] = m.px / 10000
    b = pd.read_csv(f"{D}/AAPL_2012-06-21_34200000_57600000_orderbook_10.first999.csv", header=None)
    q = pd.DataFrame({"ts": m.ts, "ask": b[0] / 10000, "ask_size": b[1], "bid": b[2] / 10000, "bid_size": b[3]})
    q["mid"] = (q.bid + q.ask) / 2
    trades = m[m.type.isin([4, 5])].copy()
    trades["quantity"] = trades["size"]
    # direction is the resting order's side: a hit buy limit is a seller-initiated trade.
    trades["aggressor"] = np.where(trades.dir == 1, "sell", "buy")
    return m, trades, q


def bars(name):
    b = pd.read_csv(f"{D}/{name}_BTC_2018-01-20_to_30_1m_bars.freqtrade.csv")
    b["ts"] = pd.to_datetime(b.ts_ms, unit="ms", utc=True)
    return b


def vwap(trades, start, end):
    w = trades[(trades.ts >= start) & (trades.ts <= end)]
    return (w.price * w.quantity).sum() / w.quantity.sum(), w.quantity.sum(), len(w)


def mid_at(quotes, t):
    """Mid of the last quote at or before t (None when nothing was quoted yet)."""
    w = quotes[quotes.ts <= t]
    w = w[(w.bid > 0) & (w.ask > 0) & (w.ask < 1e6)]
    return None if w.empty else w.mid.iloc[-1]


def bps(side, px, bench):
    s = 1 if side == "buy" else -1
    return s * (px - bench) / bench * 1e4
