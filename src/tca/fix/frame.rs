//! FIX tag=value framing: finding a message in a log line, splitting its
//! fields, and checking BodyLength (9) and CheckSum (10).
//!
//! Logs write the field delimiter as SOH (0x01), as `|`, or as `^A`; a
//! line may carry a prefix before `8=FIX` (QuickFIX writes a timestamp and
//! ` : `). The checksum is what the sender computed with SOH, so a shown
//! delimiter counts as byte 1 whatever character the log used.

/// One field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    /// The tag number.
    pub tag: u32,
    /// The value, as written.
    pub value: &'a str,
}

/// A message's fields in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message<'a> {
    /// Every field, header and trailer included.
    pub fields: Vec<Field<'a>>,
}

impl<'a> Message<'a> {
    /// The first value of `tag` (FIX allows a tag once outside repeating groups).
    pub fn get(&self, tag: u32) -> Option<&'a str> {
        self.fields.iter().find(|f| f.tag == tag).map(|f| f.value).filter(|v| !v.is_empty())
    }
    /// MsgType (35).
    pub fn msg_type(&self) -> Option<&'a str> {
        self.get(35)
    }
}

/// Why a line is not a well-formed FIX message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// A field without `=`, or a tag that is not a number.
    #[error("field {index} ('{text}') is not TAG=VALUE with a numeric tag")]
    BadField {
        /// 1-based position in the message.
        index: usize,
        /// The field as written.
        text: String,
    },
    /// The message does not start with BeginString, BodyLength, MsgType.
    #[error("a FIX message starts with 8=FIX..., 9=BodyLength, 35=MsgType; this one starts with {0}")]
    BadHeader(String),
    /// No CheckSum (10) field at the end.
    #[error("no CheckSum (10) field ends the message: it is truncated")]
    NoCheckSum,
    /// BodyLength does not match the bytes between it and CheckSum.
    #[error("BodyLength (9) says {said} but {counted} bytes lie between it and CheckSum (10)")]
    BodyLength {
        /// Declared.
        said: usize,
        /// Counted.
        counted: usize,
    },
    /// CheckSum does not match the bytes before it.
    #[error("CheckSum (10) says {said} but the message sums to {computed:03}: it was altered or truncated")]
    CheckSum {
        /// Declared.
        said: String,
        /// Computed.
        computed: u32,
    },
}

/// Where the message starts in `line`, and its delimiter; `None` when the line holds no FIX message.
fn locate(line: &str) -> Option<(usize, &'static str)> {
    let start = line.find("8=FIX")?;
    let rest = &line[start..];
    for d in ["\u{1}", "^A", "|"] {
        if rest.contains(d) {
            return Some((start, d));
        }
    }
    None
}

/// Parses the FIX message in `line`, if any; `check` verifies BodyLength and CheckSum.
pub fn parse_line(line: &str, check: bool) -> Option<Result<Message<'_>, FrameError>> {
    let (start, delim) = locate(line)?;
    let text = line[start..].trim_end_matches(['\r', '\n']);
    Some(split(text, delim, check))
}

fn split<'a>(text: &'a str, delim: &str, check: bool) -> Result<Message<'a>, FrameError> {
    let mut fields = Vec::new();
    // Byte offset just after each field's delimiter, for the length and checksum checks.
    let mut ends = Vec::new();
    let mut pos = 0;
    for (i, raw) in text.split(delim).enumerate() {
        let next = pos + raw.len() + delim.len();
        if raw.is_empty() {
            pos = next;
            continue;
        }
        let (tag, value) =
            raw.split_once('=').ok_or_else(|| FrameError::BadField { index: i + 1, text: raw.into() })?;
        let tag: u32 = tag.trim().parse().map_err(|_| FrameError::BadField { index: i + 1, text: raw.into() })?;
        fields.push(Field { tag, value });
        ends.push((pos, next));
        pos = next;
    }
    let tags: Vec<u32> = fields.iter().take(3).map(|f| f.tag).collect();
    if tags != [8, 9, 35] {
        let shown: Vec<String> = fields.iter().take(3).map(|f| format!("{}={}", f.tag, f.value)).collect();
        return Err(FrameError::BadHeader(shown.join(" ")));
    }
    if check {
        verify(text, delim, &fields, &ends)?;
    }
    Ok(Message { fields })
}

/// BodyLength counts the bytes after the 9= field up to and including the
/// delimiter before 10=; CheckSum is the sum of every byte before 10=, mod 256,
/// with each delimiter counted as SOH.
fn verify(text: &str, delim: &str, fields: &[Field<'_>], ends: &[(usize, usize)]) -> Result<(), FrameError> {
    let k = fields.iter().position(|f| f.tag == 10).ok_or(FrameError::NoCheckSum)?;
    let body_start = ends[1].1;
    let checksum_at = ends[k].0;
    let soh_len = |s: &str| s.len() - s.matches(delim).count() * (delim.len() - 1);
    let counted = soh_len(&text[body_start.min(checksum_at)..checksum_at]);
    let said: usize =
        fields[1].value.trim().parse().map_err(|_| FrameError::BodyLength { said: usize::MAX, counted })?;
    if said != counted {
        return Err(FrameError::BodyLength { said, counted });
    }
    let head = &text[..checksum_at];
    let delims = head.matches(delim).count() as u32;
    let bytes: u32 = head.bytes().map(u32::from).sum();
    let delim_bytes: u32 = delim.bytes().map(u32::from).sum();
    let computed = (bytes - delims * delim_bytes + delims) % 256;
    let said = fields[k].value;
    if said.trim().parse::<u32>().ok() != Some(computed) {
        return Err(FrameError::CheckSum { said: said.into(), computed });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 8=FIX.4.2|9=5|35=0|10=161| with SOH: the body "35=0" + SOH is 5 bytes;
    /// the checksum sums "8=FIX.4.2" (56+61+70+73+88+46+52+46+50 = 542), SOH (1),
    /// "9=5" (57+61+53 = 171), SOH (1), "35=0" (51+53+61+48 = 213), SOH (1):
    /// 542 + 1 + 171 + 1 + 213 + 1 = 929; 929 mod 256 = 161.
    #[test]
    fn heartbeat_checks_by_hand() {
        for (line, delim) in
            [("8=FIX.4.2\u{1}9=5\u{1}35=0\u{1}10=161\u{1}", "SOH"), ("8=FIX.4.2|9=5|35=0|10=161|", "|")]
        {
            let m = parse_line(line, true).unwrap().unwrap_or_else(|e| panic!("{delim}: {e}"));
            assert_eq!(m.msg_type(), Some("0"));
            assert_eq!(m.get(10), Some("161"));
        }
        let e = parse_line("8=FIX.4.2|9=5|35=0|10=162|", true).unwrap().unwrap_err();
        assert_eq!(e, FrameError::CheckSum { said: "162".into(), computed: 161 });
        assert!(parse_line("8=FIX.4.2|9=5|35=0|10=162|", false).unwrap().is_ok());
        let e = parse_line("8=FIX.4.2|9=6|35=0|10=161|", true).unwrap().unwrap_err();
        assert_eq!(e, FrameError::BodyLength { said: 6, counted: 5 });
    }

    #[test]
    fn prefixes_and_caret_a_delimiters() {
        let line = "20261125-14:30:00.123 : 8=FIX.4.2^A9=5^A35=0^A10=161^A";
        assert_eq!(parse_line(line, true).unwrap().unwrap().fields.len(), 4);
        assert!(parse_line("not a fix line", true).is_none());
    }

    #[test]
    fn malformed_messages_say_why() {
        let e = parse_line("8=FIX.4.2|9=5|35=0|oops|10=161|", false).unwrap().unwrap_err();
        assert_eq!(e, FrameError::BadField { index: 4, text: "oops".into() });
        let e = parse_line("8=FIX.4.2|35=0|9=5|10=161|", false).unwrap().unwrap_err();
        assert!(matches!(e, FrameError::BadHeader(_)), "{e}");
        assert_eq!(parse_line("8=FIX.4.2|9=5|35=0|", true).unwrap().unwrap_err(), FrameError::NoCheckSum);
    }
}
