//! Arrow's temporal values as text that keeps everything they say: ISO 8601 / RFC 3339 dates and
//! times with the unit's full precision (`.123` for milliseconds, `.123456789` for nanoseconds),
//! the time zone of a zoned timestamp (a fixed offset as `+05:30`, a named zone in RFC 9557's
//! suffix: `2024-01-02T03:04:05Z[Europe/Paris]`, the instant in UTC, since Verdict carries no
//! zone database), and durations as exact decimal seconds. The calendar arithmetic is Howard
//! Hinnant's days-from-civil algorithm in `i64`: every value Arrow can hold has its text, so
//! nothing falls back to a placeholder.

use arrow_schema::TimeUnit;

/// Units per second and the digits of a fraction of a second, for `unit`.
fn scale(unit: TimeUnit) -> (i64, usize) {
    match unit {
        TimeUnit::Second => (1, 0),
        TimeUnit::Millisecond => (1_000, 3),
        TimeUnit::Microsecond => (1_000_000, 6),
        TimeUnit::Nanosecond => (1_000_000_000, 9),
    }
}

/// Year, month, day of a day count from 1970-01-01.
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// `YYYY-MM-DD` of a day count from 1970-01-01 (ISO 8601's expanded years beyond 0000-9999).
pub(super) fn date(days: i64) -> String {
    let (y, m, d) = civil(days);
    let year = match y {
        0..=9999 => format!("{y:04}"),
        y if y < 0 => format!("-{:04}", y.unsigned_abs()),
        y => format!("+{y}"),
    };
    format!("{year}-{m:02}-{d:02}")
}

/// `HH:MM:SS[.fraction]` of `secs` seconds and `frac` units (of `digits` digits) into the day.
fn clock(secs: u64, frac: u64, digits: usize) -> String {
    use std::fmt::Write as _;
    let mut out = format!("{:02}:{:02}:{:02}", secs / 3600, secs % 3600 / 60, secs % 60);
    if digits > 0 {
        let _ = write!(out, ".{frac:0digits$}");
    }
    out
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction]` of `v` units from the epoch.
fn datetime(v: i64, unit: TimeUnit) -> String {
    let (per, digits) = scale(unit);
    let (secs, frac) = (v.div_euclid(per), v.rem_euclid(per));
    let (day, second) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    format!("{}T{}", date(day), clock(second.unsigned_abs(), frac.unsigned_abs(), digits))
}

/// A `Date64` (milliseconds): the date, with the time when it is not midnight.
pub(super) fn date64(ms: i64) -> String {
    if ms.rem_euclid(86_400_000) == 0 { date(ms.div_euclid(86_400_000)) } else { datetime(ms, TimeUnit::Millisecond) }
}

/// A timestamp of `v` units from the epoch: as written (no zone), with its offset, or as the UTC
/// instant with its named zone.
pub(super) fn timestamp(v: i64, unit: TimeUnit, tz: Option<&str>) -> String {
    let Some(tz) = tz else { return datetime(v, unit) };
    let (per, _) = scale(unit);
    match offset_seconds(tz).and_then(|off| v.checked_add(off.checked_mul(per)?).map(|local| (off, local))) {
        Some((0, _)) => datetime(v, unit) + "Z",
        Some((off, local)) => {
            let sign = if off < 0 { '-' } else { '+' };
            let off = off.unsigned_abs();
            format!("{}{sign}{:02}:{:02}", datetime(local, unit), off / 3600, off % 3600 / 60)
        }
        None => format!("{}Z[{tz}]", datetime(v, unit)),
    }
}

/// Seconds east of UTC of a zone written as an offset (`+05:30`, `-0800`, `+01`, `UTC`).
fn offset_seconds(tz: &str) -> Option<i64> {
    if matches!(tz, "UTC" | "utc" | "Z" | "Etc/UTC" | "+00:00" | "-00:00") {
        return Some(0);
    }
    let sign = match tz.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = tz[1..].chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m) = match digits.len() {
        2 => (digits.parse::<i64>().ok()?, 0),
        4 => (digits[..2].parse::<i64>().ok()?, digits[2..].parse::<i64>().ok()?),
        _ => return None,
    };
    Some(sign * (h * 3600 + m * 60))
}

/// A time of day of `v` units since midnight (a value outside 0-24 h keeps its hours).
pub(super) fn time(v: i64, unit: TimeUnit) -> String {
    let (per, digits) = scale(unit);
    let sign = if v < 0 { "-" } else { "" };
    let (abs, per) = (v.unsigned_abs(), per.unsigned_abs());
    format!("{sign}{}", clock(abs / per, abs % per, digits))
}

/// A duration of `v` units as exact decimal seconds (`1.500` for 1500 ms): valid JSON number text.
pub(super) fn duration_seconds(v: i64, unit: TimeUnit) -> String {
    let (per, digits) = scale(unit);
    let sign = if v < 0 { "-" } else { "" };
    let abs = v.unsigned_abs();
    let per = per.unsigned_abs();
    if digits == 0 { format!("{sign}{abs}") } else { format!("{sign}{}.{:0digits$}", abs / per, abs % per) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_read_as_iso_8601_with_their_unit_and_zone() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(19_724), "2024-01-02");
        assert_eq!(date(-1), "1969-12-31");
        assert_eq!(date(-719_529), "-0001-12-31");
        assert_eq!(date(2_932_897), "+10000-01-01");
        assert_eq!(date64(1_704_153_600_000), "2024-01-02");
        assert_eq!(date64(1_704_153_600_001), "2024-01-02T00:00:00.001");
        let t = 1_704_164_645_123_456_789; // 2024-01-02T03:04:05.123456789Z
        assert_eq!(timestamp(t, TimeUnit::Nanosecond, None), "2024-01-02T03:04:05.123456789");
        assert_eq!(timestamp(t / 1000, TimeUnit::Microsecond, Some("UTC")), "2024-01-02T03:04:05.123456Z");
        assert_eq!(timestamp(t / 1_000_000, TimeUnit::Millisecond, Some("+05:30")), "2024-01-02T08:34:05.123+05:30");
        assert_eq!(timestamp(t / 1_000_000_000, TimeUnit::Second, Some("-0800")), "2024-01-01T19:04:05-08:00");
        assert_eq!(
            timestamp(t / 1_000_000_000, TimeUnit::Second, Some("Europe/Paris")),
            "2024-01-02T03:04:05Z[Europe/Paris]"
        );
        assert_eq!(timestamp(-500, TimeUnit::Millisecond, None), "1969-12-31T23:59:59.500");
        // The largest values have their text too.
        assert!(timestamp(i64::MAX, TimeUnit::Second, Some("+01:00")).starts_with("+292277026596-12-04T15:30:07"));
        assert_eq!(timestamp(i64::MIN, TimeUnit::Nanosecond, None), "1677-09-21T00:12:43.145224192");
        assert_eq!(time(3_723_500, TimeUnit::Millisecond), "01:02:03.500");
        assert_eq!(time(90_000, TimeUnit::Second), "25:00:00");
        assert_eq!(duration_seconds(1_500, TimeUnit::Millisecond), "1.500");
        assert_eq!(duration_seconds(-5, TimeUnit::Nanosecond), "-0.000000005");
        assert_eq!(duration_seconds(i64::MIN, TimeUnit::Second), "-9223372036854775808");
    }
}
