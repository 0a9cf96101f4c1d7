//! Results as JSON and as markdown: a table of verdict counts per section for each
//! role, and every case that is not OK with its reason.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::cases::section_name;
use crate::runner::CaseResult;
use crate::verdict::{Outcome, Verdict};

/// The results of one role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleReport {
    /// `client` (the suite as client, testing a server) or `server`.
    pub role: String,
    /// What was tested: the URL, or the client command.
    pub peer: String,
    /// Every case, in order.
    pub results: Vec<CaseResult>,
}

impl RoleReport {
    /// A heading for this role.
    pub fn title(&self) -> String {
        match self.role.as_str() {
            "client" => format!("Suite as client, against the server at {}", self.peer),
            "server" => format!("Suite as server, against the client `{}`", self.peer),
            other => format!("Suite as {other}, against {}", self.peer),
        }
    }

    /// Verdict counts per section, in [`Verdict::ALL`] order.
    pub fn counts(&self) -> BTreeMap<u8, [usize; 4]> {
        let mut counts: BTreeMap<u8, [usize; 4]> = BTreeMap::new();
        for r in &self.results {
            let row = counts.entry(r.section).or_default();
            let col = Verdict::ALL
                .iter()
                .position(|v| *v == r.outcome.verdict)
                .expect("every verdict has a column");
            row[col] += 1;
        }
        counts
    }

    /// Whether any case is FAILED or NON-STRICT.
    pub fn has_problems(&self) -> bool {
        self.results
            .iter()
            .any(|r| matches!(r.outcome.verdict, Verdict::Failed | Verdict::NonStrict))
    }

    /// The JSON form.
    pub fn to_json(&self) -> Value {
        let cases: Vec<Value> = self
            .results
            .iter()
            .map(|r| {
                json!({
                    "id": r.id,
                    "section": r.section,
                    "description": r.description,
                    "expectation": r.expectation,
                    "deflate": r.deflate,
                    "verdict": r.outcome.verdict.label(),
                    "reason": r.outcome.reason,
                    "millis": r.millis,
                    "peer_exit": r.peer_exit,
                })
            })
            .collect();
        let counts: BTreeMap<String, Value> = self
            .counts()
            .into_iter()
            .map(|(s, c)| {
                let row: BTreeMap<&str, usize> = Verdict::ALL
                    .iter()
                    .zip(c)
                    .map(|(v, n)| (v.label(), n))
                    .collect();
                (s.to_string(), json!(row))
            })
            .collect();
        json!({ "role": self.role, "peer": self.peer, "counts": counts, "cases": cases })
    }

    /// Reads the JSON form back.
    pub fn from_json(v: &Value) -> Result<RoleReport, String> {
        let s = |v: &Value, k: &str| -> Result<String, String> {
            v.get(k)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| format!("missing string {k:?}"))
        };
        let mut results = Vec::new();
        for c in v
            .get("cases")
            .and_then(Value::as_array)
            .ok_or("missing \"cases\"")?
        {
            let verdict = Verdict::from_label(&s(c, "verdict")?).ok_or("unknown verdict")?;
            results.push(CaseResult {
                id: s(c, "id")?,
                section: c
                    .get("section")
                    .and_then(Value::as_u64)
                    .and_then(|n| u8::try_from(n).ok())
                    .ok_or("missing section")?,
                description: s(c, "description")?,
                expectation: s(c, "expectation")?,
                deflate: c.get("deflate").and_then(Value::as_str).map(str::to_owned),
                outcome: Outcome {
                    verdict,
                    reason: s(c, "reason")?,
                },
                millis: c.get("millis").and_then(Value::as_u64).unwrap_or(0),
                peer_exit: c
                    .get("peer_exit")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            });
        }
        Ok(RoleReport {
            role: s(v, "role")?,
            peer: s(v, "peer")?,
            results,
        })
    }
}

/// The markdown table of verdict counts per section for one role.
pub fn table(report: &RoleReport) -> String {
    let mut out = format!("### {}\n\n", report.title());
    out.push_str("| section | | OK | NON-STRICT | FAILED | INFORMATIONAL | cases |\n");
    out.push_str("|---:|---|---:|---:|---:|---:|---:|\n");
    let mut total = [0usize; 4];
    for (section, c) in report.counts() {
        for (t, n) in total.iter_mut().zip(c) {
            *t += n;
        }
        out.push_str(&format!(
            "| {section} | {} | {} | {} | {} | {} | {} |\n",
            section_name(section),
            c[0],
            c[1],
            c[2],
            c[3],
            c.iter().sum::<usize>()
        ));
    }
    out.push_str(&format!(
        "| all | | {} | {} | {} | {} | {} |\n",
        total[0],
        total[1],
        total[2],
        total[3],
        total.iter().sum::<usize>()
    ));
    out
}

/// Every case of a role that is not OK, with its verdict and reason.
pub fn not_ok(report: &RoleReport) -> String {
    let rows: Vec<String> = report
        .results
        .iter()
        .filter(|r| !r.outcome.is_ok())
        .map(|r| {
            format!(
                "- `{}` **{}**: {} — _{}_",
                r.id,
                r.outcome.verdict.label(),
                r.outcome.reason,
                r.description
            )
        })
        .collect();
    let role = &report.role;
    if rows.is_empty() {
        format!("Every case is OK (suite as {role}).\n")
    } else {
        format!(
            "#### Not OK (suite as {role}): {} case(s)\n\n{}\n",
            rows.len(),
            rows.join("\n")
        )
    }
}

/// The whole report: the tables, then the cases that are not OK, per role.
pub fn markdown(reports: &[RoleReport]) -> String {
    let mut out =
        String::from("## Conformance (ws-conformance, in the style of the Autobahn TestSuite)\n\n");
    out.push_str(
        "Verdicts: OK = strict pass; NON-STRICT = tolerated, not the strict expectation; \
         FAILED = wrong; INFORMATIONAL = no verdict (behaviour recorded).\n\n",
    );
    for r in reports {
        out.push_str(&table(r));
        out.push('\n');
    }
    for r in reports {
        out.push_str(&not_ok(r));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: &str, section: u8, outcome: Outcome) -> CaseResult {
        CaseResult {
            id: id.into(),
            section,
            description: format!("case {id}"),
            expectation: "strict".into(),
            deflate: None,
            outcome,
            millis: 3,
            peer_exit: None,
        }
    }

    fn sample() -> RoleReport {
        RoleReport {
            role: "client".into(),
            peer: "ws://127.0.0.1:1/echo".into(),
            results: vec![
                result("1.1.1", 1, Outcome::ok()),
                result("2.10", 2, Outcome::non_strict("pongs coalesced")),
                result("2.11", 2, Outcome::ok()),
                result("7.13.1", 7, Outcome::info("answered with close 1002")),
                result("9.3.1", 9, Outcome::failed("closed with 1009")),
            ],
        }
    }

    #[test]
    fn counts_and_problems() {
        let r = sample();
        let counts = r.counts();
        assert_eq!(counts[&2], [1, 1, 0, 0]);
        assert_eq!(counts[&7], [0, 0, 0, 1]);
        assert!(r.has_problems());
        let fine = RoleReport {
            results: vec![
                result("1.1.1", 1, Outcome::ok()),
                result("7.13.1", 7, Outcome::info("x")),
            ],
            ..sample()
        };
        assert!(!fine.has_problems());
    }

    #[test]
    fn json_round_trips() {
        let r = sample();
        assert_eq!(RoleReport::from_json(&r.to_json()).unwrap(), r);
    }

    #[test]
    fn markdown_lists_every_case_that_is_not_ok() {
        let text = markdown(&[sample()]);
        assert!(
            text.contains("| 2 | Pings and pongs | 1 | 1 | 0 | 0 | 2 |"),
            "{text}"
        );
        assert!(text.contains("| all | | 2 | 1 | 1 | 1 | 5 |"), "{text}");
        assert!(text.contains("`2.10` **NON-STRICT**: pongs coalesced"));
        assert!(text.contains("`9.3.1` **FAILED**"));
        assert!(text.contains("`7.13.1` **INFORMATIONAL**"));
        assert!(!text.contains("`1.1.1`"));
    }
}
