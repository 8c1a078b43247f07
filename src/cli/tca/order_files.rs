//! ORDERS.csv and FILLS.csv of the batch form. Both need a header row;
//! columns are found by name (the fills file takes the same names as the
//! single-order form's, plus `order_id`).

use crate::market::replay::csv::{Col, FILL_COLS, ImportError, fill_row, parse_price, parse_qty, parse_time, rows};
use crate::model::{Price, Qty, Side};
use crate::tca::batch::{FillSpec, OrderSpec, Source};
use std::path::Path;
use std::sync::Arc;

const ORDER_ID: Col =
    Col { name: "order_id", aliases: &["order_id", "orderid", "id", "clordid", "cl_ord_id"], required: true };

const ORDER_COLS: [Col; 14] = [
    ORDER_ID,
    Col { name: "symbol", aliases: &["symbol", "sym", "ticker", "instrument"], required: true },
    Col { name: "side", aliases: &["side"], required: true },
    Col { name: "qty", aliases: &["qty", "quantity", "order_qty", "shares", "size"], required: true },
    Col { name: "arrival", aliases: &["arrival", "arrival_time", "start", "sent", "placed"], required: true },
    Col { name: "end", aliases: &["end", "end_time", "done", "done_time", "cancelled", "completed"], required: true },
    Col { name: "decision_px", aliases: &["decision_px", "decision_price"], required: false },
    Col { name: "decision_time", aliases: &["decision_time", "decided"], required: false },
    Col { name: "broker", aliases: &["broker", "exec_broker"], required: false },
    Col { name: "algo", aliases: &["algo", "strategy", "algorithm"], required: false },
    Col { name: "trader", aliases: &["trader"], required: false },
    Col { name: "desk", aliases: &["desk"], required: false },
    Col { name: "limit_px", aliases: &["limit_px", "limit", "limit_price"], required: false },
    Col { name: "quote_per", aliases: &["quote_per", "price_per"], required: false },
];

fn positive_price(s: &str) -> Result<Price, String> {
    parse_price(s).and_then(|p| if p.is_positive() { Ok(p) } else { Err(format!("{p} is not a positive price")) })
}

/// Reads the orders file (a header row is required).
pub fn read_orders(path: &Path) -> Result<Vec<OrderSpec>, ImportError> {
    let file: Arc<str> = path.display().to_string().into();
    let mut out = Vec::new();
    let c = &ORDER_COLS;
    rows(path, c, |r, l| {
        let ix = &l.ix;
        if l.names[0].is_none() {
            return Err(r.err("order_id", "the orders file needs a header row naming its columns"));
        }
        let text = |k: usize| r.opt(ix[k]).map(str::to_string);
        out.push(OrderSpec {
            id: r.parse(&c[0], ix[0], |s| Ok(s.to_string()))?,
            symbol: r.parse(&c[1], ix[1], |s| Ok(s.to_string()))?,
            side: r.parse(&c[2], ix[2], |s| s.parse::<Side>())?,
            qty: r.parse(&c[3], ix[3], |s| {
                let q = parse_qty(s).or_else(|e| Qty::parse_human(s).map_err(|_| e))?;
                if q.is_positive() { Ok(q) } else { Err(format!("{q} is not a positive quantity")) }
            })?,
            arrival: r.parse(&c[4], ix[4], parse_time)?,
            end: r.parse(&c[5], ix[5], parse_time)?,
            decision_px: r.parse_opt(&c[6], ix[6], positive_price)?,
            decision_time: r.parse_opt(&c[7], ix[7], parse_time)?,
            broker: text(8),
            algo: text(9),
            trader: text(10),
            desk: text(11),
            limit_px: r.parse_opt(&c[12], ix[12], positive_price)?,
            quote_per: r
                .parse_opt(&c[13], ix[13], |s| match s.parse::<i64>() {
                    Ok(n) if n >= 1 => Ok(n),
                    _ => Err(format!("'{s}' is not a positive whole number (1, or 100 for bonds quoted per 100)")),
                })?
                .unwrap_or(1),
            source: Source { file: file.clone(), line: r.line },
        });
        Ok(())
    })?;
    Ok(out)
}

/// Reads the fills file of the batch form: `order_id` plus the fill columns (a header row is required).
pub fn read_order_fills(path: &Path) -> Result<Vec<FillSpec>, ImportError> {
    let file: Arc<str> = path.display().to_string().into();
    let cols: Vec<Col> = std::iter::once(ORDER_ID).chain(FILL_COLS.iter().copied()).collect();
    let mut out = Vec::new();
    rows(path, &cols, |r, l| {
        if l.names[0].is_none() {
            return Err(r.err("order_id", "the fills file needs a header row naming its columns, order_id among them"));
        }
        let order_id = r.parse(&cols[0], l.ix[0], |s| Ok(s.to_string()))?;
        let f = fill_row(r, &l.ix[1..])?;
        out.push(FillSpec { order_id, exec: f, source: Source { file: file.clone(), line: r.line } });
        Ok(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_read_every_column_and_name_bad_ones() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("orders.csv");
        std::fs::write(
            &p,
            "order_id,symbol,side,qty,arrival,end,decision_px,decision_time,broker,algo,trader,desk,limit_px,quote_per\n\
             A1,AAPL,buy,1000,2026-11-25T14:30:00Z,1795630800000,,2026-11-24T21:00:00Z,GS,VWAP,ann,EQ,191.5,\n\
             B2,UST10Y,sell,5m,2026-11-25T14:30:00Z,2026-11-25T15:30:00Z,98.5,,MS,,,,,100\n",
        )
        .unwrap();
        let o = read_orders(&p).unwrap();
        assert_eq!(o.len(), 2);
        assert_eq!((o[0].id.as_str(), o[0].side, o[0].qty), ("A1", Side::Buy, Qty::from_int(1000)));
        assert_eq!(o[0].end, parse_time("2026-11-25T18:20:00Z").unwrap());
        assert_eq!(o[0].decision_time, Some(parse_time("2026-11-24T21:00:00Z").unwrap()));
        assert_eq!(
            (o[0].broker.as_deref(), o[0].algo.as_deref(), o[0].desk.as_deref()),
            (Some("GS"), Some("VWAP"), Some("EQ"))
        );
        assert_eq!(o[1].quote_per, 100);
        assert_eq!(o[1].decision_px, Some("98.5".parse().unwrap()));
        assert_eq!(o[1].source.line, 3);

        std::fs::write(
            &p,
            "order_id,symbol,side,qty,arrival,end\nA1,AAPL,hold,1000,2026-11-25T14:30:00Z,2026-11-25T15:30:00Z\n",
        )
        .unwrap();
        let e = read_orders(&p).unwrap_err().to_string();
        assert!(e.ends_with("orders.csv:2: column 'side': side 'hold' is not one of: buy, sell"), "{e}");
        std::fs::write(&p, "order_id,symbol,side,qty,arrival\n").unwrap();
        let e = read_orders(&p).unwrap_err().to_string();
        assert!(e.contains("orders.csv:1: column 'end': missing from the header"), "{e}");
    }

    #[test]
    fn fills_need_an_order_id() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("fills.csv");
        std::fs::write(
            &p,
            "order_id,timestamp,price,qty,venue,fee,liquidity\nA1,2026-11-25T14:31:00Z,191.2,100,XNAS,0.5,maker\n",
        )
        .unwrap();
        let f = read_order_fills(&p).unwrap();
        assert_eq!(
            (f[0].order_id.as_str(), f[0].exec.venue.as_deref(), f[0].exec.maker),
            ("A1", Some("XNAS"), Some(true))
        );
        assert_eq!(f[0].source.line, 2);
        std::fs::write(&p, "timestamp,price,qty\n2026-11-25T14:31:00Z,191.2,100\n").unwrap();
        let e = read_order_fills(&p).unwrap_err().to_string();
        assert!(e.contains("column 'order_id': missing from the header"), "{e}");
    }
}
