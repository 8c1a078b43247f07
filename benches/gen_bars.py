#!/usr/bin/env python3
# Generates the "never seen" tape of BENCHMARKS.md (Volume-aware algorithms):
#   python3 benches/gen_bars.py > GEN_2025-03-03_15d_1m_bars.csv   (needs numpy)
# A 15-day 1-minute bar tape the project has never seen: a two-peak UTC day
# (08:00 and 14:30), a daily level that wanders (lognormal, sd 0.3), a
# persistent intraday intensity (AR(1) in logs, half-life 45 min, sd 0.5),
# bursts (2 a day on average, 20 min at 5x volume, with a 1% jump), and a
# price whose per-minute variance follows the volume (daily vol ~3%).
import numpy as np, datetime as dt, math, sys
rng = np.random.default_rng(2026)
days, n = 15, 15 * 1440
m = np.arange(1440)
def bump(c, w): return np.exp(-0.5 * ((m - c) / w) ** 2)
diurnal = 0.35 + bump(8 * 60, 90) + 1.3 * bump(14.5 * 60, 120)
diurnal /= diurnal.mean()
level = np.repeat(np.exp(rng.normal(0, 0.3, days)), 1440)
phi = 2 ** (-1 / 45)
x = np.zeros(n)
for i in range(1, n):
    x[i] = phi * x[i - 1] + math.sqrt(1 - phi * phi) * 0.5 * rng.standard_normal()
burst = np.ones(n)
jump = np.zeros(n)
for s in rng.integers(0, n - 20, rng.poisson(2 * days)):
    burst[s:s + 20] *= 5
    jump[s] += rng.choice([-1, 1]) * 0.01
inten = np.tile(diurnal, days) * level * np.exp(x - 0.125) * burst
vol = rng.gamma(4, inten / 4) * 50.0
sd = 0.03 / math.sqrt(1440) * np.sqrt(inten / inten.mean())
p = 250.0
t0 = int(dt.datetime(2025, 3, 3, tzinfo=dt.timezone.utc).timestamp() * 1000)
print("timestamp,open,high,low,close,volume")
for i in range(n):
    path = p * np.exp(np.cumsum(np.concatenate([[jump[i]], rng.normal(0, sd[i] / 2, 4)])))
    o, c = p, path[-1]
    h, l = max(o, path.max()), min(o, path.min())
    r = lambda y: round(y, 2)
    o, h, l, c = r(o), r(h), r(l), r(c)
    h, l = max(h, o, c), min(l, o, c)
    print(f"{t0 + i * 60000},{o:.2f},{h:.2f},{l:.2f},{c:.2f},{vol[i]:.3f}")
    p = c
