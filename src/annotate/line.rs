//! One CSV line at a time, with the `csv` crate's writer (never a
//! hand-rolled quoter).

/// A reusable one-line CSV encoder: the `csv` crate's writer over a shared
/// buffer, so the encoded bytes can be moved out after each record.
pub struct CsvLine {
    writer: csv::Writer<SharedBuf>,
    buf: SharedBuf,
}

/// A `Vec<u8>` the writer and its owner share.
#[derive(Clone, Default)]
struct SharedBuf(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl std::io::Write for SharedBuf {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Default for CsvLine {
    fn default() -> CsvLine {
        let buf = SharedBuf::default();
        CsvLine {
            writer: csv::WriterBuilder::new()
                .flexible(true)
                .terminator(csv::Terminator::Any(b'\n'))
                .buffer_capacity(4096)
                .from_writer(buf.clone()),
            buf,
        }
    }
}

impl CsvLine {
    /// Appends `fields` to `out` as one CSV line (no terminator), quoting as
    /// needed.
    pub fn encode_into<I, T>(&mut self, fields: I, out: &mut Vec<u8>)
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        // Writing into memory cannot fail; if it somehow did, the line is
        // dropped rather than half-written.
        let ok = self.writer.write_record(fields).is_ok() && self.writer.flush().is_ok();
        let mut buf = self.buf.0.borrow_mut();
        if ok {
            let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
            out.extend_from_slice(line);
        }
        buf.clear();
    }

    /// Encodes fields as one CSV line into a new `Vec`.
    pub fn encode<I, T>(&mut self, fields: I) -> Vec<u8>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        let mut out = Vec::new();
        self.encode_into(fields, &mut out);
        out
    }
}
