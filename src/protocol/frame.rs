//! SCPv2 chunk framing: `chunked 1.0,<metadata bytes>,<body bytes>\n`, then
//! exactly that many metadata bytes and body bytes.
//!
//! Reading follows mini-redis' check-then-parse split: the header line is
//! checked and parsed on its own (bounded to [`HEADER_MAX`] bytes), then the
//! metadata is read with an exact-length read and the body is handed on as a
//! [`BodyReader`] over exactly its length (the command processes it as it
//! arrives). Two rules keep a hostile or broken peer from hurting us:
//!
//! * a length is only a promise: buffers grow with the bytes that actually
//!   arrive, never up front to the claimed size, so `chunked 1.0,0,999999999`
//!   followed by EOF costs a few kilobytes, not a gigabyte;
//! * lengths above [`Limits`] are refused before anything is read.
//!
//! Error messages never quote the offending bytes: after a framing slip the
//! "header" may be a piece of the getinfo metadata, which holds the session
//! key.

use std::io::{self, BufRead, Read, Write};

use crate::error::FrameError;

/// Longest header line accepted, newline included. A real header is at most
/// `chunked 1.0,` + 2 × 20 digits + `\r\n` = 54 bytes.
pub const HEADER_MAX: usize = 128;

/// Per-chunk size caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest metadata (JSON) accepted, in bytes.
    pub max_metadata: usize,
    /// Largest body (CSV) accepted, in bytes.
    pub max_body: usize,
}

impl Default for Limits {
    /// 16 MiB of metadata (splunkd's getinfo is a few kilobytes) and 1 GiB of
    /// body (a 50,000-row chunk of wide events is tens of megabytes).
    fn default() -> Limits {
        Limits {
            max_metadata: 16 << 20,
            max_body: 1 << 30,
        }
    }
}

/// A parsed header line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Metadata length in bytes.
    pub metadata_len: usize,
    /// Body length in bytes.
    pub body_len: usize,
}

/// Parses one header line (without its `\n`; a trailing `\r` is allowed).
pub fn parse_header(line: &[u8], limits: &Limits) -> Result<Header, FrameError> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let rest = line
        .strip_prefix(b"chunked 1.0,")
        .ok_or(FrameError::BadHeader(
            "it does not start with \"chunked 1.0,\"",
        ))?;
    let comma =
        memchr::memchr(b',', rest).ok_or(FrameError::BadHeader("the body length is missing"))?;
    let metadata_len = parse_len(&rest[..comma], "metadata")?;
    let body_len = parse_len(&rest[comma + 1..], "body")?;
    check_len("metadata", metadata_len, limits.max_metadata)?;
    check_len("body", body_len, limits.max_body)?;
    Ok(Header {
        metadata_len: metadata_len as usize,
        body_len: body_len as usize,
    })
}

fn parse_len(digits: &[u8], what: &'static str) -> Result<u64, FrameError> {
    if digits.is_empty() {
        return Err(FrameError::BadHeader(if what == "body" {
            "the body length is empty"
        } else {
            "the metadata length is empty"
        }));
    }
    let mut n: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return Err(FrameError::BadHeader(if what == "body" {
                "the body length is not a decimal number"
            } else {
                "the metadata length is not a decimal number"
            }));
        }
        n = match n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(d - b'0')))
        {
            Some(n) => n,
            None => return Err(FrameError::BadHeader(overflow_msg(what))),
        };
    }
    Ok(n)
}

fn overflow_msg(what: &'static str) -> &'static str {
    if what == "body" {
        "the body length does not fit in 64 bits"
    } else {
        "the metadata length does not fit in 64 bits"
    }
}

fn check_len(what: &'static str, len: u64, max: usize) -> Result<(), FrameError> {
    if len > max as u64 {
        Err(FrameError::TooLarge { what, len, max })
    } else {
        Ok(())
    }
}

/// Reads one header line, skipping blank lines (`\n`, `\r\n`, `\r`) before it.
///
/// Returns `Ok(None)` on EOF before the first byte of a header: the normal end
/// of a session.
pub fn read_header<R: BufRead>(
    reader: &mut R,
    limits: &Limits,
) -> Result<Option<Header>, FrameError> {
    let mut line = [0u8; HEADER_MAX];
    let mut len = 0usize;
    loop {
        let available = match reader.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(FrameError::Io(e)),
        };
        if available.is_empty() {
            // EOF. Only blank-line bytes (or nothing) so far is a clean end.
            return if len == 0 || is_blank(&line[..len]) {
                Ok(None)
            } else {
                Err(FrameError::TruncatedHeader)
            };
        }
        match memchr::memchr(b'\n', available) {
            Some(i) => {
                let take = i + 1;
                if len + i > HEADER_MAX - 1 {
                    return Err(FrameError::HeaderTooLong(HEADER_MAX));
                }
                line[len..len + i].copy_from_slice(&available[..i]);
                len += i;
                reader.consume(take);
                if is_blank(&line[..len]) {
                    len = 0; // a blank line between chunks: tolerated, skipped
                    continue;
                }
                // Lone `\r`s before the header are blank lines too.
                let start = line[..len].iter().take_while(|&&b| b == b'\r').count();
                return parse_header(&line[start..len], limits).map(Some);
            }
            None => {
                let n = available.len();
                if len + n > HEADER_MAX - 1 {
                    // A run of lone `\r`s is blank, not a header; anything
                    // else this long cannot be a header.
                    if is_blank(&line[..len]) && available.iter().all(|&b| b == b'\r') {
                        reader.consume(n);
                        len = 0;
                        continue;
                    }
                    return Err(FrameError::HeaderTooLong(HEADER_MAX));
                }
                line[len..len + n].copy_from_slice(available);
                len += n;
                reader.consume(n);
            }
        }
    }
}

fn is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| b == b'\r')
}

/// Reads exactly `len` bytes into `buf` (cleared first), growing it only as
/// bytes arrive — `read_to_end` doubles from what it has read, never to the
/// declared length up front — and without zero-filling: `buf`'s capacity is
/// reused between chunks, so a steady stream of similar chunks allocates
/// nothing after the first one.
pub fn read_payload<R: BufRead>(
    reader: &mut R,
    len: usize,
    buf: &mut Vec<u8>,
    what: &'static str,
) -> Result<(), FrameError> {
    buf.clear();
    reader.by_ref().take(len as u64).read_to_end(buf)?;
    if buf.len() < len {
        return Err(FrameError::Truncated {
            what,
            expected: len,
            got: buf.len(),
        });
    }
    Ok(())
}

/// A reader over exactly the next `len` bytes of `input`: a chunk's body,
/// handed to the command to process as it arrives.
///
/// It never fails: an input that ends early or fails reads as the end of
/// the body, and [`BodyReader::finish`] (after the command has read what it
/// wanted) tells the two apart from a complete body — so a truncated chunk
/// is a framing error whatever the command made of its bytes, as when the
/// body was read whole first.
pub struct BodyReader<'r, R: BufRead> {
    input: &'r mut R,
    expected: usize,
    remaining: usize,
    /// The input ended (or failed) before the body did.
    ended: bool,
    error: Option<io::Error>,
}

impl<'r, R: BufRead> BodyReader<'r, R> {
    /// The next `len` bytes of `input`.
    pub fn new(input: &'r mut R, len: usize) -> BodyReader<'r, R> {
        BodyReader {
            input,
            expected: len,
            remaining: len,
            ended: false,
            error: None,
        }
    }

    /// Skips what the command did not read, then checks that the whole body
    /// arrived: `Truncated` (with `what`) if the input ended first, `Io` if
    /// it failed.
    pub fn finish(mut self, what: &'static str) -> Result<(), FrameError> {
        while self.remaining > 0 && !self.ended {
            match self.input.fill_buf() {
                Ok([]) => self.ended = true,
                Ok(available) => {
                    let n = available.len().min(self.remaining);
                    self.input.consume(n);
                    self.remaining -= n;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.error = Some(e);
                    self.ended = true;
                }
            }
        }
        if let Some(e) = self.error {
            return Err(FrameError::Io(e));
        }
        if self.remaining > 0 {
            return Err(FrameError::Truncated {
                what,
                expected: self.expected,
                got: self.expected - self.remaining,
            });
        }
        Ok(())
    }
}

impl<R: BufRead> Read for BodyReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = buf.len().min(self.remaining);
        if want == 0 || self.ended {
            return Ok(0);
        }
        loop {
            match self.input.read(&mut buf[..want]) {
                Ok(0) => {
                    self.ended = true;
                    return Ok(0);
                }
                Ok(n) => {
                    self.remaining -= n;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.error = Some(e);
                    self.ended = true;
                    return Ok(0);
                }
            }
        }
    }
}

/// The input's own buffer, cut at the body's end: the command can scan the
/// bytes where they are. Like `read`, an input that ends early or fails
/// gives the end of the body (and [`BodyReader::finish`] tells).
impl<R: BufRead> BufRead for BodyReader<'_, R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.remaining == 0 || self.ended {
            return Ok(&[]);
        }
        let available = loop {
            match self.input.fill_buf() {
                Ok(bytes) => break bytes.len(),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.error = Some(e);
                    self.ended = true;
                    return Ok(&[]);
                }
            }
        };
        if available == 0 {
            self.ended = true;
            return Ok(&[]);
        }
        let n = available.min(self.remaining);
        // The input's buffer is filled: this returns it again at once.
        let bytes = self.input.fill_buf()?;
        Ok(&bytes[..n.min(bytes.len())])
    }

    fn consume(&mut self, n: usize) {
        let n = n.min(self.remaining);
        self.input.consume(n);
        self.remaining -= n;
    }
}

/// Writes one chunk: header, metadata, body. Does not flush.
pub fn write_chunk<W: Write>(out: &mut W, metadata: &[u8], body: &[u8]) -> io::Result<()> {
    let mut header = [0u8; HEADER_MAX];
    let mut cursor = io::Cursor::new(&mut header[..]);
    writeln!(cursor, "chunked 1.0,{},{}", metadata.len(), body.len())?;
    let n = cursor.position() as usize;
    out.write_all(&header[..n])?;
    out.write_all(metadata)?;
    out.write_all(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            max_metadata: 100,
            max_body: 1000,
        }
    }

    #[test]
    fn parses_plain_and_crlf_headers() {
        let h = parse_header(b"chunked 1.0,37,85", &limits()).unwrap();
        assert_eq!((h.metadata_len, h.body_len), (37, 85));
        let h = parse_header(b"chunked 1.0,0,0\r", &limits()).unwrap();
        assert_eq!((h.metadata_len, h.body_len), (0, 0));
    }

    #[test]
    fn rejects_malformed_headers_without_quoting_them() {
        for bad in [
            &b"chunked 1.1,1,1"[..],
            b"chunked 1.0,1",
            b"chunked 1.0,,1",
            b"chunked 1.0,1,",
            b"chunked 1.0,-1,1",
            b"chunked 1.0, 1,1",
            b"chunked 1.0,1,1 ",
            b"chunked 1.0,1,1,1",
            b"session_key\":\"s3cr3t\"",
        ] {
            let err = parse_header(bad, &limits()).unwrap_err();
            assert!(matches!(err, FrameError::BadHeader(_)), "{bad:?}: {err}");
            assert!(!err.to_string().contains("s3cr3t"));
        }
    }

    #[test]
    fn rejects_lengths_over_the_cap_and_64_bit_overflow() {
        let err = parse_header(b"chunked 1.0,101,0", &limits()).unwrap_err();
        assert!(matches!(
            err,
            FrameError::TooLarge {
                what: "metadata",
                len: 101,
                ..
            }
        ));
        let err = parse_header(b"chunked 1.0,1,1001", &limits()).unwrap_err();
        assert!(matches!(err, FrameError::TooLarge { what: "body", .. }));
        let err = parse_header(b"chunked 1.0,1,99999999999999999999999", &limits()).unwrap_err();
        assert!(err.to_string().contains("64 bits"), "{err}");
    }

    #[test]
    fn skips_blank_lines_and_reports_clean_eof() {
        let mut r = &b"\n\r\n\rchunked 1.0,1,2\n"[..];
        let h = read_header(&mut r, &limits()).unwrap().unwrap();
        assert_eq!((h.metadata_len, h.body_len), (1, 2));
        assert!(read_header(&mut r, &limits()).unwrap().is_none());
        let mut r = &b"\n\n"[..];
        assert!(read_header(&mut r, &limits()).unwrap().is_none());
    }

    #[test]
    fn truncated_and_endless_headers_are_errors() {
        let mut r = &b"chunked 1.0,1"[..];
        assert!(matches!(
            read_header(&mut r, &limits()),
            Err(FrameError::TruncatedHeader)
        ));
        let long = vec![b'x'; 4096];
        let mut r = &long[..];
        assert!(matches!(
            read_header(&mut r, &limits()),
            Err(FrameError::HeaderTooLong(HEADER_MAX))
        ));
    }

    #[test]
    fn payload_growth_follows_arrival_not_the_claim() {
        let mut buf = Vec::new();
        let mut r = &b"abc"[..];
        let err = read_payload(&mut r, 1 << 29, &mut buf, "body").unwrap_err();
        assert!(matches!(err, FrameError::Truncated { got: 3, .. }));
        assert!(buf.capacity() <= 1 << 17, "capacity {}", buf.capacity());
    }

    #[test]
    fn body_reader_stops_at_the_body_and_reports_truncation() {
        let mut r = &b"abcdef"[..];
        let mut body = BodyReader::new(&mut r, 4);
        let mut got = Vec::new();
        body.read_to_end(&mut got).unwrap();
        assert_eq!(got, b"abcd");
        body.finish("body").unwrap();
        assert_eq!(r, b"ef");

        let mut r = &b"abcdef"[..];
        let mut body = BodyReader::new(&mut r, 5);
        let mut two = [0u8; 2];
        body.read_exact(&mut two).unwrap();
        body.finish("body").unwrap(); // the unread rest is skipped
        assert_eq!(r, b"f");

        let mut r = &b"abc"[..];
        let mut body = BodyReader::new(&mut r, 1 << 29);
        let mut got = Vec::new();
        body.read_to_end(&mut got).unwrap();
        let err = body.finish("body").unwrap_err();
        assert!(
            matches!(
                err,
                FrameError::Truncated {
                    what: "body",
                    expected: 536870912,
                    got: 3
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn write_chunk_counts_bytes() {
        let mut out = Vec::new();
        write_chunk(&mut out, "{\"a\":\"ท\"}".as_bytes(), b"x\n").unwrap();
        assert_eq!(out, "chunked 1.0,11,2\n{\"a\":\"ท\"}x\n".as_bytes());
    }
}
