"""Compare `blotter profile --json` with the independent profile (profile_check's rule) bucket by bucket."""
import json
import sys
import pandas as pd
import tape

name, minutes, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
doc = json.load(open(path))
b = tape.bars(name)
b["day"] = b.ts.dt.floor("D")
first, last = b.ts.min(), b.ts.max()
days = [d for d in sorted(b.day.unique()) if d >= first and d + pd.Timedelta("1D") <= last + pd.Timedelta("1min")]
b = b[b.day.isin(days)].copy()
b["bucket"] = (b.ts.dt.hour * 60 + b.ts.dt.minute) // minutes
per_day = b.groupby(["day", "bucket"]).volume.sum().unstack(fill_value=0)
prof = per_day.div(per_day.sum(axis=1), axis=0).mean()
print({k: v for k, v in doc.items() if not isinstance(v, (list, dict))})
shares = [x["share"] if isinstance(x, dict) else x for x in doc.get("buckets", doc.get("shares", []))]
worst = max(abs(a - b) for a, b in zip(shares, prof.values))
print(f"{name} {minutes}m: {len(shares)} buckets vs {len(prof)}; largest share difference {worst:.3e}; "
      f"mean volume independent {per_day.sum(axis=1).mean():.6f}")
