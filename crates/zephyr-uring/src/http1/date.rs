//! The `date` response field, formatted once a second rather than once a response.

use std::time::{SystemTime, UNIX_EPOCH};

/// Length of an IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
const IMF_FIXDATE_LEN: usize = 29;

/// Caches the current time as an IMF-fixdate (RFC 9110 §5.6.7), reformatting it only when the
/// second changes. One per event-loop thread.
///
/// ```
/// use zephyr_uring::http1::DateCache;
/// let mut dates = DateCache::new();
/// let now = dates.get();
/// assert_eq!(now.len(), 29);
/// assert!(now.ends_with(b" GMT"));
/// ```
#[derive(Debug, Clone)]
pub struct DateCache {
    second: u64,
    text: [u8; IMF_FIXDATE_LEN],
}

impl Default for DateCache {
    fn default() -> Self {
        Self::new()
    }
}

impl DateCache {
    /// A cache holding the current time.
    pub fn new() -> Self {
        let second = unix_now();
        DateCache {
            second,
            text: format_imf_fixdate(second),
        }
    }

    /// The current time as an IMF-fixdate; formatted again only if the second has changed since
    /// the last call.
    pub fn get(&mut self) -> &[u8] {
        let now = unix_now();
        if now != self.second {
            self.second = now;
            self.text = format_imf_fixdate(now);
        }
        &self.text
    }
}

fn unix_now() -> u64 {
    // A clock before 1970 is a misconfigured host; dating responses 1970 is the least harm.
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Formats seconds since the Unix epoch as `Sun, 06 Nov 1994 08:49:37 GMT`. Years past 9999 are
/// clamped to 9999-12-31 23:59:59, the last date the four-digit format can carry.
pub(crate) fn format_imf_fixdate(secs: u64) -> [u8; IMF_FIXDATE_LEN] {
    const MAX: u64 = 253_402_300_799; // 9999-12-31T23:59:59Z
    let secs = secs.min(MAX);
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (hour, minute, second) = (rem / 3600, rem % 3600 / 60, rem % 60);
    // 1970-01-01 was a Thursday.
    let weekday = ((days + 4) % 7) as usize;
    let (year, month, day) = civil_from_days(days);

    const DAYS: [&[u8; 3]; 7] = [b"Sun", b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat"];
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let mut t = *b"Thu, 01 Jan 1970 00:00:00 GMT";
    t[0..3].copy_from_slice(DAYS[weekday]);
    two_digits(&mut t[5..7], day);
    t[8..11].copy_from_slice(MONTHS[(month - 1) as usize]);
    two_digits(&mut t[12..14], year / 100);
    two_digits(&mut t[14..16], year % 100);
    two_digits(&mut t[17..19], hour);
    two_digits(&mut t[20..22], minute);
    two_digits(&mut t[23..25], second);
    t
}

fn two_digits(dst: &mut [u8], n: u64) {
    dst[0] = b'0' + (n / 10 % 10) as u8;
    dst[1] = b'0' + (n % 10) as u8;
}

/// Days since 1970-01-01 to (year, month 1..=12, day 1..=31), proleptic Gregorian
/// (Howard Hinnant's `civil_from_days`, restricted to non-negative days).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_the_rfc_example_date() {
        assert_eq!(
            &format_imf_fixdate(784_111_777),
            b"Sun, 06 Nov 1994 08:49:37 GMT"
        );
    }

    #[test]
    fn formats_the_epoch_leap_days_and_the_far_future() {
        assert_eq!(&format_imf_fixdate(0), b"Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(
            &format_imf_fixdate(951_782_400),
            b"Tue, 29 Feb 2000 00:00:00 GMT"
        );
        assert_eq!(
            &format_imf_fixdate(4_107_542_399),
            b"Sun, 28 Feb 2100 23:59:59 GMT"
        );
        assert_eq!(
            &format_imf_fixdate(u64::MAX),
            b"Fri, 31 Dec 9999 23:59:59 GMT"
        );
    }

    #[test]
    fn cache_returns_a_well_formed_current_date() {
        let mut cache = DateCache::new();
        let a = cache.get().to_vec();
        assert_eq!(a.len(), 29);
        assert_eq!(&a[25..], b" GMT");
        assert!(a[0..3].iter().all(u8::is_ascii_alphabetic));
    }
}
