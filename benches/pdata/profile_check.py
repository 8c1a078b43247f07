"""Independent learned volume profile: each whole UTC day cut into buckets,
bucket volume / day volume, averaged with each day weighing the same."""
import sys
import tape

name = sys.argv[1] if len(sys.argv) > 1 else "ETH"
hours = int(sys.argv[2]) if len(sys.argv) > 2 else 1
b = tape.bars(name)
b["day"] = b.ts.dt.floor("D")
first, last = b.ts.min(), b.ts.max()
days = [d for d in sorted(b.day.unique()) if d >= first and d + __import__("pandas").Timedelta("1D") <= last + __import__("pandas").Timedelta("1min")]
b = b[b.day.isin(days)]
b["bucket"] = b.ts.dt.hour // hours
per_day = b.groupby(["day", "bucket"]).volume.sum().unstack(fill_value=0)
shares = per_day.div(per_day.sum(axis=1), axis=0)
prof = shares.mean()
print("days", [str(d.date()) for d in days])
print("mean daily volume", per_day.sum(axis=1).mean())
cum = 0
for k, v in prof.items():
    cum += v
    print(f"{k*hours:02d}:00 {v*100:.4f}% cum {cum*100:.4f}%")
