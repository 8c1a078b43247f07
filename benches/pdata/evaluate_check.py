"""`blotter evaluate --json` on 1-minute bars against the bars themselves:
window volume (exact: the prints add up to each bar's volume), the target
size p/(1-p) of it, participation, and the window VWAP against the bars'
typical price (O+H+L+C)/4 (an approximation: the prints walk the bar's range)."""
import json
import sys
import numpy as np
import pandas as pd
import tape

name, path = sys.argv[1], sys.argv[2]
doc = json.load(open(path))
p = doc["participation"]
b = tape.bars(name)
b["typ"] = (b.open + b.high + b.low + b.close) / 4
rows = []
for w in doc["windows"]:
    s, e = pd.to_datetime(w["start"], unit="ns", utc=True), pd.to_datetime(w["end"], unit="ns", utc=True)
    x = b[(b.ts >= s) & (b.ts < e)]
    vol = x.volume.sum()
    vw = (x.typ * x.volume).sum() / vol
    s_ = 1 if w["side"] == "buy" else -1
    rows.append(dict(
        start=s, side=w["side"], vol_diff=w["window_volume"] - vol, qty=w["qty"], qty_indep=p / (1 - p) * vol,
        part=w["participation"], part_indep=w["filled"] / (vol + w["filled"]),
        vwap_bps=(w["interval_vwap"] - vw) / vw * 1e4,
        slip=w["slippage_bps"], slip_indep=s_ * (w["avg_px"] - w["interval_vwap"]) / w["interval_vwap"] * 1e4,
        dec_sum=sum(w["decomposition"][k] for k in ["schedule_bps", "execution_bps", "impact_bps"]),
    ))
r = pd.DataFrame(rows)
print(f"{name}: {len(r)} windows, participation target {p}")
print("window volume, largest |blotter - bars|:", r.vol_diff.abs().max())
print("qty / (p/(1-p) x volume): min %.6f max %.6f" % ((r.qty / r.qty_indep).min(), (r.qty / r.qty_indep).max()))
print("participation largest |diff|: %.2e" % (r.part - r.part_indep).abs().max())
print("interval VWAP vs typical-price VWAP, bps: median %.3f, largest |.| %.3f" % (r.vwap_bps.median(), r.vwap_bps.abs().max()))
print("slippage recomputed, largest |diff| bps: %.2e" % (r.slip - r.slip_indep).abs().max())
print("schedule+execution+impact - slippage, largest |.| bps: %.2e" % (r.dec_sum - r.slip).abs().max())
for sd in ["buy", "sell"]:
    a = r[r.side == sd].slip.abs().sort_values().values
    n = len(a)
    print(sd, "median |slip| %.2f p90 (nearest rank) %.2f worst %.2f mean signed %.2f" % (
        np.median(a), a[int(np.ceil(0.9 * n)) - 1], a.max(), r[r.side == sd].slip.mean()))
print(json.dumps(doc["by_side"])[:1200])
