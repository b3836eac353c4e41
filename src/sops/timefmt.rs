//! The few Go time layouts sops depends on: RFC 3339 parsing, `Format(time.RFC3339)` (the MAC's
//! additional data), `MarshalText` (RFC 3339 with trimmed nanoseconds, how `type:time` values and
//! their MAC bytes are written) and go-yaml v3's timestamp resolution.

/// A civil date-time with its UTC offset, as Go's `time.Time` keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DateTime {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
    offset_minutes: i32,
}

impl DateTime {
    /// Go `Format(time.RFC3339)`: no fraction, `Z` for a zero offset.
    pub fn rfc3339(&self) -> String {
        format!("{}{}", self.base(), self.zone())
    }

    /// Go `MarshalText` (`time.RFC3339Nano`): fraction without trailing zeros.
    pub fn rfc3339_nano(&self) -> String {
        let mut frac = String::new();
        if self.nanos > 0 {
            frac = format!(".{:09}", self.nanos);
            while frac.ends_with('0') {
                frac.pop();
            }
        }
        format!("{}{}{}", self.base(), frac, self.zone())
    }

    fn base(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    fn zone(&self) -> String {
        if self.offset_minutes == 0 {
            return "Z".to_string();
        }
        let sign = if self.offset_minutes < 0 { '-' } else { '+' };
        let m = self.offset_minutes.unsigned_abs();
        format!("{sign}{:02}:{:02}", m / 60, m % 60)
    }

    fn valid(&self) -> bool {
        let leap = (self.year % 4 == 0 && self.year % 100 != 0) || self.year % 400 == 0;
        let days = match self.month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return false,
        };
        (1..=days).contains(&self.day) && self.hour < 24 && self.minute < 60 && self.second < 60
    }
}

/// A tiny cursor over ASCII text.
struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, min: usize, max: usize) -> Option<u32> {
        let start = self.pos;
        while self.pos < self.s.len() && self.pos - start < max && self.s[self.pos].is_ascii_digit()
        {
            self.pos += 1;
        }
        if self.pos - start < min {
            return None;
        }
        std::str::from_utf8(&self.s[start..self.pos])
            .ok()?
            .parse()
            .ok()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.s.get(self.pos) == Some(&c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn done(&self) -> bool {
        self.pos == self.s.len()
    }

    /// `.123456789` (optional), at most 9 digits kept as Go does.
    fn fraction(&mut self) -> Option<u32> {
        if !self.eat(b'.') {
            return Some(0);
        }
        let start = self.pos;
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_digit() {
            self.pos += 1;
        }
        let digits = &self.s[start..self.pos];
        if digits.is_empty() || digits.len() > 9 {
            return None;
        }
        let mut nanos: u32 = std::str::from_utf8(digits).ok()?.parse().ok()?;
        for _ in digits.len()..9 {
            nanos *= 10;
        }
        Some(nanos)
    }

    /// `Z` or `±hh:mm`.
    fn zone(&mut self) -> Option<i32> {
        if self.eat(b'Z') {
            return Some(0);
        }
        let sign = match self.peek()? {
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        self.pos += 1;
        let h = self.digits(2, 2)?;
        if !self.eat(b':') {
            return None;
        }
        let m = self.digits(2, 2)?;
        if h > 23 || m > 59 {
            return None;
        }
        Some(sign * (h * 60 + m) as i32)
    }
}

/// Go `time.Parse(time.RFC3339, s)` (which also accepts a fraction).
pub(crate) fn parse_rfc3339(s: &str) -> Option<DateTime> {
    let mut c = Cursor {
        s: s.as_bytes(),
        pos: 0,
    };
    let year = c.digits(4, 4)? as i64;
    c.eat(b'-').then_some(())?;
    let month = c.digits(2, 2)?;
    c.eat(b'-').then_some(())?;
    let day = c.digits(2, 2)?;
    c.eat(b'T').then_some(())?;
    let hour = c.digits(2, 2)?;
    c.eat(b':').then_some(())?;
    let minute = c.digits(2, 2)?;
    c.eat(b':').then_some(())?;
    let second = c.digits(2, 2)?;
    let nanos = c.fraction()?;
    let offset_minutes = c.zone()?;
    let dt = DateTime {
        year,
        month,
        day,
        hour,
        minute,
        second,
        nanos,
        offset_minutes,
    };
    (c.done() && dt.valid()).then_some(dt)
}

/// go-yaml v3 `parseTimestamp` for an unquoted scalar: `2006-1-2`, `2006-1-2T15:4:5.999999999Z07:00`
/// (`t` allowed), `2006-1-2 15:4:5.999999999` (UTC).
pub(crate) fn parse_yaml_timestamp(s: &str) -> Option<DateTime> {
    let bytes = s.as_bytes();
    // go-yaml only tries when the text starts with four digits and a dash.
    if bytes.len() < 5 || !bytes[..4].iter().all(u8::is_ascii_digit) || bytes[4] != b'-' {
        return None;
    }
    let mut c = Cursor { s: bytes, pos: 0 };
    let year = c.digits(4, 4)? as i64;
    c.eat(b'-').then_some(())?;
    let month = c.digits(1, 2)?;
    c.eat(b'-').then_some(())?;
    let day = c.digits(1, 2)?;
    let mut dt = DateTime {
        year,
        month,
        day,
        hour: 0,
        minute: 0,
        second: 0,
        nanos: 0,
        offset_minutes: 0,
    };
    if c.done() {
        return dt.valid().then_some(dt);
    }
    let zoned = match c.peek()? {
        b'T' | b't' => true,
        b' ' => false,
        _ => return None,
    };
    c.pos += 1;
    dt.hour = c.digits(1, 2)?;
    c.eat(b':').then_some(())?;
    dt.minute = c.digits(1, 2)?;
    c.eat(b':').then_some(())?;
    dt.second = c.digits(1, 2)?;
    dt.nanos = c.fraction()?;
    if zoned {
        dt.offset_minutes = c.zone()?;
    }
    (c.done() && dt.valid()).then_some(dt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips_like_go() {
        let t = parse_rfc3339("2024-11-12T13:33:42Z").unwrap();
        assert_eq!(t.rfc3339(), "2024-11-12T13:33:42Z");
        let t = parse_rfc3339("2024-11-12T13:33:42.120+00:00").unwrap();
        assert_eq!(t.rfc3339(), "2024-11-12T13:33:42Z");
        assert_eq!(t.rfc3339_nano(), "2024-11-12T13:33:42.12Z");
        let t = parse_rfc3339("2024-01-02T03:04:05-05:30").unwrap();
        assert_eq!(t.rfc3339(), "2024-01-02T03:04:05-05:30");
        assert!(parse_rfc3339("2024-13-02T03:04:05Z").is_none());
        assert!(parse_rfc3339("2024-01-02").is_none());
        assert!(parse_rfc3339("2024-01-02T03:04:05Zjunk").is_none());
    }

    #[test]
    fn yaml_timestamps() {
        assert_eq!(
            parse_yaml_timestamp("2024-01-02").unwrap().rfc3339_nano(),
            "2024-01-02T00:00:00Z"
        );
        assert_eq!(
            parse_yaml_timestamp("2024-5-6t7:08:09.5+02:00")
                .unwrap()
                .rfc3339_nano(),
            "2024-05-06T07:08:09.5+02:00"
        );
        assert_eq!(
            parse_yaml_timestamp("2024-05-06 07:08:09")
                .unwrap()
                .rfc3339_nano(),
            "2024-05-06T07:08:09Z"
        );
        assert!(parse_yaml_timestamp("2024-02-30").is_none());
        assert!(parse_yaml_timestamp("12024-01-01").is_none());
        assert!(parse_yaml_timestamp("2024-01-02x").is_none());
    }
}
