//! Performance figures (kinerja): how fast the regency and each unit serve the public.
//!
//! # What is counted, and when
//!
//! Each request has [`Facts`], derived from its history by [`Facts::from_history`]:
//! - **received** on the local date it was filed;
//! - **verified** on the local date of its first `verify` or `dispatch` step (the desk may
//!   verify and dispatch in one go), with the working days it took;
//! - **rejected** on the local date it was rejected;
//! - **resolved** on the local date of its *current* resolution, with the working days from
//!   receipt: a request reopened and resolved again counts once, on the day of its last
//!   resolution, with the days up to then; while reopened it does not count as resolved;
//! - **returned** on each local date the central desk returned the unit's follow-up
//!   (validated closure, "tindak lanjut ditolak"), counted for the units holding it;
//! - **referred** on the local date it was referred to an outside agency ("bukan
//!   wewenang", `dialihkan`): neither resolved nor late, counted apart; for the regency and,
//!   when a unit referred it back out, for that unit;
//! - **on time** when that resolution came no later than the service's time limit
//!   (`resolve_due_at`, set at dispatch), **late** otherwise.
//!
//! A duration is `Calendar::working_days_between(day of receipt, day of the step)`: the
//! working days after the day of receipt up to and including the day of the step, so a
//! request received and verified on the same day took 0 days, and one received on a Friday and
//! verified on the Monday took 1. Weekends and the holiday calendar are skipped.
//!
//! A request counts for the **regency** once and for **every unit holding it now** (the
//! active dispositions): after a forward, the unit it was forwarded to, not the one that
//! forwarded it. A request dispatched to two units counts for both.
//!
//! # How the figures stay cheap
//!
//! Facts become counters ([`Facts::contributions`]): (day, scope, dimension, key, metric,
//! bucket) → n. When a request moves, its old facts' contributions are taken away and the
//! new ones added ([`diff`]), in the same transaction as the step. Pages sum counters over a
//! period; medians and percentiles come from the histograms of working days (bucket = days),
//! which give them exactly.

use crate::ikm::{self, IkmResult, Unsur, WeightMode};
use crate::working_days::{is_overdue, local_date, Calendar};
use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The scope id of the regency as a whole (units have ids from 1).
pub const REGENCY: i64 = 0;

/// What a request's facts are derived from: its stored state and the times of its steps.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    pub received_at: DateTime<Utc>,
    /// The first `verify` or `dispatch` step.
    pub verified_at: Option<DateTime<Utc>>,
    pub rejected_at: Option<DateTime<Utc>>,
    /// The current resolution (cleared when the reporter reopens).
    pub resolved_at: Option<DateTime<Utc>>,
    /// The service's time limit to resolve, set at dispatch.
    pub resolve_due_at: Option<DateTime<Utc>>,
    /// The units holding the request now.
    pub units: Vec<i64>,
    pub service_id: Option<i64>,
    pub district_code: Option<String>,
    pub village_code: Option<String>,
    /// When the desk returned the unit's follow-up (validated closure), oldest first.
    pub returned_at: Vec<DateTime<Utc>>,
    /// When it was referred to an outside agency (`dialihkan`).
    pub referred_at: Option<DateTime<Utc>>,
}

/// A request as the figures see it. Stored per request so a later step can take back what
/// the request counted before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    pub units: Vec<i64>,
    pub service: Option<i64>,
    pub district: Option<String>,
    #[serde(default)]
    pub village: Option<String>,
    pub received_on: NaiveDate,
    pub verified_on: Option<NaiveDate>,
    pub verify_days: Option<i64>,
    pub rejected_on: Option<NaiveDate>,
    pub resolved_on: Option<NaiveDate>,
    pub resolve_days: Option<i64>,
    pub on_time: Option<bool>,
    /// The days the desk returned the follow-up (facts stored before validated closure
    /// existed have none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub returned_on: Vec<NaiveDate>,
    /// The day it was referred to an outside agency (older facts have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referred_on: Option<NaiveDate>,
}

/// How counters are broken down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dim {
    All,
    Service,
    District,
    /// Desa/kelurahan: requests received, for the regency only (the hot-spot map).
    Village,
}

impl Dim {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Service => "svc",
            Self::District => "kec",
            Self::Village => "desa",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::All, Self::Service, Self::District, Self::Village]
            .into_iter()
            .find(|d| d.as_str() == s)
    }
}

/// What a counter counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metric {
    Received,
    Verified,
    Rejected,
    Resolved,
    OnTime,
    Late,
    /// Histogram: bucket = working days to verify.
    VerifyDays,
    /// Histogram: bucket = working days to resolve.
    ResolveDays,
    /// Survey respondents (with at least one answer).
    IkmRespondents,
    /// Sum of the answers to unsur `bucket` (1..9).
    IkmSum,
    /// Number of answers to unsur `bucket` (1..9).
    IkmCount,
    /// Follow-ups the central desk returned to the unit (validated closure).
    Returned,
    /// Referred to an outside agency (bukan wewenang).
    Referred,
}

impl Metric {
    pub const ALL: [Metric; 13] = [
        Self::Received,
        Self::Verified,
        Self::Rejected,
        Self::Resolved,
        Self::OnTime,
        Self::Late,
        Self::VerifyDays,
        Self::ResolveDays,
        Self::IkmRespondents,
        Self::IkmSum,
        Self::IkmCount,
        Self::Returned,
        Self::Referred,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::Verified => "verified",
            Self::Rejected => "rejected",
            Self::Resolved => "resolved",
            Self::OnTime => "on_time",
            Self::Late => "late",
            Self::VerifyDays => "verify_days",
            Self::ResolveDays => "resolve_days",
            Self::IkmRespondents => "ikm_resp",
            Self::IkmSum => "ikm_sum",
            Self::IkmCount => "ikm_cnt",
            Self::Returned => "returned",
            Self::Referred => "referred",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// One counter's key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CounterKey {
    pub day: NaiveDate,
    /// [`REGENCY`] or a unit id.
    pub scope: i64,
    pub dim: Dim,
    /// The service id or district code for a breakdown; empty for [`Dim::All`] (and for a
    /// request without service or district).
    pub key: String,
    pub metric: Metric,
    /// Working days for a histogram, the unsur number for the IKM, else 0.
    pub bucket: i32,
}

/// Changes to counters, summed by key.
pub type Deltas = BTreeMap<CounterKey, i64>;

/// How long a stored counter row covers. Every change is counted twice: on its day, and on
/// its month (keyed by the month's first day). A period is summed from whole months where it
/// can and from days only at its ends, so a year of a unit's figures reads a dozen rows per
/// key instead of hundreds, whatever period a visitor picks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Span {
    Day,
    Month,
}

/// The month rows for changes keyed by day: each key moved to its month's first day.
pub fn by_month(deltas: &Deltas) -> Deltas {
    let mut out = Deltas::new();
    for (k, n) in deltas {
        let key = CounterKey {
            day: month_start(k.day),
            ..k.clone()
        };
        *out.entry(key).or_insert(0) += n;
    }
    out.retain(|_, n| *n != 0);
    out
}

impl Facts {
    /// The facts of a request, with dates in the deployment's local time.
    pub fn from_history(h: &History, calendar: &Calendar, offset: FixedOffset) -> Self {
        let received_on = local_date(h.received_at, offset);
        let days = |at: DateTime<Utc>| {
            calendar
                .working_days_between(received_on, local_date(at, offset))
                .max(0)
        };
        let mut units = h.units.clone();
        units.sort_unstable();
        units.dedup();
        Self {
            units,
            service: h.service_id,
            district: h.district_code.clone(),
            village: h.village_code.clone(),
            received_on,
            verified_on: h.verified_at.map(|t| local_date(t, offset)),
            verify_days: h.verified_at.map(days),
            rejected_on: h.rejected_at.map(|t| local_date(t, offset)),
            resolved_on: h.resolved_at.map(|t| local_date(t, offset)),
            resolve_days: h.resolved_at.map(days),
            on_time: h
                .resolved_at
                .zip(h.resolve_due_at)
                .map(|(resolved, due)| !is_overdue(due, resolved)),
            returned_on: h
                .returned_at
                .iter()
                .map(|t| local_date(*t, offset))
                .collect(),
            referred_on: h.referred_at.map(|t| local_date(t, offset)),
        }
    }

    /// Every counter this request adds one to.
    pub fn contributions(&self) -> Deltas {
        let mut out = Deltas::new();
        let service = self.service.map(|s| s.to_string()).unwrap_or_default();
        let district = self.district.clone().unwrap_or_default();
        let village = self.village.clone().unwrap_or_default();
        let mut events: Vec<(NaiveDate, Metric, i32)> =
            vec![(self.received_on, Metric::Received, 0)];
        if let Some(d) = self.verified_on {
            events.push((d, Metric::Verified, 0));
            if let Some(n) = self.verify_days {
                events.push((d, Metric::VerifyDays, bucket(n)));
            }
        }
        if let Some(d) = self.rejected_on {
            events.push((d, Metric::Rejected, 0));
        }
        if let Some(d) = self.resolved_on {
            events.push((d, Metric::Resolved, 0));
            if let Some(n) = self.resolve_days {
                events.push((d, Metric::ResolveDays, bucket(n)));
            }
            match self.on_time {
                Some(true) => events.push((d, Metric::OnTime, 0)),
                Some(false) => events.push((d, Metric::Late, 0)),
                None => {}
            }
        }
        for d in &self.returned_on {
            events.push((*d, Metric::Returned, 0));
        }
        if let Some(d) = self.referred_on {
            events.push((d, Metric::Referred, 0));
        }
        let scopes = std::iter::once(REGENCY).chain(self.units.iter().copied());
        for scope in scopes {
            for &(day, metric, b) in &events {
                let histogram = matches!(metric, Metric::VerifyDays | Metric::ResolveDays);
                let dims: &[(Dim, &str)] = if histogram {
                    &[(Dim::All, "")]
                } else {
                    &[
                        (Dim::All, ""),
                        (Dim::Service, &service),
                        (Dim::District, &district),
                    ]
                };
                for (dim, key) in dims {
                    *out.entry(CounterKey {
                        day,
                        scope,
                        dim: *dim,
                        key: (*key).to_string(),
                        metric,
                        bucket: b,
                    })
                    .or_insert(0) += 1;
                }
            }
        }
        *out.entry(CounterKey {
            day: self.received_on,
            scope: REGENCY,
            dim: Dim::Village,
            key: village,
            metric: Metric::Received,
            bucket: 0,
        })
        .or_insert(0) += 1;
        out
    }
}

fn bucket(days: i64) -> i32 {
    i32::try_from(days.clamp(0, i64::from(i32::MAX))).unwrap_or(i32::MAX)
}

/// What changes when a request's facts go from `old` to `new` (either may be absent):
/// only the counters that differ, never a zero.
pub fn diff(old: Option<&Facts>, new: Option<&Facts>) -> Deltas {
    let mut out = new.map(Facts::contributions).unwrap_or_default();
    if let Some(old) = old {
        for (k, n) in old.contributions() {
            *out.entry(k).or_insert(0) -= n;
        }
    }
    out.retain(|_, n| *n != 0);
    out
}

/// Adds `more` into `into`, dropping keys that sum to zero.
pub fn merge(into: &mut Deltas, more: Deltas) {
    for (k, n) in more {
        *into.entry(k).or_insert(0) += n;
    }
    into.retain(|_, n| *n != 0);
}

/// The counters one survey response adds to: respondents, and per answered unsur its sum
/// and count, for the regency and (when known) the unit it was given for.
pub fn survey_contributions(
    day: NaiveDate,
    unit: Option<i64>,
    answers: &BTreeMap<Unsur, u8>,
) -> Deltas {
    let mut out = Deltas::new();
    if answers.is_empty() {
        return out;
    }
    for scope in std::iter::once(REGENCY).chain(unit) {
        let mut add = |metric, bucket, n: i64| {
            *out.entry(CounterKey {
                day,
                scope,
                dim: Dim::All,
                key: String::new(),
                metric,
                bucket,
            })
            .or_insert(0) += n;
        };
        add(Metric::IkmRespondents, 0, 1);
        for (u, score) in answers {
            let b = unsur_number(*u);
            add(Metric::IkmSum, b, i64::from(*score));
            add(Metric::IkmCount, b, 1);
        }
    }
    out
}

fn unsur_number(u: Unsur) -> i32 {
    Unsur::ALL
        .iter()
        .position(|x| *x == u)
        .map_or(0, |i| i as i32 + 1)
}

// ---------------------------------------------------------------------------------------
// Reading: figures from summed counters

/// A histogram of working days: days → number of requests.
pub type Histogram = BTreeMap<i64, u64>;

/// The median of a histogram: the middle value, or the mean of the two middle values when
/// the count is even. `None` when empty.
pub fn median(h: &Histogram) -> Option<f64> {
    let n: u64 = h.values().sum();
    if n == 0 {
        return None;
    }
    let lower = nth(h, (n - 1) / 2)?;
    let upper = nth(h, n / 2)?;
    Some((lower + upper) as f64 / 2.0)
}

/// The p-th percentile by the nearest-rank method: the smallest value with at least p % of
/// the requests at or below it (rank ⌈p/100 · n⌉). `None` when empty.
pub fn percentile(h: &Histogram, p: u32) -> Option<i64> {
    let n: u64 = h.values().sum();
    if n == 0 {
        return None;
    }
    let p = u64::from(p.clamp(1, 100));
    let rank = (p * n).div_ceil(100).max(1);
    nth(h, rank - 1)
}

/// The value at 0-based position `i` of the sorted values.
fn nth(h: &Histogram, i: u64) -> Option<i64> {
    let mut seen = 0u64;
    for (&v, &c) in h {
        seen += c;
        if seen > i {
            return Some(v);
        }
    }
    None
}

/// Percentage `part / whole`, one decimal; `None` when `whole` is 0.
pub fn share(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

/// The figures of one scope (the regency, a unit, a service, a district) over a period,
/// summed from counters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub received: i64,
    pub verified: i64,
    pub rejected: i64,
    pub resolved: i64,
    pub on_time: i64,
    pub late: i64,
    pub verify_days: Histogram,
    pub resolve_days: Histogram,
    pub ikm_respondents: i64,
    /// Follow-ups the desk returned (validated closure).
    pub returned: i64,
    /// Referred to an outside agency (bukan wewenang): neither resolved nor late.
    pub referred: i64,
    /// Per unsur number (1..9): (sum of answers, number of answers).
    pub ikm: BTreeMap<i32, (i64, i64)>,
}

impl Figures {
    /// Adds one summed counter.
    pub fn add(&mut self, metric: Metric, bucket: i32, n: i64) {
        match metric {
            Metric::Received => self.received += n,
            Metric::Verified => self.verified += n,
            Metric::Rejected => self.rejected += n,
            Metric::Resolved => self.resolved += n,
            Metric::OnTime => self.on_time += n,
            Metric::Late => self.late += n,
            Metric::VerifyDays => add_hist(&mut self.verify_days, bucket, n),
            Metric::ResolveDays => add_hist(&mut self.resolve_days, bucket, n),
            Metric::IkmRespondents => self.ikm_respondents += n,
            Metric::IkmSum => self.ikm.entry(bucket).or_insert((0, 0)).0 += n,
            Metric::IkmCount => self.ikm.entry(bucket).or_insert((0, 0)).1 += n,
            Metric::Returned => self.returned += n,
            Metric::Referred => self.referred += n,
        }
    }

    pub fn verify_median(&self) -> Option<f64> {
        median(&self.verify_days)
    }

    pub fn verify_p90(&self) -> Option<i64> {
        percentile(&self.verify_days, 90)
    }

    pub fn resolve_median(&self) -> Option<f64> {
        median(&self.resolve_days)
    }

    pub fn resolve_p90(&self) -> Option<i64> {
        percentile(&self.resolve_days, 90)
    }

    /// Share resolved within the service's time limit, of those with a limit, in percent.
    pub fn on_time_share(&self) -> Option<f64> {
        share(self.on_time, self.on_time + self.late)
    }

    /// The IKM (PermenPANRB 14/2017) of the survey answers counted here.
    pub fn ikm(&self) -> Option<IkmResult> {
        let totals: BTreeMap<Unsur, (u64, u64)> = self
            .ikm
            .iter()
            .filter_map(|(&b, &(sum, count))| {
                let u = *Unsur::ALL.get(usize::try_from(b - 1).ok()?)?;
                Some((u, (u64::try_from(sum).ok()?, u64::try_from(count).ok()?)))
            })
            .collect();
        ikm::compute_from_totals(
            &totals,
            u64::try_from(self.ikm_respondents).unwrap_or(0),
            WeightMode::Exact,
        )
    }
}

fn add_hist(h: &mut Histogram, bucket: i32, n: i64) {
    let e = h.entry(i64::from(bucket)).or_insert(0);
    *e = e.saturating_add_signed(n);
    if *e == 0 {
        h.remove(&i64::from(bucket));
    }
}

// ---------------------------------------------------------------------------------------
// Periods

/// The longest period a page sums over.
pub const MAX_PERIOD_DAYS: i64 = 731;

/// A range of local dates, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// The `days` days ending with `today`.
    pub fn last_days(today: NaiveDate, days: i64) -> Self {
        Self {
            from: today - Duration::days(days.clamp(1, MAX_PERIOD_DAYS) - 1),
            to: today,
        }
    }

    /// A period from two `YYYY-MM-DD` texts; `None` when either is not a date, the end is
    /// before the start, or the period is longer than [`MAX_PERIOD_DAYS`].
    pub fn parse(from: &str, to: &str) -> Option<Self> {
        let from = NaiveDate::parse_from_str(from.trim(), "%Y-%m-%d").ok()?;
        let to = NaiveDate::parse_from_str(to.trim(), "%Y-%m-%d").ok()?;
        ((to - from).num_days() >= 0 && (to - from).num_days() < MAX_PERIOD_DAYS)
            .then_some(Self { from, to })
    }

    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// The Mondays of the weeks that overlap the period.
    pub fn weeks(&self) -> Vec<NaiveDate> {
        let mut out = Vec::new();
        let mut w = week_start(self.from);
        while w <= self.to {
            out.push(w);
            w += Duration::days(7);
        }
        out
    }

    /// The period as counter rows cover it: `(span, first, last)`, where a `Month` part runs
    /// from the first day of its first whole month to the first day of its last, and `Day`
    /// parts are the days before and after the whole months. Together they cover every day
    /// once.
    pub fn spans(&self) -> Vec<(Span, NaiveDate, NaiveDate)> {
        // the first whole month starts on or after `from`; the last whole month ends on `to`
        // or before
        let first = if self.from.day() == 1 {
            self.from
        } else {
            next_month(self.from)
        };
        let after_last = month_start(self.to + Duration::days(1));
        if first >= after_last {
            return vec![(Span::Day, self.from, self.to)];
        }
        let mut out = Vec::with_capacity(3);
        if self.from < first {
            out.push((Span::Day, self.from, first - Duration::days(1)));
        }
        out.push((
            Span::Month,
            first,
            month_start(after_last - Duration::days(1)),
        ));
        if after_last <= self.to {
            out.push((Span::Day, after_last, self.to));
        }
        out
    }

    /// The first days of the months that overlap the period.
    pub fn months(&self) -> Vec<NaiveDate> {
        let mut out = Vec::new();
        let mut m = month_start(self.from);
        while m <= self.to {
            out.push(m);
            m = next_month(m);
        }
        out
    }
}

/// The Monday of the (ISO) week of `d`.
pub fn week_start(d: NaiveDate) -> NaiveDate {
    d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
}

pub fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn next_month(m: NaiveDate) -> NaiveDate {
    let (y, mo) = if m.month() == 12 {
        (m.year() + 1, 1)
    } else {
        (m.year(), m.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, mo, 1).unwrap_or(NaiveDate::MAX)
}

/// The week before the one `today` is in (Monday to Sunday): what Monday's summary covers.
pub fn previous_week(today: NaiveDate) -> Period {
    let this_monday = week_start(today);
    Period {
        from: this_monday - Duration::days(7),
        to: this_monday - Duration::days(1),
    }
}

#[cfg(test)]
mod tests;
