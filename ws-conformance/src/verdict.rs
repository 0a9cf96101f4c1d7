//! Verdicts, as the Autobahn TestSuite grades its cases.
//!
//! * **OK**: the strict expectation, as RFC 6455 / RFC 7692 and Autobahn's strict
//!   reading define it (the rules are in [`crate::check`]).
//! * **NON-STRICT**: behaviour the RFCs tolerate, or that harms nobody, but not the
//!   strict expectation: an acceptable close code other than the expected one,
//!   failing the connection late instead of fast, coalesced pongs, a valid message
//!   lost before a violation, a server that leaves the TCP close to the client.
//! * **FAILED**: wrong behaviour: an invalid message accepted, a wrong answer, a
//!   protocol violation by the peer, a close code that denies the error, no answer
//!   in time.
//! * **INFORMATIONAL**: no verdict; the case records what the peer did (where the
//!   RFCs leave the choice open).
//!
//! Every verdict but OK carries a one-line reason.

/// A case's grade.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    /// Strict pass.
    Ok,
    /// No verdict: behaviour recorded.
    Informational,
    /// Tolerated, not strict.
    NonStrict,
    /// Wrong.
    Failed,
}

impl Verdict {
    /// Every verdict, in report column order.
    pub const ALL: [Verdict; 4] = [
        Verdict::Ok,
        Verdict::NonStrict,
        Verdict::Failed,
        Verdict::Informational,
    ];

    /// The label used in reports and JSON (Autobahn's spelling).
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Ok => "OK",
            Verdict::NonStrict => "NON-STRICT",
            Verdict::Failed => "FAILED",
            Verdict::Informational => "INFORMATIONAL",
        }
    }

    /// The verdict for a label.
    pub fn from_label(label: &str) -> Option<Verdict> {
        Verdict::ALL.into_iter().find(|v| v.label() == label)
    }
}

/// A case's result: the verdict and, unless OK, why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The grade.
    pub verdict: Verdict,
    /// One line for every verdict but OK (OK may carry a note too).
    pub reason: String,
}

impl Outcome {
    /// A strict pass.
    pub fn ok() -> Self {
        Outcome {
            verdict: Verdict::Ok,
            reason: String::new(),
        }
    }

    /// A strict pass with a note (what was observed).
    pub fn ok_with(note: impl Into<String>) -> Self {
        Outcome {
            verdict: Verdict::Ok,
            reason: note.into(),
        }
    }

    /// Tolerated, not strict.
    pub fn non_strict(reason: impl Into<String>) -> Self {
        Outcome {
            verdict: Verdict::NonStrict,
            reason: reason.into(),
        }
    }

    /// Wrong.
    pub fn failed(reason: impl Into<String>) -> Self {
        Outcome {
            verdict: Verdict::Failed,
            reason: reason.into(),
        }
    }

    /// No verdict, with what was observed.
    pub fn info(reason: impl Into<String>) -> Self {
        Outcome {
            verdict: Verdict::Informational,
            reason: reason.into(),
        }
    }

    /// Whether this is a strict pass.
    pub fn is_ok(&self) -> bool {
        self.verdict == Verdict::Ok
    }

    /// Combines two stages of one case: the worse verdict wins (FAILED over
    /// NON-STRICT over INFORMATIONAL over OK) and the reasons of both non-OK stages
    /// are kept, in order.
    pub fn and(self, later: Outcome) -> Outcome {
        let verdict = self.verdict.max(later.verdict);
        let reasons: Vec<String> = [self, later]
            .into_iter()
            .filter(|o| {
                !o.reason.is_empty() && (o.verdict != Verdict::Ok || verdict == Verdict::Ok)
            })
            .map(|o| o.reason)
            .collect();
        Outcome {
            verdict,
            reason: reasons.join("; "),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worse_stage_wins_and_keeps_its_reason() {
        let o = Outcome::ok_with("echoed").and(Outcome::non_strict("late"));
        assert_eq!(o, Outcome::non_strict("late"));
        let o = Outcome::non_strict("a").and(Outcome::failed("b"));
        assert_eq!((o.verdict, o.reason.as_str()), (Verdict::Failed, "a; b"));
        assert_eq!(Outcome::ok().and(Outcome::ok()), Outcome::ok());
        assert_eq!(
            Outcome::info("x").and(Outcome::ok()).verdict,
            Verdict::Informational
        );
    }

    #[test]
    fn labels_round_trip() {
        for v in Verdict::ALL {
            assert_eq!(Verdict::from_label(v.label()), Some(v));
        }
    }
}
