//! Working-day (hari kerja) arithmetic for service-level deadlines.
//!
//! Indonesian government offices work Monday to Friday. National public holidays (hari libur
//! nasional), collective leave (cuti bersama) and local holidays (in Bali e.g. Galungan,
//! Kuningan, Nyepi) are days off (libur). Limits such as "5 hari kerja" count only working days,
//! so a deadline depends on the deployment's holiday calendar, which administrators edit: it
//! arrives as CSV (`date,name_id,name_en`) and is turned into a [`Calendar`] here.
//!
//! # The deadline rule
//!
//! A request received on local date D with a limit of N working days is due at the **end**
//! (23:59:59.999 local time) of the **N-th working day after D**. D itself never counts, whether
//! or not it is a working day, so a request that arrives at 15:59 does not lose a day it could
//! not use, and one that arrives at 07:00 gets the same deadline. N = 0 means due at the end of
//! D itself.
//!
//! "Local" is the deployment's fixed UTC offset (WIB +7, WITA +8, WIT +9; Indonesia has no
//! daylight-saving time), so the calendar date is the one printed on the office wall, not the
//! UTC date: 23:30 UTC is already the next morning in Bali.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Bound;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Utc, Weekday};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The largest limit honoured: about fourteen years. No real service level comes close, and the
/// cap bounds the work a mistyped or hostile limit (`u32::MAX`) can cause. Forms that accept a
/// limit should refuse anything above it; the arithmetic saturates at it.
pub const MAX_WORKING_DAYS: u32 = 3650;

/// The last representable instant of a local day. Milliseconds rather than nanoseconds so the
/// value survives a round trip through a database column with microsecond precision unchanged.
const END_OF_DAY: NaiveTime = match NaiveTime::from_hms_milli_opt(23, 59, 59, 999) {
    Some(t) => t,
    None => panic!("23:59:59.999 is a valid time"),
};

/// The CSV header, in this order.
const COLUMNS: [&str; 3] = ["date", "name_id", "name_en"];

/// One day off in the calendar, named in Indonesian and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    pub date: NaiveDate,
    pub name_id: String,
    pub name_en: String,
}

/// Why a holiday CSV was refused. Its `Display` names the file, the line (1-based; the header
/// is line 1) and, where one is to blame, the field, so an administrator can fix the upload:
/// `holidays.csv, line 7, field 'date': '2024-13-01' is not a date (YYYY-MM-DD)`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{file}, line {line}{}: {problem}", FieldLabel(*.field))]
pub struct HolidayCsvError {
    pub file: String,
    pub line: usize,
    /// The column at fault (`date`, `name_id` or `name_en`), if the problem is in one.
    pub field: Option<&'static str>,
    pub problem: HolidayCsvProblem,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HolidayCsvProblem {
    #[error("the file is empty; expected the header 'date,name_id,name_en'")]
    Empty,
    #[error("expected the header 'date,name_id,name_en', found '{found}'")]
    BadHeader { found: String },
    #[error("{found} fields, expected 3 (date,name_id,name_en); put a name that contains a comma in double quotes")]
    TooManyFields { found: usize },
    #[error("missing (each line needs date,name_id,name_en)")]
    Missing,
    #[error("must not be empty")]
    EmptyValue,
    #[error("'{value}' is not a date (YYYY-MM-DD)")]
    NotADate { value: String },
    #[error("{date} is listed twice (first on line {first_line})")]
    DuplicateDate { date: NaiveDate, first_line: usize },
    #[error("the double quote that opens this field is never closed")]
    UnclosedQuote,
    #[error("text after the closing double quote")]
    TextAfterQuote,
    #[error("a double quote inside an unquoted field; quote the whole field and write an inner quote as \"\"")]
    StrayQuote,
}

/// Renders `, field 'date'` for errors that have a field, nothing otherwise.
struct FieldLabel(Option<&'static str>);

impl fmt::Display for FieldLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(field) => write!(f, ", field '{field}'"),
            None => Ok(()),
        }
    }
}

/// Parses a holiday calendar: a header line `date,name_id,name_en`, then one holiday a line,
/// e.g. `2024-01-01,Tahun Baru Masehi,New Year's Day`.
///
/// Accepted leniently, because these files are edited by hand and in spreadsheets: a UTF-8 byte
/// order mark, CRLF line ends, blank lines, spaces around fields, a header in any letter case,
/// and fields in double quotes (RFC 4180 style, `""` for a quote inside), so a name may contain
/// a comma. A quoted field may not span lines. Refused, at the first problem: a wrong header,
/// a missing or extra field, a date that is not `YYYY-MM-DD`, an empty name, and a date listed
/// twice (two names for one day is an editing mistake, and which one wins would be arbitrary).
/// Holidays are returned in file order.
pub fn parse_holidays_csv(file_name: &str, content: &str) -> Result<Vec<Holiday>, HolidayCsvError> {
    let error =
        |line: usize, field: Option<&'static str>, problem: HolidayCsvProblem| HolidayCsvError {
            file: file_name.to_owned(),
            line,
            field,
            problem,
        };
    let field_name = |index: usize| COLUMNS.get(index).copied();

    let content = content.strip_prefix('\u{feff}').unwrap_or(content);
    let mut lines = content.lines().enumerate().map(|(i, text)| (i + 1, text));

    if content.trim().is_empty() {
        return Err(error(1, None, HolidayCsvProblem::Empty));
    }
    let header_ok = match lines.next() {
        None => false,
        Some((_, text)) => split_record(text).is_ok_and(|fields| {
            fields.len() == COLUMNS.len()
                && fields
                    .iter()
                    .zip(COLUMNS)
                    .all(|(found, expected)| found.eq_ignore_ascii_case(expected))
        }),
    };
    if !header_ok {
        let found = content.lines().next().unwrap_or_default().trim().to_owned();
        return Err(error(1, None, HolidayCsvProblem::BadHeader { found }));
    }

    let mut holidays = Vec::new();
    let mut first_seen: BTreeMap<NaiveDate, usize> = BTreeMap::new();
    for (line, text) in lines {
        if text.trim().is_empty() {
            continue;
        }
        let fields = split_record(text)
            .map_err(|(index, problem)| error(line, field_name(index), problem))?;
        if fields.len() > COLUMNS.len() {
            let found = fields.len();
            return Err(error(
                line,
                None,
                HolidayCsvProblem::TooManyFields { found },
            ));
        }
        if let Some(missing) = field_name(fields.len()) {
            return Err(error(line, Some(missing), HolidayCsvProblem::Missing));
        }
        let [date, name_id, name_en] = [&fields[0], &fields[1], &fields[2]];

        let date = parse_iso_date(date).ok_or_else(|| {
            let value = date.clone();
            error(line, Some("date"), HolidayCsvProblem::NotADate { value })
        })?;
        if name_id.is_empty() {
            return Err(error(line, Some("name_id"), HolidayCsvProblem::EmptyValue));
        }
        if name_en.is_empty() {
            return Err(error(line, Some("name_en"), HolidayCsvProblem::EmptyValue));
        }
        if let Some(&first_line) = first_seen.get(&date) {
            let problem = HolidayCsvProblem::DuplicateDate { date, first_line };
            return Err(error(line, Some("date"), problem));
        }
        first_seen.insert(date, line);
        holidays.push(Holiday {
            date,
            name_id: name_id.clone(),
            name_en: name_en.clone(),
        });
    }
    Ok(holidays)
}

/// Splits one CSV line into trimmed field values. On failure, returns the index of the field at
/// fault and the problem.
fn split_record(line: &str) -> Result<Vec<String>, (usize, HolidayCsvProblem)> {
    let is_blank = |c: &char| matches!(c, ' ' | '\t' | '\r');
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let index = fields.len();
        while chars.next_if(is_blank).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'"').is_some() {
            loop {
                match chars.next() {
                    None => return Err((index, HolidayCsvProblem::UnclosedQuote)),
                    Some('"') if chars.next_if_eq(&'"').is_some() => value.push('"'),
                    Some('"') => break,
                    Some(c) => value.push(c),
                }
            }
            while chars.next_if(is_blank).is_some() {}
            fields.push(value.trim().to_owned());
            match chars.next() {
                None => return Ok(fields),
                Some(',') => {}
                Some(_) => return Err((index, HolidayCsvProblem::TextAfterQuote)),
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(value.trim().to_owned());
                        return Ok(fields);
                    }
                    Some(',') => break,
                    Some('"') => return Err((index, HolidayCsvProblem::StrayQuote)),
                    Some(c) => value.push(c),
                }
            }
            fields.push(value.trim().to_owned());
        }
    }
}

/// Exactly `YYYY-MM-DD`: chrono alone would also take `2024-1-1` or `+2024-01-01`, and a
/// calendar should have one spelling per day.
fn parse_iso_date(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shape_ok {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// A deployment's working-day calendar: Monday to Friday, minus its holidays.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    holidays: BTreeSet<NaiveDate>,
}

impl Calendar {
    pub fn new(holidays: impl IntoIterator<Item = NaiveDate>) -> Self {
        Self {
            holidays: holidays.into_iter().collect(),
        }
    }

    pub fn from_holidays(holidays: &[Holiday]) -> Self {
        Self::new(holidays.iter().map(|h| h.date))
    }

    /// Whether the date is in the holiday list (a holiday on a weekend is still a holiday).
    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        self.holidays.contains(&date)
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        is_weekday(date) && !self.is_holiday(date)
    }

    /// The N-th working day after `from` (`from` itself never counts); `from` when N = 0.
    ///
    /// N above [`MAX_WORKING_DAYS`] is treated as that cap, and a result past the last date
    /// chrono can represent saturates at `NaiveDate::MAX`, so no input panics. The loop ends
    /// after at most N working days plus the weekends and the (finite) holidays in between.
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> NaiveDate {
        let mut remaining = n.min(MAX_WORKING_DAYS);
        let mut day = from;
        while remaining > 0 {
            match day.succ_opt() {
                Some(next) => day = next,
                None => return NaiveDate::MAX,
            }
            if self.is_working_day(day) {
                remaining -= 1;
            }
        }
        day
    }

    /// When a request received at `received` with a limit of `n` working days is due: the end
    /// (23:59:59.999 local) of the N-th working day after the local date of receipt, as a UTC
    /// instant. See the module documentation for the rule.
    pub fn due_at(&self, received: DateTime<Utc>, n: u32, offset: FixedOffset) -> DateTime<Utc> {
        let due_date = self.add_working_days(local_date(received, offset), n);
        due_date
            .and_time(END_OF_DAY)
            .checked_sub_offset(offset)
            .map_or(DateTime::<Utc>::MAX_UTC, |utc| utc.and_utc())
    }

    /// The number of working days in the half-open range (`from`, `to`]; negative, with the
    /// same magnitude, when `to` is before `from`. So
    /// `working_days_between(d, add_working_days(d, n))` is `n`, and the count from a
    /// deadline's date to today says how late something is.
    ///
    /// Computed arithmetically (weekdays by formula, minus holidays on weekdays in the range),
    /// so it costs the same for ten days as for ten centuries.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        if to < from {
            return -self.working_days_between(to, from);
        }
        let weekdays = weekdays_through(to) - weekdays_through(from);
        let holidays_on_weekdays = self
            .holidays
            .range((Bound::Excluded(from), Bound::Included(to)))
            .filter(|d| is_weekday(**d))
            .count();
        weekdays - i64::try_from(holidays_on_weekdays).unwrap_or(i64::MAX)
    }

    /// How many working days late something due at `due` is at `now`: the working days after
    /// the local due date, up to and including today's local date; 0 when not overdue.
    ///
    /// Today counts once it has begun, so the first working morning after a missed deadline
    /// reads 1. A deadline missed just before a weekend or holiday reads 0 until the next
    /// working day, although [`is_overdue`] is already true: callers show "overdue" from
    /// `is_overdue` and use this number only for "by how much".
    pub fn overdue_working_days(
        &self,
        due: DateTime<Utc>,
        now: DateTime<Utc>,
        offset: FixedOffset,
    ) -> i64 {
        if !is_overdue(due, now) {
            return 0;
        }
        self.working_days_between(local_date(due, offset), local_date(now, offset))
            .max(0)
    }
}

/// How a deadline reads on a staff queue: "terlambat 3 hari kerja", "hari ini", "2 hari kerja
/// lagi".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Countdown {
    /// Past the deadline by this many working days (0 when it was missed just before a weekend
    /// or holiday: late, but not yet by a working day).
    Late(i64),
    /// Due by the end of today.
    Today,
    /// This many working days left after today.
    Left(i64),
}

impl Countdown {
    pub fn of(
        calendar: &Calendar,
        due: DateTime<Utc>,
        now: DateTime<Utc>,
        offset: FixedOffset,
    ) -> Self {
        if is_overdue(due, now) {
            return Self::Late(calendar.overdue_working_days(due, now, offset));
        }
        match calendar.working_days_between(local_date(now, offset), local_date(due, offset)) {
            n if n <= 0 => Self::Today,
            n => Self::Left(n),
        }
    }

    /// The urgency class on the queue: late, due within a working day, or in time.
    pub fn urgency(self) -> &'static str {
        match self {
            Self::Late(_) => "late",
            Self::Today | Self::Left(1) => "soon",
            Self::Left(_) => "ok",
        }
    }
}

/// Whether something due at `due` is late at `now`. The due instant itself is still in time:
/// the deadline is the last moment of the day, inclusive.
pub fn is_overdue(due: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now > due
}

fn is_weekday(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The local calendar date of an instant. Done by hand because chrono's `with_timezone` +
/// `date_naive` panics when the local time falls past the last representable date; we saturate.
pub fn local_date(instant: DateTime<Utc>, offset: FixedOffset) -> NaiveDate {
    instant
        .naive_utc()
        .checked_add_offset(offset)
        .map_or(NaiveDate::MAX, |local: NaiveDateTime| local.date())
}

/// A running count of weekdays up to and including `date`, from an arbitrary origin:
/// `weekdays_through(b) - weekdays_through(a)` is the number of Mondays to Fridays in (a, b].
/// `div_euclid` keeps the count consistent for dates before the origin.
fn weekdays_through(date: NaiveDate) -> i64 {
    // 2024-01-01 was a Monday; any Monday would do.
    const MONDAY: NaiveDate = match NaiveDate::from_ymd_opt(2024, 1, 1) {
        Some(d) => d,
        None => panic!("2024-01-01 is a valid date"),
    };
    // Days in [MONDAY, date]: whole weeks hold 5 weekdays, and a partial week starting on a
    // Monday holds at most 5.
    let k = (date - MONDAY).num_days() + 1;
    5 * k.div_euclid(7) + k.rem_euclid(7).min(5)
}

#[cfg(test)]
mod tests {

    #[test]
    fn countdown_reads_in_working_days() {
        use chrono::TimeZone;
        let bali = FixedOffset::east_opt(8 * 3600).unwrap();
        // Nyepi (Thursday 19 March 2026) is a holiday
        let cal = Calendar::new([NaiveDate::from_ymd_opt(2026, 3, 19).unwrap()]);
        let at = |d: u32, h: u32| {
            bali.with_ymd_and_hms(2026, 3, d, h, 0, 0)
                .unwrap()
                .with_timezone(&Utc)
        };
        let due = cal.due_at(at(16, 9), 2, bali); // Monday + 2 working days = Wednesday 18
        assert_eq!(
            Countdown::of(&cal, due, at(16, 10), bali),
            Countdown::Left(2)
        );
        assert_eq!(
            Countdown::of(&cal, due, at(17, 10), bali),
            Countdown::Left(1)
        );
        assert_eq!(Countdown::of(&cal, due, at(18, 23), bali), Countdown::Today);
        // Thursday is Nyepi: late, but not yet by a working day; Friday: one
        assert_eq!(
            Countdown::of(&cal, due, at(19, 9), bali),
            Countdown::Late(0)
        );
        assert_eq!(
            Countdown::of(&cal, due, at(20, 9), bali),
            Countdown::Late(1)
        );
        assert_eq!(Countdown::Left(1).urgency(), "soon");
        assert_eq!(Countdown::Left(3).urgency(), "ok");
        assert_eq!(Countdown::Late(0).urgency(), "late");
    }

    use super::*;
    use chrono::TimeZone;

    const REAL_CSV: &str =
        include_str!("../../../reference-data/holidays/id-national-2024-2030.csv");

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn wita() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap()
    }

    fn utc(y: i32, m: u32, day: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, day, h, min, 0).unwrap()
    }

    /// The end of a local WITA day as a UTC instant: 23:59:59.999 WITA is 15:59:59.999 UTC.
    fn end_of_wita_day(date: NaiveDate) -> DateTime<Utc> {
        date.and_hms_milli_opt(15, 59, 59, 999).unwrap().and_utc()
    }

    /// 2025 around Nyepi and Idul Fitri, as in the national list.
    fn national_2025() -> Calendar {
        Calendar::new([
            d(2025, 3, 29), // Hari Suci Nyepi (a Saturday)
            d(2025, 3, 31), // Idul Fitri
            d(2025, 4, 1),  // Idul Fitri, second day
        ])
    }

    /// The same plus the 2025 cuti bersama for Idul Fitri (2, 3, 4 and 7 April).
    fn with_cuti_bersama_2025() -> Calendar {
        Calendar::new([
            d(2025, 3, 29),
            d(2025, 3, 31),
            d(2025, 4, 1),
            d(2025, 4, 2),
            d(2025, 4, 3),
            d(2025, 4, 4),
            d(2025, 4, 7),
        ])
    }

    #[test]
    fn weekends_and_holidays_are_not_working_days() {
        let cal = national_2025();
        assert_eq!(d(2025, 3, 28).weekday(), Weekday::Fri);
        assert!(cal.is_working_day(d(2025, 3, 28)));
        assert!(!cal.is_working_day(d(2025, 3, 29))); // Saturday and Nyepi
        assert!(!cal.is_working_day(d(2025, 3, 30))); // Sunday
        assert!(!cal.is_working_day(d(2025, 3, 31))); // Monday, Idul Fitri
        assert!(cal.is_working_day(d(2025, 4, 2))); // Wednesday
        assert!(cal.is_holiday(d(2025, 3, 29)));
        assert!(!cal.is_holiday(d(2025, 3, 30)));
    }

    #[test]
    fn friday_before_nyepi_and_idul_fitri_with_cuti_bersama() {
        // Received Friday 2025-03-28, N = 3. Friday itself does not count. Then:
        // Sat 29 (Nyepi), Sun 30, Mon 31 and Tue 1 (Idul Fitri), Wed 2, Thu 3, Fri 4 (cuti
        // bersama), Sat 5, Sun 6, Mon 7 (cuti bersama) are all off;
        // Tue 8 = 1st, Wed 9 = 2nd, Thu 10 = 3rd working day.
        let cal = with_cuti_bersama_2025();
        assert_eq!(cal.add_working_days(d(2025, 3, 28), 3), d(2025, 4, 10));
        assert_eq!(d(2025, 4, 10).weekday(), Weekday::Thu);

        // 10:00 WITA on the Friday is 02:00 UTC; due 23:59:59.999 WITA on Thursday 10 April.
        let due = cal.due_at(utc(2025, 3, 28, 2, 0), 3, wita());
        assert_eq!(due, end_of_wita_day(d(2025, 4, 10)));
        assert_eq!(due.to_rfc3339(), "2025-04-10T15:59:59.999+00:00");
    }

    #[test]
    fn same_request_with_the_national_list_only() {
        // Without cuti bersama: Wed 2 = 1st, Thu 3 = 2nd, Fri 4 = 3rd working day.
        let cal = national_2025();
        assert_eq!(cal.add_working_days(d(2025, 3, 28), 3), d(2025, 4, 4));
    }

    #[test]
    fn the_real_national_file_gives_the_same_answer() {
        let holidays = parse_holidays_csv("id-national-2024-2030.csv", REAL_CSV).unwrap();
        let cal = Calendar::from_holidays(&holidays);
        assert_eq!(cal.add_working_days(d(2025, 3, 28), 3), d(2025, 4, 4));
    }

    #[test]
    fn a_request_received_on_a_saturday() {
        // Saturday 2025-03-29 (Nyepi) via the online form, N = 1: Sun 30, Mon 31, Tue 1 off,
        // so Wednesday 2 April is the first working day after it.
        let cal = national_2025();
        assert_eq!(cal.add_working_days(d(2025, 3, 29), 1), d(2025, 4, 2));
        // An ordinary Saturday: 2025-01-04, N = 1 -> Monday 2025-01-06.
        assert_eq!(
            Calendar::default().add_working_days(d(2025, 1, 4), 1),
            d(2025, 1, 6)
        );
    }

    #[test]
    fn zero_working_days_is_the_end_of_the_day_of_receipt() {
        let cal = national_2025();
        // Even on a day off: received Saturday 2025-03-29 10:00 WITA.
        let received = utc(2025, 3, 29, 2, 0);
        assert_eq!(cal.add_working_days(d(2025, 3, 29), 0), d(2025, 3, 29));
        assert_eq!(
            cal.due_at(received, 0, wita()),
            end_of_wita_day(d(2025, 3, 29))
        );
    }

    #[test]
    fn the_local_date_counts_not_the_utc_date() {
        // 2025-01-02 23:30 UTC is Thursday in UTC but Friday 2025-01-03 07:30 in WITA (UTC+8).
        // N = 1 after Friday is Monday 2025-01-06; counting from the UTC date would give Friday.
        let cal = Calendar::default();
        let received = utc(2025, 1, 2, 23, 30);
        assert_eq!(local_date(received, wita()), d(2025, 1, 3));
        assert_eq!(
            cal.due_at(received, 1, wita()),
            end_of_wita_day(d(2025, 1, 6))
        );
        let utc_offset = FixedOffset::east_opt(0).unwrap();
        assert_eq!(
            cal.due_at(received, 1, utc_offset),
            d(2025, 1, 3)
                .and_hms_milli_opt(23, 59, 59, 999)
                .unwrap()
                .and_utc()
        );
    }

    #[test]
    fn end_of_day_in_wib_and_wit() {
        let cal = Calendar::default();
        let received = utc(2025, 1, 6, 3, 0); // Monday
        let wib = FixedOffset::east_opt(7 * 3600).unwrap();
        let wit = FixedOffset::east_opt(9 * 3600).unwrap();
        let tuesday = d(2025, 1, 7);
        assert_eq!(
            cal.due_at(received, 1, wib),
            tuesday
                .and_hms_milli_opt(16, 59, 59, 999)
                .unwrap()
                .and_utc()
        );
        assert_eq!(
            cal.due_at(received, 1, wit),
            tuesday
                .and_hms_milli_opt(14, 59, 59, 999)
                .unwrap()
                .and_utc()
        );
    }

    #[test]
    fn across_the_year_boundary() {
        // Received Tuesday 2024-12-24, N = 5, national holidays 25 Dec and 1 Jan (both Wednesday):
        // Thu 26 = 1, Fri 27 = 2, Mon 30 = 3, Tue 31 = 4, Wed 1 off, Thu 2 Jan = 5.
        let national = Calendar::new([d(2024, 12, 25), d(2025, 1, 1)]);
        assert_eq!(national.add_working_days(d(2024, 12, 24), 5), d(2025, 1, 2));
        // With cuti bersama on 26 Dec: Fri 27 = 1, Mon 30 = 2, Tue 31 = 3, Thu 2 = 4, Fri 3 = 5.
        let with_cuti = Calendar::new([d(2024, 12, 25), d(2024, 12, 26), d(2025, 1, 1)]);
        assert_eq!(
            with_cuti.add_working_days(d(2024, 12, 24), 5),
            d(2025, 1, 3)
        );
        // 23:30 WITA on Monday 30 Dec (15:30 UTC), N = 1: Tuesday 31 Dec.
        assert_eq!(
            national.due_at(utc(2024, 12, 30, 15, 30), 1, wita()),
            end_of_wita_day(d(2024, 12, 31))
        );
        // An hour later (16:30 UTC) it is already Tuesday 31 Dec locally: Wed 1 Jan is off,
        // so the first working day after it is Thursday 2 Jan 2025.
        assert_eq!(
            national.due_at(utc(2024, 12, 30, 16, 30), 1, wita()),
            end_of_wita_day(d(2025, 1, 2))
        );
    }

    #[test]
    fn working_days_between_is_signed_and_half_open() {
        let cal = with_cuti_bersama_2025();
        // (Fri 28 Mar, Thu 10 Apr] holds Tue 8, Wed 9, Thu 10.
        assert_eq!(cal.working_days_between(d(2025, 3, 28), d(2025, 4, 10)), 3);
        assert_eq!(cal.working_days_between(d(2025, 4, 10), d(2025, 3, 28)), -3);
        assert_eq!(cal.working_days_between(d(2025, 4, 10), d(2025, 4, 10)), 0);
        // Friday to Saturday: nothing; Friday to Monday: the Monday.
        let plain = Calendar::default();
        assert_eq!(plain.working_days_between(d(2025, 1, 3), d(2025, 1, 4)), 0);
        assert_eq!(plain.working_days_between(d(2025, 1, 3), d(2025, 1, 6)), 1);
        // A whole non-leap year without holidays: 2025 has 261 weekdays.
        assert_eq!(
            plain.working_days_between(d(2024, 12, 31), d(2025, 12, 31)),
            261
        );
        // A holiday on a weekend is not subtracted twice: (Fri 28 Mar, Wed 2 Apr] nationally
        // holds only Wed 2 (Nyepi is a Saturday, 31 Mar and 1 Apr are Idul Fitri).
        assert_eq!(
            national_2025().working_days_between(d(2025, 3, 28), d(2025, 4, 2)),
            1
        );
    }

    #[test]
    fn working_days_between_agrees_with_counting_one_by_one() {
        let holidays = parse_holidays_csv("id-national-2024-2030.csv", REAL_CSV).unwrap();
        let cal = Calendar::from_holidays(&holidays);
        let start = d(2023, 12, 20);
        for offset in 0..500 {
            let to = start + chrono::Duration::days(offset);
            let mut counted = 0;
            let mut day = start;
            while day < to {
                day = day.succ_opt().unwrap();
                if cal.is_working_day(day) {
                    counted += 1;
                }
            }
            assert_eq!(cal.working_days_between(start, to), counted, "to {to}");
            assert_eq!(cal.working_days_between(to, start), -counted, "to {to}");
        }
        // Also far before and after the reference Monday in weekdays_through.
        let plain = Calendar::default();
        for (from, to) in [
            (d(1900, 1, 1), d(1900, 12, 31)),
            (d(2100, 1, 1), d(2100, 12, 31)),
        ] {
            let mut counted = 0;
            let mut day = from;
            while day < to {
                day = day.succ_opt().unwrap();
                if plain.is_working_day(day) {
                    counted += 1;
                }
            }
            assert_eq!(plain.working_days_between(from, to), counted);
        }
    }

    #[test]
    fn adding_and_counting_are_inverse() {
        let cal = with_cuti_bersama_2025();
        for start_offset in 0..14 {
            let from = d(2025, 3, 24) + chrono::Duration::days(start_offset);
            for n in 0..30 {
                let due = cal.add_working_days(from, n);
                assert_eq!(cal.working_days_between(from, due), i64::from(n));
                if n > 0 {
                    assert!(cal.is_working_day(due));
                }
            }
        }
    }

    #[test]
    fn overdue_is_strictly_after_the_due_instant() {
        let due = end_of_wita_day(d(2025, 4, 10));
        assert!(!is_overdue(due, due));
        assert!(!is_overdue(due, due - chrono::Duration::hours(1)));
        assert!(is_overdue(due, due + chrono::Duration::milliseconds(1)));
    }

    #[test]
    fn overdue_by_working_days() {
        let cal = with_cuti_bersama_2025();
        // Due end of Thursday 2025-04-10 WITA.
        let due = end_of_wita_day(d(2025, 4, 10));
        assert_eq!(cal.overdue_working_days(due, due, wita()), 0);
        assert_eq!(
            cal.overdue_working_days(due, utc(2025, 4, 10, 2, 0), wita()),
            0
        );
        // One millisecond later it is Friday 00:00 WITA: Friday has begun, 1 day late.
        let friday_midnight = due + chrono::Duration::milliseconds(1);
        assert_eq!(cal.overdue_working_days(due, friday_midnight, wita()), 1);
        // Monday 2025-04-14 10:00 WITA: Fri 11 and Mon 14 -> 2.
        assert_eq!(
            cal.overdue_working_days(due, utc(2025, 4, 14, 2, 0), wita()),
            2
        );
        // Thursday 2025-04-17 10:00 WITA: Fri 11, Mon 14 .. Thu 17 -> 5.
        assert_eq!(
            cal.overdue_working_days(due, utc(2025, 4, 17, 2, 0), wita()),
            5
        );

        // Due end of Friday 2025-01-03; Saturday morning is overdue but by 0 working days.
        let due = end_of_wita_day(d(2025, 1, 3));
        let saturday = utc(2025, 1, 4, 2, 0);
        assert!(is_overdue(due, saturday));
        assert_eq!(
            Calendar::default().overdue_working_days(due, saturday, wita()),
            0
        );
    }

    #[test]
    fn absurd_limits_saturate_without_panicking() {
        let cal = Calendar::default();
        let from = d(2025, 1, 1);
        let capped = cal.add_working_days(from, MAX_WORKING_DAYS);
        assert_eq!(cal.add_working_days(from, u32::MAX), capped);
        assert_eq!(
            cal.working_days_between(from, capped),
            i64::from(MAX_WORKING_DAYS)
        );

        // Near the end of chrono's range the result saturates instead of overflowing.
        assert_eq!(cal.add_working_days(NaiveDate::MAX, 1), NaiveDate::MAX);
        let near_end = NaiveDate::MAX - chrono::Duration::days(3);
        assert_eq!(cal.add_working_days(near_end, 100), NaiveDate::MAX);
        // The last instant chrono knows is already past the end of the last local day.
        assert_eq!(
            cal.due_at(DateTime::<Utc>::MAX_UTC, 5, wita()),
            end_of_wita_day(NaiveDate::MAX)
        );
        assert_eq!(
            cal.overdue_working_days(DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC, wita())
                .signum(),
            1
        );
    }

    #[test]
    fn a_calendar_of_only_holidays_still_terminates() {
        // Every day of 2025 off: the first working day after 2025-01-01 is Thursday 2026-01-01.
        let all_2025 = (0..365).map(|i| d(2025, 1, 1) + chrono::Duration::days(i));
        let cal = Calendar::new(all_2025);
        assert_eq!(cal.add_working_days(d(2025, 1, 1), 1), d(2026, 1, 1));
    }

    #[test]
    fn the_real_file_parses() {
        let holidays = parse_holidays_csv("id-national-2024-2030.csv", REAL_CSV).unwrap();
        assert_eq!(holidays.len(), 122);
        assert_eq!(
            holidays[0],
            Holiday {
                date: d(2024, 1, 1),
                name_id: "Tahun Baru Masehi".into(),
                name_en: "New Year's Day".into(),
            }
        );
        assert!(holidays
            .iter()
            .all(|h| (2024..=2030).contains(&h.date.year())));
        let nyepi = holidays.iter().find(|h| h.date == d(2025, 3, 29)).unwrap();
        assert_eq!(nyepi.name_id, "Hari Suci Nyepi");
        assert_eq!(nyepi.name_en, "Day of Silence");
    }

    fn err(content: &str) -> String {
        parse_holidays_csv("holidays.csv", content)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn csv_rejects_a_bad_date() {
        let csv = "date,name_id,name_en\n\
                   2024-01-01,Tahun Baru Masehi,New Year's Day\n\
                   2024-13-01,Salah,Wrong\n";
        assert_eq!(
            err(csv),
            "holidays.csv, line 3, field 'date': '2024-13-01' is not a date (YYYY-MM-DD)"
        );
        let e = parse_holidays_csv("holidays.csv", csv).unwrap_err();
        assert_eq!((e.line, e.field), (3, Some("date")));
        assert_eq!(
            err("date,name_id,name_en\n2024-1-1,Tahun Baru,New Year\n"),
            "holidays.csv, line 2, field 'date': '2024-1-1' is not a date (YYYY-MM-DD)"
        );
        assert_eq!(
            err("date,name_id,name_en\n01/01/2024,Tahun Baru,New Year\n"),
            "holidays.csv, line 2, field 'date': '01/01/2024' is not a date (YYYY-MM-DD)"
        );
        assert_eq!(
            err("date,name_id,name_en\n2025-02-29,Tidak ada,No such day\n"),
            "holidays.csv, line 2, field 'date': '2025-02-29' is not a date (YYYY-MM-DD)"
        );
    }

    #[test]
    fn csv_rejects_missing_and_extra_fields() {
        assert_eq!(
            err("date,name_id,name_en\n2024-01-01,Tahun Baru Masehi\n"),
            "holidays.csv, line 2, field 'name_en': missing (each line needs date,name_id,name_en)"
        );
        assert_eq!(
            err("date,name_id,name_en\n2024-01-01\n"),
            "holidays.csv, line 2, field 'name_id': missing (each line needs date,name_id,name_en)"
        );
        assert_eq!(
            err("date,name_id,name_en\n2024-01-01,Hari Raya Idul Fitri 1445 H,Eid, day 1\n"),
            "holidays.csv, line 2: 4 fields, expected 3 (date,name_id,name_en); \
             put a name that contains a comma in double quotes"
        );
    }

    #[test]
    fn csv_rejects_empty_names() {
        assert_eq!(
            err("date,name_id,name_en\n2024-01-01,,New Year's Day\n"),
            "holidays.csv, line 2, field 'name_id': must not be empty"
        );
        assert_eq!(
            err("date,name_id,name_en\n2024-01-01,Tahun Baru Masehi,  \n"),
            "holidays.csv, line 2, field 'name_en': must not be empty"
        );
        assert_eq!(
            err("date,name_id,name_en\n2024-01-01,\"\",New Year's Day\n"),
            "holidays.csv, line 2, field 'name_id': must not be empty"
        );
    }

    #[test]
    fn csv_rejects_a_duplicate_date() {
        let csv = "date,name_id,name_en\n\
                   2025-03-29,Hari Suci Nyepi,Day of Silence\n\
                   2025-03-31,Hari Raya Idul Fitri,Eid al-Fitr\n\
                   2025-03-29,Nyepi,Nyepi\n";
        assert_eq!(
            err(csv),
            "holidays.csv, line 4, field 'date': 2025-03-29 is listed twice (first on line 2)"
        );
    }

    #[test]
    fn csv_rejects_a_wrong_or_missing_header() {
        assert_eq!(
            err(""),
            "holidays.csv, line 1: the file is empty; expected the header 'date,name_id,name_en'"
        );
        assert_eq!(
            err("2024-01-01,Tahun Baru Masehi,New Year's Day\n"),
            "holidays.csv, line 1: expected the header 'date,name_id,name_en', \
             found '2024-01-01,Tahun Baru Masehi,New Year's Day'"
        );
        assert_eq!(
            err("tanggal,nama\n"),
            "holidays.csv, line 1: expected the header 'date,name_id,name_en', found 'tanggal,nama'"
        );
    }

    #[test]
    fn csv_quoted_fields() {
        let csv = "date,name_id,name_en\n\
                   2024-04-10,\"Idul Fitri, hari pertama\",\"Eid al-Fitr, day 1\"\n\
                   2024-04-11, \"Idul Fitri \"\"hari kedua\"\"\" ,Eid al-Fitr Second Day\n";
        let holidays = parse_holidays_csv("holidays.csv", csv).unwrap();
        assert_eq!(holidays[0].name_id, "Idul Fitri, hari pertama");
        assert_eq!(holidays[0].name_en, "Eid al-Fitr, day 1");
        assert_eq!(holidays[1].name_id, "Idul Fitri \"hari kedua\"");

        assert_eq!(
            err("date,name_id,name_en\n2024-04-10,\"Idul Fitri, hari pertama,Eid al-Fitr\n"),
            "holidays.csv, line 2, field 'name_id': \
             the double quote that opens this field is never closed"
        );
        assert_eq!(
            err("date,name_id,name_en\n2024-04-10,\"Idul\" Fitri,Eid al-Fitr\n"),
            "holidays.csv, line 2, field 'name_id': text after the closing double quote"
        );
        assert_eq!(
            err("date,name_id,name_en\n2024-04-10,Idul \"Fitri\",Eid al-Fitr\n"),
            "holidays.csv, line 2, field 'name_id': a double quote inside an unquoted field; \
             quote the whole field and write an inner quote as \"\""
        );
    }

    #[test]
    fn csv_tolerates_spreadsheet_habits() {
        // Byte order mark, CRLF, header in capitals, spaces around fields, blank lines.
        let csv = "\u{feff}Date,Name_ID,Name_EN\r\n\
                   \r\n\
                   2024-01-01 , Tahun Baru Masehi , New Year's Day\r\n\
                   \r\n\
                   2024-12-25,Hari Raya Natal,Christmas Day";
        let holidays = parse_holidays_csv("holidays.csv", csv).unwrap();
        assert_eq!(holidays.len(), 2);
        assert_eq!(holidays[0].date, d(2024, 1, 1));
        assert_eq!(holidays[0].name_id, "Tahun Baru Masehi");
        assert_eq!(holidays[1].name_en, "Christmas Day");
        // Line numbers still count the blank lines.
        let bad = "date,name_id,name_en\r\n\r\n2024-02-30,X,Y\r\n";
        assert_eq!(
            err(bad),
            "holidays.csv, line 3, field 'date': '2024-02-30' is not a date (YYYY-MM-DD)"
        );
        // A header alone is an empty calendar, not an error.
        assert_eq!(
            parse_holidays_csv("h.csv", "date,name_id,name_en\n").unwrap(),
            vec![]
        );
    }

    #[test]
    fn holidays_serialise_with_iso_dates() {
        let h = Holiday {
            date: d(2025, 3, 29),
            name_id: "Hari Suci Nyepi".into(),
            name_en: "Day of Silence".into(),
        };
        assert_eq!(
            serde_json::to_string(&h).unwrap(),
            r#"{"date":"2025-03-29","name_id":"Hari Suci Nyepi","name_en":"Day of Silence"}"#
        );
    }
}
