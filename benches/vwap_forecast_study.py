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
and the median largest tracking gap (pp); then, for the engine's default,
the look-back opt-in (`recent=12h half_life=4h prior_weight=1.5`) and the
forecast with its persistence learned from the days before (`learned`,
below), a 90% bootstrap interval of each median and 90th percentile over
the windows and of its difference from the default (paired: the same
draws of windows). Needs numpy.

    python3 benches/vwap_forecast_study.py [BARS.csv ...]
        (default: the three shared samples under $BLOTTER_SHARED_DATA)
    python3 benches/vwap_forecast_study.py --foresight [BARS.csv ...]
        the engine's default forecast given the exact volume of the next
        0 to 180 minutes (a bound: what no causal forecast can know)
    python3 benches/vwap_forecast_study.py --compare A.json B.json [KEY]
        two `blotter evaluate --json` runs over the same windows: median and
        90th percentile of |KEY| (default market_slippage_bps) in each, and
        the difference B - A with its 90% paired bootstrap interval (the
        same draws of windows for both, a window's orders together)
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


def pace(v, e_min, H=120, prior_w=1.0):
    """The engine's forecast: remaining = pace x expected remaining, the pace an
    exponentially weighted realised/expected ratio (half-life H minutes) with
    the prior weighing one steady-state half-life of expected volume."""
    a, W = 2 ** (-1 / H), len(v)
    num = den = e_min.sum() / W * H / math.log(2) * prior_w
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


def look_back(prof, lvl, V, m0, s, hours):
    """Others' volume and the profile's expectation, minute by minute, over
    the `hours` before `s`, never before the UTC day's open (as the engine's
    `recent` look-back: `evaluate` replays from the session's open)."""
    lo = max(s - hours * 60, (s // DAY) * DAY)
    return V[lo - m0:s - m0], expected(prof, lvl, lo, s)


def opt_in(v, e, lb):
    """`recent=12h half_life=4h prior_weight=1.5`: the prior scaled by the
    look-back's ratio to the power 0.75, a 4-hour half-life, the prior
    weighing 1.5 half-lives."""
    lv, le = lb
    scale = (lv.sum() / le.sum()) ** 0.75 if len(lv) >= 60 and lv.sum() > 0 and le.sum() > 0 else 1.0
    return pace(v, e * scale, H=240, prior_w=1.5)


def foresight(v, e, h, H=240, prior_w=1.5):
    """The default's pace forecast, told the exact volume of the next `h`
    minutes: the pace also learns from those minutes, and the rest of the
    window beyond them is forecast as usual. `h=0` is the default itself.
    A bound, not a forecast: it shows how far ahead a forecast would have to
    see to meet a target."""
    W, a = len(v), 2 ** (-1 / H)
    num = den = e.sum() / W * H / math.log(2) * prior_w
    R, F = 0.0, np.zeros(W)
    for k in range(W):
        num, den, R = num * a + v[k], den * a + e[k], R + v[k]
        n2, d2 = num, den
        for j in range(k + 1, min(W, k + 1 + h)):
            n2, d2 = n2 * a + v[j], d2 * a + e[j]
        rem = v[k + 1:k + 1 + h].sum() + n2 / d2 * e[k + 1 + h:].sum()
        F[k] = R / (R + rem) if R + rem > 0 else 0
    F[-1] = 1
    return F


def fit_persistence(days_x, lags=16):
    """Bialkowski, Darolles & Le Fol (2008)'s dynamic part, here as a state
    space on the log of bucket volume over the profile's expectation,
    x = mu + d + z + n: a day level d (constant within the day), an
    intraday AR(1) z (persistence phi a bucket) and noise n. Its
    autocovariance at lag h >= 1 (pairs within a day) is var_d + var_z phi^h
    and at lag 0 var_d + var_z + var_n: fitted by least squares over lags
    1..`lags` (phi on a grid, the two variances linear, kept >= 0)."""
    mu = np.mean(np.concatenate(days_x))
    ys = [x - mu for x in days_x]
    g = np.array([sum((y[:len(y) - h] * y[h:]).sum() for y in ys) / sum(len(y) - h for y in ys) for h in range(lags + 1)])
    hs, best = np.arange(1, lags + 1), None
    for phi in np.linspace(0.30, 0.99, 70):
        A = np.vstack([np.ones(lags), phi ** hs]).T
        vd, vz = np.linalg.lstsq(A, g[1:], rcond=None)[0]
        if vd < 0:
            vd, vz = 0.0, max(0.0, (phi ** hs @ g[1:]) / (phi ** hs @ phi ** hs))
        if vz < 0:
            vd, vz = max(0.0, g[1:].mean()), 0.0
        err = ((A @ [vd, vz] - g[1:]) ** 2).sum()
        if best is None or err < best[0]:
            best = (err, phi, vd, vz)
    _, phi, vd, vz = best
    return mu, phi, vd, vz, max(g[0] - vd - vz, 0.05 * g[0])


def learned(v, e, lb, prm, B=15):
    """The forecast of the fitted model: a Kalman filter on (d, z), run on
    the whole buckets of the look-back (the initial surprise) and then on
    each bucket of the window as it completes; the rest of the window
    forecast at E[v / e] = exp(mu + d + phi^h z + var / 2) h buckets ahead
    (mean reversion of the surprise toward the day level at the estimated
    rate). No constant but the bucket and the lags fitted."""
    mu, phi, vd, vz, vn = prm
    Fm, Q, H = np.diag([1.0, phi]), np.diag([0.0, vz * (1 - phi * phi)]), np.array([1.0, 1.0])
    x, P = np.zeros(2), np.diag([vd, vz])

    def update(x, P, vol, exp_vol):
        x, P = Fm @ x, Fm @ P @ Fm.T + Q
        K = P @ H / (H @ P @ H + vn)
        y = math.log(max(vol, 0.01 * exp_vol) / exp_vol) - mu - H @ x
        return x + K * y, P - np.outer(K, H @ P)

    def ratio(x, P, h):
        m = x[0] + phi ** h * x[1]
        var = P[0, 0] + phi ** (2 * h) * P[1, 1] + 2 * phi ** h * P[0, 1] + vz * (1 - phi ** (2 * h)) + vn
        return math.exp(mu + m + var / 2)

    lv, le = lb
    off = len(lv) % B
    for b in range(len(lv) // B):
        x, P = update(x, P, lv[off + b * B:off + (b + 1) * B].sum(), le[off + b * B:off + (b + 1) * B].sum())
    W = len(v)
    eb = e.reshape(W // B, B).sum(1)
    R, F = 0.0, np.zeros(W)
    for k in range(W):
        b, R = k // B, R + v[k]
        if (k + 1) % B == 0:
            x, P = update(x, P, v[b * B:(b + 1) * B].sum(), eb[b])
            rem = sum(eb[j] * ratio(x, P, j - b) for j in range(b + 1, W // B))
        else:
            rem = e[k + 1:(b + 1) * B].sum() * ratio(x, P, 1)
            rem += sum(eb[j] * ratio(x, P, j - b + 1) for j in range(b + 1, W // B))
        F[k] = R / (R + rem) if R + rem > 0 else 0
    F[-1] = 1
    return F


def history(prof, lvl, V, m0, days, B=15):
    """The log ratio of each bucket's volume to the profile's expectation, day by day."""
    e = (lvl * np.repeat(prof / BUCKET, BUCKET)).reshape(-1, B).sum(1)
    return [np.log(np.maximum(V[d * DAY - m0:(d + 1) * DAY - m0].reshape(-1, B).sum(1), 0.01 * e) / e) for d in days]


def schedule_parts(path, which, h=0):
    """Each window's schedule part (bps, signed) under forecast `which`
    (`default`, `opt-in`, `learned`), the level of the days before."""
    m0, V, P = load(path)
    out = []
    for s, e, prof in windows(m0, V):
        days = range((m0 + DAY - 1) // DAY, s // DAY)
        lvl = np.mean([V[d * DAY - m0:(d + 1) * DAY - m0].sum() for d in days])
        v, p, em = V[s - m0:e - m0], P[s - m0:e - m0], expected(prof, lvl, s, e)
        if which == "default":
            F = pace(v, em)
        elif which == "opt-in":
            F = opt_in(v, em, look_back(prof, lvl, V, m0, s, 12))
        elif which == "foresight":
            lv, le = look_back(prof, lvl, V, m0, s, 12)
            scale = (lv.sum() / le.sum()) ** 0.75 if len(lv) >= 60 and lv.sum() > 0 and le.sum() > 0 else 1.0
            F = foresight(v, em * scale, h)
        else:
            F = learned(v, em, look_back(prof, lvl, V, m0, s, 24), fit_persistence(history(prof, lvl, V, m0, days)))
        f = np.diff(np.concatenate([[0], F]))
        vwap = (v * p).sum() / v.sum()
        out.append(((f * p).sum() / f.sum() - vwap) / vwap * 1e4)
    return np.abs(np.array(out))


def nearest_rank(a, q):
    return np.sort(a)[int(np.ceil(q * len(a))) - 1]


def paired_bootstrap(base, other, q, draws=2000, seed=11):
    """90% intervals of `other`'s percentile q and of its difference from `base`'s, over the same draws of windows."""
    idx = np.random.default_rng(seed).integers(0, len(base), (draws, len(base)))
    k = int(np.ceil(q * len(base))) - 1
    rb, ro = np.sort(base[idx], 1)[:, k], np.sort(other[idx], 1)[:, k]
    return np.percentile(ro, [5, 95]), np.percentile(ro - rb, [5, 95])


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


def compare(path_a, path_b, key="market_slippage_bps", draws=2000, seed=5):
    import json

    def by_window(path):
        groups = {}
        for w in json.load(open(path))["windows"]:
            if w.get(key) is not None:
                groups.setdefault(w["start"], []).append(abs(w[key]))
        return groups

    a, b = by_window(path_a), by_window(path_b)
    keys = sorted(set(a) & set(b))
    rng = np.random.default_rng(seed)
    draws_ = [[keys[i] for i in rng.integers(0, len(keys), len(keys))] for _ in range(draws)]
    for q, label in ((0.5, "median"), (0.9, "p90")):
        stat = lambda g, ks: nearest_rank(np.concatenate([g[k] for k in ks]), q)
        d = np.array([stat(b, ks) - stat(a, ks) for ks in draws_])
        lo, hi = np.percentile(d, [5, 95])
        print(f"{label:6} {stat(a, keys):7.2f} -> {stat(b, keys):7.2f}  difference {stat(b, keys) - stat(a, keys):+6.2f} [{lo:+.2f}, {hi:+.2f}]")
    xa = np.concatenate([a[k] for k in keys]); xb = np.concatenate([b[k] for k in keys])
    print(f"orders better / worse: {(xb < xa - 1e-9).sum()} / {(xb > xa + 1e-9).sum()}; mean |{key}| {xa.mean():.2f} -> {xb.mean():.2f}")


def default_files(args):
    return args or [
        os.path.join(os.environ.get("BLOTTER_SHARED_DATA", "../shared/data"), f"{p}_BTC_2018-01-20_to_30_1m_bars.freqtrade.csv")
        for p in ("ETH", "ADA", "XLM")
    ]


if __name__ == "__main__" and sys.argv[1:2] == ["--compare"]:
    compare(*sys.argv[2:])
elif __name__ == "__main__" and sys.argv[1:2] == ["--foresight"]:
    files = default_files(sys.argv[2:])
    print("|schedule| bps, median / p90, with the next h minutes' volume known; one column per file:", *map(os.path.basename, files))
    for h in (0, 5, 15, 30, 60, 90, 120, 180):
        cells = [schedule_parts(f, "foresight", h) for f in files]
        print(f"h = {h:3} min", " | ".join(f"{nearest_rank(x, 0.5):6.2f} / {nearest_rank(x, 0.9):6.2f}" for x in cells), flush=True)
elif __name__ == "__main__":
    files = default_files(sys.argv[1:])
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
    print("\n|schedule| bps: figure [90% bootstrap interval] (difference from the default [90% interval]); level of the days before")
    parts = {w: [schedule_parts(f, w) for f in files] for w in ("default", "opt-in", "learned")}
    for q, label in ((0.5, "median"), (0.9, "p90")):
        for w, runs in parts.items():
            cells = []
            for base, x in zip(parts["default"], runs):
                (lo, hi), (dlo, dhi) = paired_bootstrap(base, x, q)
                d = nearest_rank(x, q) - nearest_rank(base, q)
                cells.append(f"{nearest_rank(x, q):5.2f} [{lo:5.2f}-{hi:5.2f}] ({d:+5.2f} [{dlo:+.2f},{dhi:+.2f}])")
            print(f"{label:6} {w:8}", " | ".join(cells))
