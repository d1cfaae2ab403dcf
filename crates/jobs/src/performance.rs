//! The performance figures' background work: rebuilding the counters from the requests (once,
//! for data stored before they existed), and the weekly summary emailed to the leadership
//! every Monday.

use crate::{retry, JobError};
use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveTime, Utc, Weekday};
use kotapintar_domain::performance::{previous_week, Figures};
use kotapintar_domain::request::RequestRules;
use kotapintar_domain::working_days::local_date;
use kotapintar_storage::performance::{self, Summary};
use kotapintar_storage::Store;

/// Derives every request's facts and the counters again.
pub struct Rebuild {
    pub rules: RequestRules,
}

impl Rebuild {
    pub async fn run(&self, store: &Store) -> Result<(), JobError> {
        let calendar = kotapintar_storage::holidays::calendar(store)
            .await
            .map_err(retry)?;
        let n = performance::rebuild(store, &calendar, self.rules.utc_offset)
            .await
            .map_err(retry)?;
        tracing::info!(requests = n, "performance counters rebuilt");
        Ok(())
    }
}

/// Emails last week's summary (Monday to Sunday) to every active leader and admin with an
/// email address, once per week.
pub struct WeeklySummary {
    pub rules: RequestRules,
}

impl WeeklySummary {
    pub async fn run(&self, store: &Store) -> Result<(), JobError> {
        let now = Utc::now();
        let week = previous_week(local_date(now, self.rules.utc_offset));
        let s = performance::summary(store, week, now)
            .await
            .map_err(retry)?;
        let recipients = performance::leadership_emails(store).await.map_err(retry)?;
        let (subject, mut body) = summary_text(&s, &self.rules.public_url);
        let head = kotapintar_storage::audit::head(&store.reader)
            .await
            .map_err(retry)?;
        body.push_str(&audit_head_text(head));
        let n = performance::send_weekly_summary(store, week, &recipients, &subject, &body)
            .await
            .map_err(retry)?;
        tracing::info!(emails = n, week = %week.from, "weekly summary queued");
        Ok(())
    }
}

/// When the next summary is due: Monday 07:00 local time, after `now`.
/// The next 02:00 local time: nightly work runs when nobody is at the desk.
pub fn next_night(now: DateTime<Utc>, offset: FixedOffset) -> DateTime<Utc> {
    let two = NaiveTime::from_hms_opt(2, 0, 0).unwrap_or(NaiveTime::MIN);
    let mut d = local_date(now, offset);
    loop {
        if let Some(t) = d.and_time(two).checked_sub_offset(offset) {
            let t = t.and_utc();
            if t > now {
                return t;
            }
        }
        d += Duration::days(1);
    }
}

pub fn next_monday_morning(now: DateTime<Utc>, offset: FixedOffset) -> DateTime<Utc> {
    let today = local_date(now, offset);
    let seven = NaiveTime::from_hms_opt(7, 0, 0).unwrap_or(NaiveTime::MIN);
    let mut d = today;
    loop {
        if d.weekday() == Weekday::Mon {
            if let Some(t) = d.and_time(seven).checked_sub_offset(offset) {
                let t = t.and_utc();
                if t > now {
                    return t;
                }
            }
        }
        d += Duration::days(1);
    }
}

fn num(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| format!("{v:.1}"))
}

fn line(f: &Figures) -> String {
    format!(
        "diterima/received {}, selesai/resolved {}, tepat waktu/on time {}%, median {} hari kerja/working days",
        f.received,
        f.resolved,
        num(f.on_time_share()),
        num(f.resolve_median())
    )
}

/// The summary as a plain-text email (Indonesian, then English where it differs).
pub fn summary_text(s: &Summary, public_url: &str) -> (String, String) {
    let from = s.period.from.format("%d-%m-%Y");
    let to = s.period.to.format("%d-%m-%Y");
    let subject = format!("Ringkasan kinerja mingguan / Weekly performance summary {from} - {to}");
    let mut body = format!(
        "Ringkasan kinerja pelayanan {from} s.d. {to}\nWeekly performance summary {from} to {to}\n\n\
         Kabupaten / Regency: {}\n\
         Terlambat sekarang / Overdue now: {}\n\n",
        line(&s.totals),
        s.overdue
    );
    let mut stuck: Vec<_> = s.units.iter().filter(|u| u.overdue > 0).collect();
    stuck.sort_by_key(|u| std::cmp::Reverse(u.overdue));
    if !stuck.is_empty() {
        body.push_str("Unit dengan laporan terlambat / Units with overdue requests:\n");
        for u in stuck.iter().take(10) {
            body.push_str(&format!("- {}: {}\n", u.name, u.overdue));
        }
        body.push('\n');
    }
    body.push_str(&format!(
        "Halaman cetak / Printable page: {public_url}/staf/pimpinan/ringkasan?minggu={}\n",
        s.period.from.format("%Y-%m-%d")
    ));
    (subject, body)
}

/// The audit log's head, so a copy of it exists outside the database: `kotapintar audit
/// verify --recorded-head ENTRY:HASH` checks the log still holds that entry unchanged.
pub fn audit_head_text(head: Option<(i64, String, i64)>) -> String {
    match head {
        None => "\nLog audit / Audit log: kosong / empty\n".into(),
        Some((seq, hash, at_micros)) => {
            let at = DateTime::from_timestamp_micros(at_micros)
                .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                .unwrap_or_default();
            format!(
                "\nKepala log audit / Audit log head: {seq}:{hash} ({at})\n\
                 Simpan email ini; periksa dengan / Keep this email; check with:\n\
                 kotapintar audit verify --recorded-head {seq}:{hash}\n"
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nightly_training_runs_at_two_local() {
        let wita = FixedOffset::east_opt(8 * 3600).unwrap();
        // 10:00 WITA → 02:00 WITA the next day = 18:00 UTC today
        let now: DateTime<Utc> = "2026-08-19T02:00:00Z".parse().unwrap();
        assert_eq!(
            next_night(now, wita).to_rfc3339(),
            "2026-08-19T18:00:00+00:00"
        );
        // 01:59 WITA → the same night
        let now: DateTime<Utc> = "2026-08-19T17:59:00Z".parse().unwrap();
        assert_eq!(
            next_night(now, wita).to_rfc3339(),
            "2026-08-19T18:00:00+00:00"
        );
        // 02:00 exactly → the next night
        let now: DateTime<Utc> = "2026-08-19T18:00:00Z".parse().unwrap();
        assert_eq!(
            next_night(now, wita).to_rfc3339(),
            "2026-08-20T18:00:00+00:00"
        );
    }

    #[test]
    fn next_summary_is_monday_seven_local() {
        let wita = FixedOffset::east_opt(8 * 3600).unwrap();
        // Wednesday 19 Aug 2026 10:00 WITA → Monday 24 Aug 07:00 WITA = 23:00 UTC Sunday.
        let now: DateTime<Utc> = "2026-08-19T02:00:00Z".parse().unwrap();
        assert_eq!(
            next_monday_morning(now, wita).to_rfc3339(),
            "2026-08-23T23:00:00+00:00"
        );
        // Monday 06:59 WITA → the same morning at 07:00.
        let now: DateTime<Utc> = "2026-08-23T22:59:00Z".parse().unwrap();
        assert_eq!(
            next_monday_morning(now, wita).to_rfc3339(),
            "2026-08-23T23:00:00+00:00"
        );
        // Monday 07:00 exactly → next week.
        let now: DateTime<Utc> = "2026-08-23T23:00:00Z".parse().unwrap();
        assert_eq!(
            next_monday_morning(now, wita).to_rfc3339(),
            "2026-08-30T23:00:00+00:00"
        );
    }
}
