//! `:export FILE`: the orders the blotter shows, as CSV with every figure
//! exact (no separators, no compact units) and times in ISO 8601 with the
//! desk zone's offset, so a spreadsheet reads them back as they are.

use super::app::App;

/// The CSV of the orders shown, in display order.
pub fn csv(app: &App) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "id",
        "created",
        "desk",
        "user",
        "symbol",
        "side",
        "qty",
        "filled",
        "leaves",
        "avg_px",
        "arrival_px",
        "slippage_bps",
        "notional",
        "currency",
        "fees",
        "algo",
        "status",
        "done_at",
    ]);
    for id in app.table.shown_orders(&app.orders) {
        let Some(r) = app.orders.iter().find(|o| o.order.id == id) else { continue };
        let o = &r.order;
        let inst = app.instrument(&o.symbol);
        let quote_per = inst.map_or(1, |i| i.quote_per.max(1));
        let iso = |t: crate::model::Timestamp| t.in_tz(app.tz).to_rfc3339();
        let opt = |p: Option<crate::model::Price>| p.map_or_else(String::new, |p| p.to_string());
        let leaves = if o.status.is_terminal() { crate::model::Qty::ZERO } else { o.leaves() };
        let _ = w.write_record([
            o.id.to_string(),
            iso(o.created_at),
            o.owner.tenant.to_string(),
            o.owner.user.to_string(),
            o.symbol.to_string(),
            o.side.as_str().to_string(),
            o.qty.to_string(),
            o.filled.to_string(),
            leaves.to_string(),
            opt(o.avg_px()),
            opt(o.arrival_px),
            r.slippage_bps.map_or_else(String::new, |b| format!("{b:.4}")),
            super::format::notional_text(o.notional, quote_per),
            inst.map_or_else(String::new, |i| i.currency.to_string()),
            o.fees.to_string(),
            o.algo.as_str().to_string(),
            o.status.as_str().to_string(),
            o.done_at.map_or_else(String::new, iso),
        ]);
    }
    w.into_inner().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default()
}
