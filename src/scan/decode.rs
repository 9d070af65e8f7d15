//! From an input's bytes to UTF-8 text, as a stream: what the first bytes
//! say decides, never the file's name, and nothing is read twice (a pipe
//! can be read only once, so the bytes looked at are put back in front).
//!
//! * gzip (`1f 8b`) is decompressed as it is read, every member of a
//!   multi-member file (`cat a.gz b.gz`, bgzip), like `rg -z`;
//! * zip, xz, zstd, 7z, bzip2 and tar are recognised by their magic bytes
//!   and refused with an error that names the format;
//! * a UTF-8 byte-order mark is dropped; text with a UTF-16 BOM (`FF FE`
//!   little-endian, as Windows PowerShell 5.1's `>` and `Out-File` write, or
//!   `FE FF` big-endian) is transcoded to UTF-8 as it is read, in bounded
//!   memory. UTF-16 without a BOM is not recognised.
//! * Invalid UTF-16 (an unpaired surrogate, an odd last byte) becomes
//!   U+FFFD and reading goes on — an event after it is never lost — and the
//!   input gets one error with the line and byte of the first
//!   ([`Replaced::error`]), so the exit status says the text was altered.
//! * A gzip-compressed EVTX log is refused: an EVTX log is read in chunks,
//!   in parallel, from a file it can seek in.

use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::evtx;
use crate::error::{Error, InputAt, Position};

/// A decoded input: UTF-8 text (or whatever bytes it holds, if it is not
/// text), to be read once.
pub type Stream<'a> = Box<dyn BufRead + Send + 'a>;

/// Raw bytes, to be read once.
pub type Raw<'a> = Box<dyn Read + Send + 'a>;

/// Bytes read from an input to recognise a compressed format (tar's
/// `ustar` ends at byte 262).
pub const MAGIC_LEN: usize = 262;

/// Buffer of the decoded stream handed to the readers.
const STREAM_BUFFER: usize = 1 << 16;

/// Compressed and archive formats, by magic bytes at offset 0: refused.
const REFUSED: [(&[u8], &str); 6] = [
    (b"PK\x03\x04", "a zip archive"),
    (b"PK\x05\x06", "a zip archive (empty)"),
    (b"\xFD7zXZ\x00", "xz-compressed data"),
    (b"\x28\xB5\x2F\xFD", "zstd-compressed data"),
    (b"7z\xBC\xAF\x27\x1C", "a 7z archive"),
    (b"BZh", "bzip2-compressed data"),
];

/// The name of a compressed or archive format `head` starts with, if it
/// is one that is refused. bzip2 is `BZh`, a block size digit, then the
/// block (π) or end-of-stream (√π) magic; tar has `ustar` at byte 257.
pub fn refused_format(head: &[u8]) -> Option<&'static str> {
    for (magic, name) in REFUSED {
        if !head.starts_with(magic) {
            continue;
        }
        if magic == b"BZh" {
            let digit = head.get(3).is_some_and(|d| (b'1'..=b'9').contains(d));
            let block = head.get(4..10).is_some_and(|b| {
                b == b"\x31\x41\x59\x26\x53\x59" || b == b"\x17\x72\x45\x38\x50\x90"
            });
            if !(digit && block) {
                continue;
            }
        }
        return Some(name);
    }
    (head.get(257..262) == Some(b"ustar")).then_some("a tar archive")
}

/// Reads from `input` into `head` until `enough(head)` holds, `max` bytes
/// are there, or the input ends.
fn read_head(
    input: &mut dyn Read,
    head: &mut Vec<u8>,
    max: usize,
    enough: &dyn Fn(&[u8]) -> bool,
) -> io::Result<()> {
    let mut buf = [0u8; 4096];
    while head.len() < max && !enough(head) {
        let want = buf.len().min(max - head.len());
        match input.read(&mut buf[..want]) {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// `head` put back in front of the rest of `input`.
fn put_back<'a>(head: Vec<u8>, input: Raw<'a>) -> Raw<'a> {
    Box::new(Cursor::new(head).chain(input))
}

/// The first bytes of a raw input, and the input with them put back.
pub struct Peeked<'a> {
    /// At least [`MAGIC_LEN`] bytes, unless the input is shorter.
    pub head: Vec<u8>,
    /// The whole input, from its first byte.
    pub input: Raw<'a>,
}

impl<'a> Peeked<'a> {
    /// `head`, already read from an input, put back in front of `rest`.
    pub fn new(head: Vec<u8>, rest: Raw<'a>) -> Peeked<'a> {
        Peeked {
            input: put_back(head.clone(), rest),
            head,
        }
    }
}

/// Reads the first [`MAGIC_LEN`] bytes of `input` (fewer if it is
/// shorter).
pub fn read_magic(input: &mut dyn Read) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(MAGIC_LEN);
    read_head(input, &mut head, MAGIC_LEN, &|h| h.len() >= MAGIC_LEN)?;
    Ok(head)
}

/// Reads the first [`MAGIC_LEN`] bytes of `input`.
pub fn peek(mut input: Raw<'_>) -> io::Result<Peeked<'_>> {
    let head = read_magic(&mut input)?;
    Ok(Peeked::new(head, input))
}

/// The first bytes of gzip data.
pub const GZIP_MAGIC: &[u8] = b"\x1f\x8b";

/// True when `head` starts like gzip or a refused compressed format.
pub fn is_compressed(head: &[u8]) -> bool {
    head.starts_with(GZIP_MAGIC) || refused_format(head).is_some()
}

/// How much decoded text to look at before choosing a format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Look {
    /// Up to the end of the first line that is not blank (at most 4 KiB):
    /// enough for the first byte and the line ending, without waiting on a
    /// slow pipe for more.
    FirstLine,
    /// At least 4 KiB and the whole first line (at most 64 KiB): enough to
    /// find `<Event` or a wide CSV header's names (folder walks).
    Walk,
}

impl Look {
    fn max(self) -> usize {
        match self {
            Look::FirstLine => 4096,
            Look::Walk => 64 << 10,
        }
    }

    fn enough(self, head: &[u8]) -> bool {
        let line_done = head
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .is_some_and(|start| memchr::memchr(b'\n', &head[start..]).is_some());
        match self {
            Look::FirstLine => line_done,
            Look::Walk => line_done && head.len() >= 4096,
        }
    }
}

/// Counts invalid UTF-16 replaced by U+FFFD (shared with the transcoder,
/// which may run on another thread).
#[derive(Debug, Default)]
pub struct Replaced {
    count: AtomicU64,
    /// Line (1-based) and byte offset of the first, when `count > 0`.
    first_line: AtomicU64,
    first_byte: AtomicU64,
}

impl Replaced {
    fn record(&self, line: u64, byte: u64) {
        if self.count.fetch_add(1, Ordering::Relaxed) == 0 {
            self.first_line.store(line, Ordering::Relaxed);
            self.first_byte.store(byte, Ordering::Relaxed);
        }
    }

    /// The error to report once the input is read, if anything was
    /// replaced.
    pub fn error(&self, name: &str) -> Option<Error> {
        let count = self.count.load(Ordering::Relaxed);
        if count == 0 {
            return None;
        }
        let line = self.first_line.load(Ordering::Relaxed);
        let byte = self.first_byte.load(Ordering::Relaxed);
        let what = if count == 1 {
            "1 invalid UTF-16 code unit (an unpaired surrogate or an odd last byte) was".to_string()
        } else {
            format!(
                "{count} invalid UTF-16 code units (unpaired surrogates or an odd last byte) were"
            )
        };
        Some(Error::input(
            Position::input(name, InputAt::Line(line)),
            format!(
                "{what} read as U+FFFD, the first at byte {byte} of the UTF-16 text; \
                 every event was still read"
            ),
        ))
    }
}

/// A decoded input, ready for a reader.
pub struct Text<'a> {
    /// The decoded text from its first byte (the head included).
    pub stream: Stream<'a>,
    /// Its first bytes (see [`Look`]), to choose the format.
    pub head: Vec<u8>,
    /// The whole input is empty or blank (whitespace only).
    pub blank: bool,
    /// Invalid UTF-16 replaced, when the input was UTF-16.
    pub replaced: Option<Arc<Replaced>>,
}

/// An error about input `name` as a whole.
pub fn input_error(name: &str, message: String) -> Error {
    Error::input(
        Position::input(
            name,
            InputAt::Record {
                chunk: None,
                record: None,
            },
        ),
        message,
    )
}

/// Why an input could not be decoded.
#[derive(Debug)]
pub enum Failure {
    /// A format that is not read (an archive, another compression, a
    /// gzip-compressed EVTX log): what it is and what to do.
    Refused(String),
    /// Reading failed.
    Read(Error),
}

impl Failure {
    /// The error to report for input `name`.
    pub fn into_error(self, name: &str) -> Error {
        match self {
            Failure::Refused(message) => input_error(name, message),
            Failure::Read(e) => e,
        }
    }
}

/// Decodes a raw input (`peeked` from [`peek`]): gzip, then a BOM, then
/// reads the first decoded bytes as `look` says.
pub fn text<'a>(name: &str, peeked: Peeked<'a>, look: Look) -> Result<Text<'a>, Failure> {
    let read_error = |e: io::Error| Failure::Read(input_error(name, format!("cannot read: {e}")));
    let refused = |message: String| Err(Failure::Refused(message));
    let Peeked { head, mut input } = peeked;
    if let Some(format) = refused_format(&head) {
        return refused(format!(
            "{format}: not read (scan reads plain text, gzip and .evtx files); unpack it first"
        ));
    }
    let mut head = head;
    if head.starts_with(GZIP_MAGIC) {
        let gunzip = GzipErrors(flate2::read::MultiGzDecoder::new(input));
        let inner = peek(Box::new(gunzip)).map_err(read_error)?;
        if inner.head.starts_with(evtx::MAGIC) {
            return refused(
                "a gzip-compressed EVTX log: gunzip it first (an EVTX log is read in chunks \
                 from a file, not as a stream)"
                    .into(),
            );
        }
        if inner.head.starts_with(GZIP_MAGIC) {
            return refused("gzip inside gzip: not read; gunzip it once first".into());
        }
        if let Some(format) = refused_format(&inner.head) {
            return refused(format!("{format} inside gzip: not read; unpack it first"));
        }
        head = inner.head;
        input = inner.input;
    }
    let mut replaced = None;
    let bom_le = head.starts_with(b"\xFF\xFE");
    if bom_le || head.starts_with(b"\xFE\xFF") {
        let counter = Arc::new(Replaced::default());
        replaced = Some(counter.clone());
        input = Box::new(Utf16Reader::new(input, !bom_le, counter));
    } else if head.starts_with(b"\xEF\xBB\xBF") {
        // Drop the UTF-8 BOM: it is not part of the first field or line.
        let mut bom = [0u8; 3];
        input.read_exact(&mut bom).map_err(read_error)?;
    }
    let mut text_head = Vec::new();
    read_head(&mut input, &mut text_head, look.max(), &|h| look.enough(h)).map_err(read_error)?;
    let blank = text_head.len() < look.max() && text_head.iter().all(u8::is_ascii_whitespace);
    let stream = BufReader::with_capacity(STREAM_BUFFER, put_back(text_head.clone(), input));
    Ok(Text {
        stream: Box::new(stream),
        head: text_head,
        blank,
        replaced,
    })
}

/// Names gzip in the decoder's errors (a damaged or cut `.gz`).
struct GzipErrors<R>(R);

impl<R: Read> Read for GzipErrors<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf).map_err(|e| {
            let kind = if e.kind() == io::ErrorKind::UnexpectedEof {
                io::ErrorKind::UnexpectedEof
            } else {
                io::ErrorKind::InvalidData
            };
            io::Error::new(kind, format!("damaged gzip data: {e}"))
        })
    }
}

/// UTF-16 (after its BOM) to UTF-8, as it is read; invalid code units
/// become U+FFFD and are counted in [`Replaced`].
pub struct Utf16Reader<R> {
    inner: R,
    big_endian: bool,
    /// Raw bytes; `raw[..carry]` is an odd byte left from the last read.
    raw: Box<[u8]>,
    carry: usize,
    /// A high surrogate waiting for its low half, and its byte offset.
    high: Option<(u16, u64)>,
    /// Byte offset of the next code unit (the BOM is at 0).
    offset: u64,
    /// Line of the next code unit (1-based).
    line: u64,
    out: Vec<u8>,
    pos: usize,
    bom_skipped: bool,
    done: bool,
    replaced: Arc<Replaced>,
}

impl<R: Read> Utf16Reader<R> {
    /// Transcodes `inner`, which starts with its BOM.
    pub fn new(inner: R, big_endian: bool, replaced: Arc<Replaced>) -> Utf16Reader<R> {
        Utf16Reader {
            inner,
            big_endian,
            raw: vec![0u8; 16 << 10].into_boxed_slice(),
            carry: 0,
            high: None,
            offset: 0,
            line: 1,
            out: Vec::with_capacity(24 << 10),
            pos: 0,
            bom_skipped: false,
            done: false,
            replaced,
        }
    }

    fn push(&mut self, c: char) {
        let mut buf = [0u8; 4];
        self.out
            .extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        if c == '\n' {
            self.line += 1;
        }
    }

    fn replace(&mut self, at: u64) {
        self.replaced.record(self.line, at);
        self.push(char::REPLACEMENT_CHARACTER);
    }

    fn unit(&mut self, u: u16) {
        let at = self.offset;
        self.offset += 2;
        if !self.bom_skipped {
            self.bom_skipped = true;
            if u == 0xFEFF {
                return;
            }
        }
        if let Some((high, high_at)) = self.high.take() {
            if (0xDC00..=0xDFFF).contains(&u) {
                let c = 0x10000 + ((u32::from(high) - 0xD800) << 10) + (u32::from(u) - 0xDC00);
                self.push(char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER));
                return;
            }
            self.replace(high_at);
        }
        match u {
            0xD800..=0xDBFF => self.high = Some((u, at)),
            0xDC00..=0xDFFF => self.replace(at),
            _ => self.push(char::from_u32(u32::from(u)).unwrap_or(char::REPLACEMENT_CHARACTER)),
        }
    }

    /// Decodes the next piece of input into `out`; false at the end.
    fn fill(&mut self) -> io::Result<bool> {
        self.out.clear();
        self.pos = 0;
        while self.out.is_empty() {
            if self.done {
                return Ok(false);
            }
            let n = loop {
                match self.inner.read(&mut self.raw[self.carry..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            };
            if n == 0 {
                self.done = true;
                if let Some((_, at)) = self.high.take() {
                    self.replace(at);
                }
                if self.carry == 1 {
                    self.carry = 0;
                    let at = self.offset;
                    self.replace(at);
                }
                continue;
            }
            let total = self.carry + n;
            let whole = total - total % 2;
            self.out.reserve(whole / 2 * 3);
            let mut i = 0;
            while i < whole {
                let pair = [self.raw[i], self.raw[i + 1]];
                i += 2;
                let u = if self.big_endian {
                    u16::from_be_bytes(pair)
                } else {
                    u16::from_le_bytes(pair)
                };
                if u < 0x80 && self.high.is_none() && self.bom_skipped {
                    // ASCII: the common case, one byte out.
                    self.out.push(u as u8);
                    self.line += u64::from(u == 0x0A);
                    self.offset += 2;
                } else {
                    self.unit(u);
                }
            }
            self.carry = total - whole;
            if self.carry == 1 {
                self.raw[0] = self.raw[whole];
            }
        }
        Ok(true)
    }
}

impl<R: Read> Read for Utf16Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.out.len() && !self.fill()? {
            return Ok(0);
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
        let mut out = if big_endian {
            vec![0xFE, 0xFF]
        } else {
            vec![0xFF, 0xFE]
        };
        for u in text.encode_utf16() {
            out.extend_from_slice(&if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            });
        }
        out
    }

    /// Reads `bytes` through [`text`], `chunk` bytes per underlying read.
    fn decode(bytes: Vec<u8>, chunk: usize) -> (Result<String, String>, Option<Error>) {
        struct Trickle(Cursor<Vec<u8>>, usize);
        impl Read for Trickle {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = buf.len().min(self.1);
                self.0.read(&mut buf[..n])
            }
        }
        let raw: Raw<'_> = Box::new(Trickle(Cursor::new(bytes), chunk));
        let mut t = match text("in", peek(raw).unwrap(), Look::FirstLine) {
            Ok(t) => t,
            Err(e) => return (Err(e.into_error("in").to_string()), None),
        };
        let mut out = String::new();
        t.stream.read_to_string(&mut out).unwrap();
        let replaced = t.replaced.and_then(|r| r.error("in"));
        (Ok(out), replaced)
    }

    #[test]
    fn utf16_with_either_bom_becomes_utf8_across_any_read_size() {
        let text = "Image,process\r\nC:\\mshta.exe,\"ünï 😀 x\"\n";
        for big_endian in [false, true] {
            for chunk in [1, 2, 3, 7, 4096] {
                let (out, replaced) = decode(utf16(text, big_endian), chunk);
                assert_eq!(out.unwrap(), text, "{big_endian} {chunk}");
                assert!(replaced.is_none());
            }
        }
    }

    #[test]
    fn invalid_utf16_becomes_u_fffd_with_its_line_and_byte() {
        let mut bytes = utf16("a\nb", false);
        bytes.extend_from_slice(&0xD800u16.to_le_bytes()); // lone high, byte 8
        bytes.extend_from_slice(&u16::from(b'c').to_le_bytes());
        bytes.extend_from_slice(&0xDC00u16.to_le_bytes()); // lone low
        bytes.push(b'z'); // odd last byte
        for chunk in [1, 3, 4096] {
            let (out, replaced) = decode(bytes.clone(), chunk);
            assert_eq!(out.unwrap(), "a\nb\u{FFFD}c\u{FFFD}\u{FFFD}");
            assert_eq!(
                replaced.unwrap().to_string(),
                "in:2: 3 invalid UTF-16 code units (unpaired surrogates or an odd last byte) \
                 were read as U+FFFD, the first at byte 8 of the UTF-16 text; every event was \
                 still read"
            );
        }
    }

    #[test]
    fn utf8_bom_is_dropped_and_plain_text_is_unchanged() {
        assert_eq!(decode(b"\xEF\xBB\xBFa,b\n".to_vec(), 1).0.unwrap(), "a,b\n");
        assert_eq!(decode(b"a,b\n".to_vec(), 1).0.unwrap(), "a,b\n");
        assert_eq!(decode(Vec::new(), 1).0.unwrap(), "");
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn gzip_members_are_all_read_and_may_hold_utf16() {
        let mut two = gzip(b"a,b\n1,2\n");
        two.extend(gzip(b"3,4\n"));
        assert_eq!(decode(two, 5).0.unwrap(), "a,b\n1,2\n3,4\n");
        assert_eq!(decode(gzip(&utf16("x\ny", false)), 2).0.unwrap(), "x\ny");
    }

    #[test]
    fn damaged_gzip_is_an_error_naming_gzip() {
        let mut cut = gzip(&vec![b'a'; 100_000]);
        cut.truncate(cut.len() / 2);
        let raw: Raw<'_> = Box::new(Cursor::new(cut));
        let mut t = text("in", peek(raw).unwrap(), Look::FirstLine).unwrap();
        let err = t.stream.read_to_end(&mut Vec::new()).unwrap_err();
        assert!(err.to_string().starts_with("damaged gzip data: "), "{err}");
    }

    #[test]
    fn refused_formats_are_named_by_their_magic() {
        let cases: [(&[u8], &str); 7] = [
            (b"PK\x03\x04rest", "a zip archive"),
            (b"\xFD7zXZ\x00\x00", "xz-compressed data"),
            (b"\x28\xB5\x2F\xFD\x00", "zstd-compressed data"),
            (b"7z\xBC\xAF\x27\x1C\x00", "a 7z archive"),
            (b"BZh91AY&SY\x00", "bzip2-compressed data"),
            (b"BZh9\x17\x72\x45\x38\x50\x90", "bzip2-compressed data"),
            (b"PK\x05\x06", "a zip archive (empty)"),
        ];
        for (head, name) in cases {
            assert_eq!(refused_format(head), Some(name));
            let (out, _) = decode(head.to_vec(), 4096);
            assert_eq!(
                out.unwrap_err(),
                format!(
                    "in: {name}: not read (scan reads plain text, gzip and .evtx files); \
                     unpack it first"
                )
            );
        }
        // Text that merely starts like a magic is read.
        assert_eq!(refused_format(b"BZh, a column\n"), None);
        assert_eq!(refused_format(b"PK,process_name\n"), None);
        let mut tar = vec![0u8; 512];
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(refused_format(&tar), Some("a tar archive"));
        assert_eq!(
            decode(gzip(&tar), 4096).0.unwrap_err(),
            "in: a tar archive inside gzip: not read; unpack it first"
        );
    }

    #[test]
    fn gzip_compressed_evtx_is_refused() {
        let (out, _) = decode(gzip(b"ElfFile\0 and more"), 4096);
        assert!(out
            .unwrap_err()
            .starts_with("in: a gzip-compressed EVTX log: gunzip it first"),);
    }

    proptest::proptest! {
        /// Any UTF-16 (valid or not), read in any piece size, decodes as
        /// `String::from_utf16_lossy` does, and the replacements counted
        /// are the U+FFFD it adds (an odd last byte is one more).
        #[test]
        fn utf16_decodes_like_from_utf16_lossy(
            units in proptest::collection::vec(
                proptest::prop_oneof![0u16..0x80, 0xD7F0u16..0xE010, proptest::num::u16::ANY],
                0..200,
            ),
            big_endian: bool,
            odd: bool,
            chunk in 1usize..40,
        ) {
            let mut bytes = if big_endian {
                vec![0xFE, 0xFF]
            } else {
                vec![0xFF, 0xFE]
            };
            for u in &units {
                bytes.extend_from_slice(&if big_endian {
                    u.to_be_bytes()
                } else {
                    u.to_le_bytes()
                });
            }
            if odd {
                bytes.push(b'x');
            }
            let mut want = String::from_utf16_lossy(&units);
            if odd {
                want.push(char::REPLACEMENT_CHARACTER);
            }
            let (out, replaced) = decode(bytes, chunk);
            let out = out.unwrap();
            proptest::prop_assert_eq!(&out, &want);
            let added = want.matches('\u{FFFD}').count()
                - units.iter().filter(|&&u| u == 0xFFFD).count();
            proptest::prop_assert_eq!(replaced.is_some(), added > 0);
            if let Some(e) = replaced {
                let text = e.to_string();
                let counted = if added == 1 {
                    text.contains(" 1 invalid UTF-16 code unit ")
                } else {
                    text.contains(&format!(" {added} invalid UTF-16 code units "))
                };
                proptest::prop_assert!(counted, "{} {}", added, text);
            }
        }

        /// Arbitrary bytes never panic the decoder, and plain text that
        /// starts like no magic comes out unchanged.
        #[test]
        fn arbitrary_bytes_decode_or_fail_cleanly(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..600),
        ) {
            let plain = !is_compressed(&bytes)
                && !bytes.starts_with(b"\xFF\xFE")
                && !bytes.starts_with(b"\xFE\xFF")
                && !bytes.starts_with(b"\xEF\xBB\xBF");
            let raw: Raw<'_> = Box::new(Cursor::new(bytes.clone()));
            if let Ok(mut t) = text("in", peek(raw).unwrap(), Look::Walk) {
                let mut out = Vec::new();
                if t.stream.read_to_end(&mut out).is_ok() && plain {
                    proptest::prop_assert_eq!(out, bytes);
                }
            }
        }
    }
}
