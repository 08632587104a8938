//! `policies/retention.toml`: how long each kind of data is kept, and when the sweep runs.
//!
//! Each rule has a period (days or calendar months; none for data that lives as long as the
//! account or the system), a cron schedule for the sweep, and either governs tables (they
//! name it in the data map with `retention = "..."`), a file store (`store = "backups"`), or
//! whole accounts that erasure removes (`accounts = "unverified"`).
//!
//! Schedules use the `cron` crate's syntax: six or seven fields,
//! `sec min hour day-of-month month day-of-week [year]`, with Sunday as 1 in the
//! day-of-week field (or use names: `Sun`, `Mon`, ...). A classic five-field crontab line is
//! rejected with the six-field form to use instead.
//!
//! Promises the published policy states in fixed words are checked here too, so a policy
//! file cannot drift from them (see [`PROMISES`]).

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use chrono::{DateTime, Months, Utc};
use serde::Deserialize;

use crate::base::clock::DAY_MS;
use crate::policy::error::{PolicyError, toml_error};

/// The retention rules, by name.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionRules {
    /// File format version; only `1` is understood.
    pub version: u32,
    /// Rule name → rule.
    pub rules: BTreeMap<String, RetentionRule>,
}

/// A file store a rule can govern instead of tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Store {
    /// Database backups in the backup directory (policy: "rotated on a 30-day cycle").
    Backups,
    /// Emails written as `.eml` files by the file transport (`DATA_DIR/mail`), pruned by
    /// their modification time.
    MailFiles,
    /// Files of the upload and export stores (`DATA_DIR/files`, `DATA_DIR/exports`) that no
    /// record names (bytes of an upload whose request failed, staging files a killed process
    /// left, an archive whose row a restore rolled back), pruned by their modification time.
    UnrecordedFiles,
}

/// Accounts a rule erases whole (with the erasure the data map describes), instead of
/// sweeping rows of tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountSet {
    /// Accounts whose email address was never confirmed, counted from sign-up
    /// (`accounts.created_at`): the address may be someone else's, who never agreed to an
    /// account.
    Unverified,
}

/// One retention rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionRule {
    /// What the rule keeps and for how long, in words published to data subjects.
    pub description: String,
    /// Why this period (for the record of processing).
    pub justification: String,
    /// Rows older than this many days are removed.
    pub period_days: Option<u32>,
    /// Rows older than this many calendar months are removed (e.g. email log: 12).
    pub period_months: Option<u32>,
    /// When the sweep runs (cron, six or seven fields, UTC unless the scheduler is given a
    /// time zone). Required for rules with a period.
    pub schedule: Option<String>,
    /// The file store this rule governs, for rules that govern no table.
    pub store: Option<Store>,
    /// The accounts this rule erases, for rules that govern no table.
    pub accounts: Option<AccountSet>,
    /// The parsed schedule.
    #[serde(skip)]
    pub parsed_schedule: Option<cron::Schedule>,
}

/// A length of time in the units a rule states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// Whole days.
    Days(u32),
    /// Calendar months.
    Months(u32),
}

/// A period the published privacy policy states, which the rule must keep to.
#[derive(Debug, Clone, Copy)]
pub struct Promise {
    /// Rule name.
    pub rule: &'static str,
    /// Longest period allowed, if the policy caps it.
    pub max: Option<Period>,
    /// Shortest period allowed, if something else needs the data that long.
    pub min: Option<Period>,
    /// Where the bound comes from.
    pub source: &'static str,
}

/// Bounds from the privacy policy's fixed wording and from other rules' needs, checked at
/// load time. (Periods the published policy states from this file, like the email log's,
/// need no bound here: the page follows the file.)
pub const PROMISES: &[Promise] = &[Promise {
    rule: "backups",
    max: Some(Period::Days(30)),
    min: Some(Period::Days(30)),
    source: "policy: \"Backups are rotated on a 30-day cycle\"",
}];

impl Period {
    /// Whether a period of `self` is certainly no longer than `other` (months are 28 to 31
    /// days, so mixed units are compared conservatively).
    pub fn at_most(self, other: Period) -> bool {
        match (self, other) {
            (Period::Days(a), Period::Days(b)) | (Period::Months(a), Period::Months(b)) => a <= b,
            (Period::Days(a), Period::Months(b)) => a <= b.saturating_mul(28),
            (Period::Months(a), Period::Days(b)) => a.saturating_mul(31) <= b,
        }
    }
}

impl RetentionRule {
    /// The period in words, e.g. "12 months", or "no fixed period".
    pub fn period_text(&self) -> String {
        match (self.period_days, self.period_months) {
            (Some(d), _) => format!("{d} days"),
            (None, Some(m)) => format!("{m} months"),
            (None, None) => "no fixed period".to_string(),
        }
    }

    /// Whether the rule governs tables of the data map (not a file store, not accounts).
    pub fn governs_tables(&self) -> bool {
        self.store.is_none() && self.accounts.is_none()
    }

    /// Whether the rule removes data after a period (and so is swept).
    pub fn has_period(&self) -> bool {
        self.period_days.is_some() || self.period_months.is_some()
    }

    /// The rule's period, if it has one.
    pub fn period(&self) -> Option<Period> {
        match (self.period_days, self.period_months) {
            (Some(d), _) => Some(Period::Days(d)),
            (None, Some(m)) => Some(Period::Months(m)),
            (None, None) => None,
        }
    }

    /// When data whose clock reads `start_ms` is past the period (Unix ms): the first sweep
    /// at or after it removes it. `None` for rules with no period.
    pub fn ends_at_ms(&self, start_ms: i64) -> Option<i64> {
        if let Some(days) = self.period_days {
            return Some(start_ms + i64::from(days) * DAY_MS);
        }
        let months = self.period_months?;
        let start = DateTime::<Utc>::from_timestamp_millis(start_ms)?;
        start
            .checked_add_months(Months::new(months))
            .map(|t| t.timestamp_millis())
    }

    /// The cut-off for a sweep at `now_ms`: rows whose clock column is strictly older are
    /// past their retention period; a row at exactly the period is kept. Calendar months
    /// follow chrono (2028-02-29 minus 12 months is 2027-02-28). `None` for rules with no
    /// period.
    pub fn cutoff_ms(&self, now_ms: i64) -> Option<i64> {
        if let Some(days) = self.period_days {
            return Some(now_ms - i64::from(days) * DAY_MS);
        }
        let months = self.period_months?;
        let now = DateTime::<Utc>::from_timestamp_millis(now_ms)?;
        now.checked_sub_months(Months::new(months))
            .map(|t| t.timestamp_millis())
    }
}

/// Parses a cron schedule, explaining the six-field form when given a five-field line.
///
/// Errors: a message for the policy error's reason.
pub fn parse_schedule(text: &str) -> Result<cron::Schedule, String> {
    let fields = text.split_whitespace().count();
    if fields == 5 {
        return Err(format!(
            "{text:?} has five fields; the cron crate needs six or seven with seconds first, \
             e.g. \"0 {text}\" (sec min hour day-of-month month day-of-week; Sunday is 1)"
        ));
    }
    let schedule = cron::Schedule::from_str(text)
        .map_err(|e| format!("{text:?} is not a valid schedule: {e}"))?;
    if schedule.upcoming(Utc).next().is_none() {
        return Err(format!(
            "{text:?} never fires (e.g. February 31st): the sweep would never run"
        ));
    }
    Ok(schedule)
}

impl RetentionRules {
    /// Parses and validates the text of `path`.
    ///
    /// Errors (file, key, reason): bad TOML or unknown keys; both `period_days` and
    /// `period_months`; a period without a schedule; a bad or five-field schedule; an empty
    /// description or justification; a period breaking a [`PROMISES`] bound; a rule for a
    /// store with no period.
    pub fn parse(path: &Path, text: &str) -> Result<Self, PolicyError> {
        let mut rules: RetentionRules = toml::from_str(text).map_err(|e| toml_error(path, e))?;
        if rules.version != 1 {
            return Err(PolicyError::new(
                path,
                "version",
                "only version 1 is supported",
            ));
        }
        for (name, rule) in &mut rules.rules {
            validate_rule(path, name, rule)?;
        }
        for promise in PROMISES {
            if let Some(rule) = rules.rules.get(promise.rule) {
                check_promise(path, promise, rule)?;
            }
        }
        Ok(rules)
    }
}

fn validate_rule(path: &Path, name: &str, rule: &mut RetentionRule) -> Result<(), PolicyError> {
    let key = |k: &str| format!("rules.{name}.{k}");
    if rule.period_days.is_some() && rule.period_months.is_some() {
        return Err(PolicyError::new(
            path,
            key("period_days"),
            "give period_days or period_months, not both",
        ));
    }
    if rule.description.trim().is_empty() {
        return Err(PolicyError::new(
            path,
            key("description"),
            "must not be empty",
        ));
    }
    if rule.justification.trim().is_empty() {
        return Err(PolicyError::new(
            path,
            key("justification"),
            "must not be empty",
        ));
    }
    if rule.store.is_some() && rule.accounts.is_some() {
        return Err(PolicyError::new(
            path,
            key("accounts"),
            "a rule governs a file store or accounts, not both",
        ));
    }
    if rule.accounts.is_some() && !rule.has_period() {
        return Err(PolicyError::new(
            path,
            key("accounts"),
            "a rule that erases accounts needs a period",
        ));
    }
    if rule.store.is_some() && !rule.has_period() {
        return Err(PolicyError::new(
            path,
            key("store"),
            "a rule for a file store needs a period",
        ));
    }
    match (&rule.schedule, rule.has_period()) {
        (Some(text), _) => {
            let schedule = parse_schedule(text)
                .map_err(|reason| PolicyError::new(path, key("schedule"), reason))?;
            rule.parsed_schedule = Some(schedule);
        }
        (None, true) => {
            return Err(PolicyError::new(
                path,
                key("schedule"),
                "a rule with a period needs a schedule for its sweep, e.g. \"0 0 3 * * *\" (03:00 every day)",
            ));
        }
        (None, false) => {}
    }
    Ok(())
}

fn check_promise(path: &Path, promise: &Promise, rule: &RetentionRule) -> Result<(), PolicyError> {
    let key = format!("rules.{}", promise.rule);
    let Some(period) = rule.period() else {
        return Err(PolicyError::new(
            path,
            key,
            format!("needs a period ({})", promise.source),
        ));
    };
    if promise.max.is_some_and(|max| !period.at_most(max)) {
        return Err(PolicyError::new(
            path,
            key,
            format!(
                "{} is longer than allowed by {}",
                rule.period_text(),
                promise.source
            ),
        ));
    }
    if promise.min.is_some_and(|min| !min.at_most(period)) {
        return Err(PolicyError::new(
            path,
            key,
            format!(
                "{} is shorter than needed by {}",
                rule.period_text(),
                promise.source
            ),
        ));
    }
    Ok(())
}

/// A rule's period in words for data subjects ("12 months", "1 day", "until it expires"), or
/// `None` for rules bound to the account's or the system's lifetime.
pub fn period_words(rule: &RetentionRule) -> Option<String> {
    match (rule.period_days, rule.period_months) {
        (Some(0), _) => Some("until it expires".into()),
        (Some(1), _) => Some("1 day".into()),
        (Some(d), _) => Some(format!("{d} days")),
        (None, Some(1)) => Some("1 month".into()),
        (None, Some(m)) => Some(format!("{m} months")),
        (None, None) => None,
    }
}

/// A period as a rule states it: `(period_days, period_months)`.
type PeriodValue = (Option<u32>, Option<u32>);

/// The number a word of a period names: figures ("30"), and the number words a policy
/// writes periods with ("thirty days", "one year", "Twelve months"), so a period spelt
/// out is checked like one in figures.
fn period_number(word: &str) -> Option<u32> {
    if let Ok(n) = word.parse::<u32>() {
        return Some(n);
    }
    const WORDS: [(&str, u32); 17] = [
        ("one", 1),
        ("two", 2),
        ("three", 3),
        ("four", 4),
        ("five", 5),
        ("six", 6),
        ("seven", 7),
        ("eight", 8),
        ("nine", 9),
        ("ten", 10),
        ("eleven", 11),
        ("twelve", 12),
        ("fourteen", 14),
        ("eighteen", 18),
        ("thirty", 30),
        ("sixty", 60),
        ("ninety", 90),
    ];
    let lower = word.to_ascii_lowercase();
    WORDS.iter().find(|(w, _)| *w == lower).map(|(_, n)| *n)
}

/// The periods `text` states, as written ("3 years", "thirty days", "two weeks") with
/// their value (3 years = 36 months, a week = 7 days). A minimum ("at least 6 years") is
/// not a deletion promise and is left out.
fn stated_periods(text: &str) -> Vec<(String, PeriodValue)> {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == '-' || c == '(')
        .collect();
    let mut found = Vec::new();
    for (i, pair) in words.windows(2).enumerate() {
        let Some(n) = period_number(pair[0]) else {
            continue;
        };
        let minimum = i >= 2
            && words[i - 2].eq_ignore_ascii_case("at")
            && words[i - 1].eq_ignore_ascii_case("least");
        let unit = pair[1]
            .trim_end_matches(|c: char| !c.is_ascii_alphabetic())
            .to_ascii_lowercase();
        let value = match unit.as_str() {
            _ if minimum => continue,
            "day" | "days" => (Some(n), None),
            "week" | "weeks" => (Some(n.saturating_mul(7)), None),
            "month" | "months" => (None, Some(n)),
            "year" | "years" => (None, Some(n.saturating_mul(12))),
            _ => continue,
        };
        found.push((format!("{} {unit}", pair[0]), value));
    }
    found
}

/// Checks that every period a retention rule's published description states ("7 days",
/// "12 months", "3 years" = 36 months) is the rule's own period, so the words can never
/// disagree with the sweep, and a stated period always has a sweep enforcing it (a rule
/// without a period that says "3 years" is refused). Minimums ("at least 6 years") are not
/// checked.
///
/// Errors: keyed `rules.NAME.description`, naming the figure and the period.
pub fn check_retention_figures(path: &Path, rules: &RetentionRules) -> Result<(), PolicyError> {
    for (name, rule) in &rules.rules {
        for (figure, stated) in stated_periods(&rule.description) {
            if stated != (rule.period_days, rule.period_months) {
                return Err(PolicyError::new(
                    path,
                    format!("rules.{name}.description"),
                    format!(
                        "says \"{figure}\" but the rule's period is {}: make the words and the period agree",
                        period_words(rule).unwrap_or_else(|| "not set".into())
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Checks that every period stated anywhere in the policy file `path` (any string value:
/// page text, a purpose, a cookie's lifetime) is the period of some retention rule, so a
/// published period always has a sweep behind it. The check is by figure: "7 days" is
/// enforced when some rule's period is 7 days.
///
/// Errors: keyed by the string's TOML path (`versions[2].text`), naming the figure.
pub fn check_stated_periods(
    path: &Path,
    text: &str,
    rules: &RetentionRules,
) -> Result<(), PolicyError> {
    let value: toml::Value = toml::from_str(text)
        .map_err(|e| PolicyError::new(path, "", format!("not valid TOML: {e}")))?;
    let enforced: Vec<PeriodValue> = rules
        .rules
        .values()
        .filter(|r| r.has_period())
        .map(|r| (r.period_days, r.period_months))
        .collect();
    let mut strings = Vec::new();
    collect_strings(&value, String::new(), &mut strings);
    for (key, s) in strings {
        for (figure, stated) in stated_periods(&s) {
            if !enforced.contains(&stated) {
                return Err(PolicyError::new(
                    path,
                    key,
                    format!(
                        "states a period of \"{figure}\" that no retention rule enforces: give the rule that keeps this data that period (retention.toml), or change the words"
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn collect_strings(value: &toml::Value, key: String, out: &mut Vec<(String, String)>) {
    match value {
        toml::Value::String(s) => out.push((key, s.clone())),
        toml::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                collect_strings(item, format!("{key}[{i}]"), out);
            }
        }
        toml::Value::Table(table) => {
            for (k, v) in table {
                let key = if key.is_empty() {
                    k.clone()
                } else {
                    format!("{key}.{k}")
                };
                collect_strings(v, key, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<RetentionRules, PolicyError> {
        RetentionRules::parse(Path::new("retention.toml"), &format!("version = 1\n{body}"))
    }

    #[test]
    fn both_periods_rejected() {
        let err = parse("[rules.x]\ndescription = \"d\"\njustification = \"j\"\nperiod_days = 1\nperiod_months = 1\nschedule = \"0 0 3 * * *\"\n").err();
        assert_eq!(err.map(|e| e.key), Some("rules.x.period_days".to_string()));
    }

    #[test]
    fn unknown_key_rejected() {
        let msg =
            parse("[rules.x]\ndescription = \"d\"\njustification = \"j\"\nperiod_weeks = 2\n")
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
        assert!(msg.contains("period_weeks"), "{msg}");
    }

    #[test]
    fn five_field_schedule_gets_the_six_field_form() {
        let err = parse("[rules.x]\ndescription = \"d\"\njustification = \"j\"\nperiod_days = 1\nschedule = \"0 3 * * *\"\n").err();
        let err = err.map(|e| (e.key, e.reason)).unwrap_or_default();
        assert_eq!(err.0, "rules.x.schedule");
        assert!(err.1.contains("\"0 0 3 * * *\""), "{}", err.1);
    }

    #[test]
    fn bad_schedule_and_missing_schedule_rejected() {
        let bad = parse("[rules.x]\ndescription = \"d\"\njustification = \"j\"\nperiod_days = 1\nschedule = \"0 0 25 * * *\"\n").err();
        assert_eq!(bad.map(|e| e.key), Some("rules.x.schedule".to_string()));
        let missing =
            parse("[rules.x]\ndescription = \"d\"\njustification = \"j\"\nperiod_days = 1\n").err();
        assert_eq!(missing.map(|e| e.key), Some("rules.x.schedule".to_string()));
    }

    #[test]
    fn a_schedule_that_never_fires_is_rejected() {
        let err = parse("[rules.x]\ndescription = \"d\"\njustification = \"j\"\nperiod_days = 1\nschedule = \"0 0 3 31 2 *\"\n").err();
        assert!(
            err.map(|e| e.reason)
                .unwrap_or_default()
                .contains("never fires")
        );
    }

    #[test]
    fn backups_must_rotate_on_thirty_days() {
        let err = parse("[rules.backups]\ndescription = \"d\"\njustification = \"j\"\nperiod_days = 7\nstore = \"backups\"\nschedule = \"0 0 4 * * *\"\n").err();
        assert!(err.map(|e| e.reason).unwrap_or_default().contains("30-day"));
    }

    #[test]
    fn an_accounts_rule_needs_a_period_and_no_store() {
        let base = "[rules.unverified]\ndescription = \"d\"\njustification = \"j\"\naccounts = \"unverified\"\n";
        let err = parse(base).err().map(|e| e.key);
        assert_eq!(err.as_deref(), Some("rules.unverified.accounts"));
        let both =
            format!("{base}period_days = 30\nschedule = \"0 0 4 * * *\"\nstore = \"backups\"\n");
        let err = parse(&both).err().map(|e| e.key);
        assert_eq!(err.as_deref(), Some("rules.unverified.accounts"));
        let good = format!("{base}period_days = 30\nschedule = \"0 0 4 * * *\"\n");
        let rules = parse(&good).ok().map(|r| r.rules["unverified"].accounts);
        assert_eq!(rules, Some(Some(AccountSet::Unverified)));
    }

    #[test]
    fn ends_at_is_the_start_plus_the_period() {
        let mut rule = RetentionRule {
            description: String::new(),
            justification: String::new(),
            period_days: Some(30),
            period_months: None,
            schedule: None,
            store: None,
            accounts: None,
            parsed_schedule: None,
        };
        assert_eq!(rule.ends_at_ms(1_000), Some(1_000 + 30 * DAY_MS));
        assert_eq!(rule.cutoff_ms(1_000 + 30 * DAY_MS), Some(1_000));
        rule.period_days = None;
        rule.period_months = Some(1);
        let jan31 = DateTime::parse_from_rfc3339("2027-01-31T00:00:00Z")
            .map(|t| t.timestamp_millis())
            .unwrap_or_default();
        let feb28 = DateTime::parse_from_rfc3339("2027-02-28T00:00:00Z")
            .map(|t| t.timestamp_millis())
            .unwrap_or_default();
        assert_eq!(rule.ends_at_ms(jan31), Some(feb28));
    }

    #[test]
    fn cutoff_counts_calendar_months() {
        let rule = RetentionRule {
            description: String::new(),
            justification: String::new(),
            period_days: None,
            period_months: Some(12),
            schedule: None,
            store: None,
            accounts: None,
            parsed_schedule: None,
        };
        let at = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.timestamp_millis())
                .unwrap_or_default()
        };
        assert_eq!(
            rule.cutoff_ms(at("2027-03-31T03:00:00Z")),
            Some(at("2026-03-31T03:00:00Z"))
        );
        assert_eq!(
            rule.cutoff_ms(at("2028-02-29T03:00:00Z")),
            Some(at("2027-02-28T03:00:00Z"))
        );
        assert_eq!(
            rule.cutoff_ms(at("2027-01-31T00:00:00Z")),
            Some(at("2026-01-31T00:00:00Z"))
        );
    }

    #[test]
    fn retention_words_must_match_the_period() {
        let text = "version = 1\n[rules.x]\ndescription = \"Kept for 30 days.\"\njustification = \"j\"\nperiod_days = 31\nschedule = \"0 0 3 * * *\"\n";
        let rules = RetentionRules::parse(Path::new("r.toml"), text);
        let err = rules
            .ok()
            .and_then(|r| check_retention_figures(Path::new("r.toml"), &r).err());
        assert_eq!(err.map(|e| e.key), Some("rules.x.description".to_string()));
    }

    #[test]
    fn a_stated_period_without_a_rule_period_is_refused() {
        let check = |body: &str| {
            let text = format!("version = 1\n[rules.x]\njustification = \"j\"\n{body}\n");
            RetentionRules::parse(Path::new("r.toml"), &text)
                .ok()
                .and_then(|r| check_retention_figures(Path::new("r.toml"), &r).err())
        };
        let err = check("description = \"Requests are kept for 3 years after closing.\"");
        assert_eq!(
            err.as_ref().map(|e| e.key.as_str()),
            Some("rules.x.description")
        );
        assert!(err.is_some_and(|e| e.reason.contains("3 years") && e.reason.contains("not set")));
        assert!(
            check(
                "description = \"Kept 3 years.\"\nperiod_months = 36\nschedule = \"0 0 3 * * *\""
            )
            .is_none()
        );
        assert!(
            check(
                "description = \"Kept 3 years.\"\nperiod_months = 24\nschedule = \"0 0 3 * * *\""
            )
            .is_some()
        );
        assert!(check("description = \"Kept for life (at least 6 years).\"").is_none());
        // Spelt out, and in weeks: checked like figures.
        assert!(check("description = \"Requests are kept for three years.\"").is_some());
        assert!(
            check(
                "description = \"Kept Thirty days.\"\nperiod_days = 31\nschedule = \"0 0 3 * * *\""
            )
            .is_some()
        );
        assert!(
            check(
                "description = \"Kept two weeks.\"\nperiod_days = 14\nschedule = \"0 0 3 * * *\""
            )
            .is_none()
        );
    }

    #[test]
    fn a_period_stated_in_any_policy_text_needs_a_rule_with_it() {
        let rules = RetentionRules::parse(
            Path::new("r.toml"),
            "version = 1\n[rules.x]\ndescription = \"d\"\njustification = \"j\"\nperiod_days = 7\nschedule = \"0 0 3 * * *\"\n",
        );
        let Ok(rules) = rules else {
            panic!("rules parse");
        };
        let check = |text: &str| check_stated_periods(Path::new("p.toml"), text, &rules).err();
        assert!(check("[a]\ntext = \"Kept for 7 days.\"").is_none());
        let err = check(
            "[[versions]]\ntext = \"Kept 7 days.\"\n[[versions]]\ntext = \"Records are kept 3 years.\"",
        );
        assert_eq!(
            err.as_ref().map(|e| e.key.as_str()),
            Some("versions[1].text")
        );
        assert!(err.is_some_and(|e| e.reason.contains("3 years")));
        assert!(check("a = \"for life (at least 6 years)\"").is_none());
    }
}
