#!/usr/bin/env python3
"""The dynamic VWAP's volume forecast replayed outside the engine (BENCHMARKS.md,
"Volume-aware algorithms on recorded bars"): for every 4-hour window of a
1-minute bar file (cut from 00:00 UTC, a profile of 30-minute buckets learned
from the whole UTC days before the window, at least one), the order's target
share after each minute is the forecast fraction of the window's volume
printed so far, filled exactly (no tracking lag, no impact). Each minute's
fills are valued at that minute's VWAP (the bar's 12 replayed prints, as
`market::replay::bars` makes them), so the figure is the schedule part of
`blotter evaluate`'s decomposition, against the window's VWAP.

Prints, per forecast and file: median and 90th percentile of |schedule| (bps)
and the median largest tracking gap (pp). Needs numpy.

    python3 benches/vwap_forecast_study.py [BARS.csv ...]
        (default: the three shared samples under $BLOTTER_SHARED_DATA)
"""
import csv, math, os, sys
import numpy as np

DAY, WINDOW, BUCKET = 1440, 240, 30


def load(path):
    rows = list(csv.DictReader(open(path)))
    ts = lambda r: int(r.get("ts_ms") or r["timestamp"]) // 60000
    t = np.array([ts(r) for r in rows])
    m0, n = t[0], t[-1] - t[0] + 1
    V, P = np.zeros(n), np.full(n, np.nan)
    for i, r in enumerate(rows):
        o, h, l, c = (float(r[k]) for k in ("open", "high", "low", "close"))
        high_first = abs(h - o) < abs(o - l) or (abs(h - o) == abs(o - l) and c < o)
        path = [o, h, l, c] if high_first else [o, l, h, c]
        legs = [abs(path[j + 1] - path[j]) for j in range(3)]
        prices = []
        for k in range(12):
            left = sum(legs) * k / 11
            x = path[3]
            for j in range(3):
                if left <= legs[j]:
                    x = path[j] + math.copysign(1, path[j + 1] - path[j]) * left
                    break
                left -= legs[j]
            prices.append(x)
        V[t[i] - m0], P[t[i] - m0] = float(r["volume"]), sum(prices) / 12
    last = P[0]
    for i in range(n):
        last = P[i] = last if np.isnan(P[i]) else P[i]
    return m0, V, P


def windows(m0, V):
    end = m0 + len(V)
    first_day = (m0 + DAY - 1) // DAY
    for s in range((m0 // DAY) * DAY, end, WINDOW):
        e = s + WINDOW
        if s < m0 + 5 or e > end - 5:
            continue
        days = [d for d in range(first_day, s // DAY) if (d + 1) * DAY <= end]
        if not days:
            continue
        shares = [V[d * DAY - m0:(d + 1) * DAY - m0].reshape(-1, BUCKET).sum(1) for d in days]
        prof = np.mean([x / x.sum() for x in shares], 0)
        yield s, e, prof


def expected(prof, adv, s, e):
    return adv * np.repeat(prof / BUCKET, BUCKET)[np.arange(s, e) % DAY]


def pace(v, e_min, H=120):
    """The engine's forecast: remaining = pace x expected remaining, the pace an
    exponentially weighted realised/expected ratio (half-life H minutes) with
    the prior weighing one steady-state half-life of expected volume."""
    a, W = 2 ** (-1 / H), len(v)
    num = den = e_min.sum() / W * H / math.log(2)
    R, F = 0.0, np.zeros(W)
    for k in range(W):
        num, den, R = num * a + v[k], den * a + e_min[k], R + v[k]
        rem = num / den * e_min[k + 1:].sum()
        F[k] = R / (R + rem) if R + rem > 0 else 0
    F[-1] = 1
    return F


def two_part(v, e_min, HL=240, HS=30, tau=60):
    """A slow level plus a fast intensity decaying back to it (time constant tau)."""
    W = len(v)
    aL, aS = 2 ** (-1 / HL), 2 ** (-1 / HS)
    nL = dL = e_min.sum() / W * HL / math.log(2)
    nS = dS = e_min.sum() / W * HS / math.log(2)
    R, F = 0.0, np.zeros(W)
    for k in range(W):
        nL, dL, nS, dS, R = nL * aL + v[k], dL * aL + e_min[k], nS * aS + v[k], dS * aS + e_min[k], R + v[k]
        L, S = nL / dL, nS / dS
        fut = e_min[k + 1:]
        rem = (fut * (L + (S - L) * np.exp(-np.arange(1, len(fut) + 1) / tau))).sum()
        F[k] = R / (R + max(rem, 0))
    F[-1] = 1
    return F


def skew_corrected(v, e_min, H=120, disp=0.5):
    """The expected share under a lognormal spread of the remaining volume."""
    W, a = len(v), 2 ** (-1 / H)
    num = den = e_min.sum() / W * H / math.log(2)
    z = np.random.default_rng(1).standard_normal(200)
    R, F = 0.0, np.zeros(W)
    for k in range(W):
        num, den, R = num * a + v[k], den * a + e_min[k], R + v[k]
        rem = num / den * e_min[k + 1:].sum()
        sd = disp * math.sqrt(e_min[k + 1:].sum() / e_min.sum())
        F[k] = np.mean(R / (R + rem * np.exp(sd * z - sd * sd / 2))) if R > 0 else 0
    F[-1] = 1
    return F


def study(path, forecast, level="adv"):
    m0, V, P = load(path)
    adv = V.sum() / len(V) * DAY
    sched, track = [], []
    for s, e, prof in windows(m0, V):
        if level == "last24":
            lvl = V[max(0, s - m0 - DAY):s - m0].sum() * DAY / min(DAY, s - m0)
        elif level == "days":
            lvl = np.mean([V[d * DAY - m0:(d + 1) * DAY - m0].sum() for d in range((m0 + DAY - 1) // DAY, s // DAY)])
        else:
            lvl = adv
        v, p = V[s - m0:e - m0], P[s - m0:e - m0]
        F = forecast(v, expected(prof, lvl, s, e))
        f = np.diff(np.concatenate([[0], F]))
        vwap = (v * p).sum() / v.sum()
        sched.append(abs(((f * p).sum() / f.sum() - vwap) / vwap * 1e4))
        track.append(np.abs(F - np.cumsum(v) / v.sum()).max() * 100)
    a = np.sort(sched)
    rank = lambda q: a[int(np.ceil(q * len(a))) - 1]
    return f"{rank(0.5):5.1f} {rank(0.9):6.1f} {np.median(track):5.1f}"


if __name__ == "__main__":
    files = sys.argv[1:] or [
        os.path.join(os.environ.get("BLOTTER_SHARED_DATA", "../shared/data"), f"{p}_BTC_2018-01-20_to_30_1m_bars.freqtrade.csv")
        for p in ("ETH", "ADA", "XLM")
    ]
    variants = [("pace, half-life 2h (engine default)", pace, "adv")]
    variants += [(f"pace, half-life {h} min", lambda v, e, h=h: pace(v, e, h), "adv") for h in (15, 30, 60, 240, 480, 100000)]
    variants += [
        ("pace 2h, level of the last 24 h", pace, "last24"),
        ("pace 2h, level of the days before", pace, "days"),
        ("two-part pace (4h level, 30 min intensity, 60 min decay)", two_part, "adv"),
        ("two-part pace (4h level, 15 min intensity, 30 min decay)", lambda v, e: two_part(v, e, 240, 15, 30), "adv"),
        ("pace 2h, share corrected for skew", skew_corrected, "adv"),
        ("TWAP", lambda v, e: np.arange(1, len(v) + 1) / len(v), "adv"),
        ("profile only (static)", lambda v, e: np.cumsum(e) / e.sum(), "adv"),
        ("total volume known in advance", lambda v, e: np.cumsum(v) / v.sum(), "adv"),
    ]
    print("median |schedule| bps, p90, median tracking gap pp; one column per file:", *map(os.path.basename, files))
    for name, fc, level in variants:
        print(f"{name:58}", " | ".join(study(f, fc, level) for f in files))
