//! Turns criterion's saved results into markdown tables with ratios, so a benchmark
//! run ends with the comparison this project reports (same run, ratios, not single
//! absolute times).
//!
//! Criterion writes `target/criterion/<group>/<function>[/<value>]/new/` with
//! `benchmark.json` (names, throughput) and `estimates.json` (the median). Rows are
//! grouped by benchmark group and input value; within a group the baseline is this
//! project's row (the shortest function name starting with `ws-`), and every row gets
//! `time / baseline time` (above 1: slower than ours).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::Value;

/// One measured benchmark.
struct Row {
    group: String,
    function: String,
    value: String,
    median_ns: f64,
    throughput: Option<(String, f64)>,
}

fn find_results(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "new") {
                out.push(path);
            } else if path
                .file_name()
                .is_some_and(|n| n != "report" && n != "base")
            {
                find_results(&path, out);
            }
        }
    }
}

fn read_row(dir: &Path) -> Option<Row> {
    let bench: Value =
        serde_json::from_str(&fs::read_to_string(dir.join("benchmark.json")).ok()?).ok()?;
    let est: Value =
        serde_json::from_str(&fs::read_to_string(dir.join("estimates.json")).ok()?).ok()?;
    let throughput = bench["throughput"].as_object().and_then(|t| {
        let (kind, amount) = t.iter().next()?;
        Some((kind.clone(), amount.as_f64()?))
    });
    Some(Row {
        group: bench["group_id"].as_str()?.to_string(),
        function: bench["function_id"].as_str().unwrap_or("").to_string(),
        value: bench["value_str"].as_str().unwrap_or("").to_string(),
        median_ns: est["median"]["point_estimate"].as_f64()?,
        throughput,
    })
}

fn human_time(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.2} ns")
    }
}

fn human_rate(kind: &str, amount: f64, ns: f64) -> String {
    let per_second = amount * 1e9 / ns;
    match kind {
        "Bytes" | "BytesDecimal" => format!("{:.2} GiB/s", per_second / (1u64 << 30) as f64),
        _ if per_second >= 1e6 => format!("{:.2} M/s", per_second / 1e6),
        _ => format!("{:.1} K/s", per_second / 1e3),
    }
}

/// Prints the tables for every result written at or after `since` (all when `None`).
pub(crate) fn print(criterion_dir: &Path, since: Option<SystemTime>) -> Result<(), String> {
    let mut dirs = Vec::new();
    find_results(criterion_dir, &mut dirs);
    let mut tables: BTreeMap<(String, String), Vec<Row>> = BTreeMap::new();
    for dir in dirs {
        let fresh = since.is_none_or(|t| {
            fs::metadata(dir.join("estimates.json"))
                .and_then(|m| m.modified())
                .is_ok_and(|m| m >= t)
        });
        if let (true, Some(row)) = (fresh, read_row(&dir)) {
            tables
                .entry((row.group.clone(), row.value.clone()))
                .or_default()
                .push(row);
        }
    }
    if tables.is_empty() {
        return Err(format!(
            "no criterion results under {}",
            criterion_dir.display()
        ));
    }
    println!("| benchmark | input | implementation | median | throughput | time / ours |");
    println!("|---|---|---|---:|---:|---:|");
    for ((group, value), mut rows) in tables {
        rows.sort_by(|a, b| a.function.cmp(&b.function));
        let baseline = rows
            .iter()
            .filter(|r| r.function.starts_with("ws-"))
            .min_by_key(|r| r.function.len())
            .map(|r| r.median_ns);
        for row in &rows {
            let rate = row
                .throughput
                .as_ref()
                .map(|(kind, amount)| human_rate(kind, *amount, row.median_ns))
                .unwrap_or_default();
            let ratio = baseline
                .map(|b| format!("{:.2}", row.median_ns / b))
                .unwrap_or_default();
            println!(
                "| {group} | {value} | {} | {} | {rate} | {ratio} |",
                row.function,
                human_time(row.median_ns)
            );
        }
    }
    Ok(())
}
