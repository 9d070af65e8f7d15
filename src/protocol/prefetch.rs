//! Reading stdin on a second thread, so that the kernel's copy of the next
//! bytes overlaps the processing of the current ones.
//!
//! [`Prefetch`] is the session's [`BufRead`]: a reader thread fills a few
//! fixed-size buffers from the source and hands each one over as soon as a
//! `read` returns (a partial buffer is never held back, so nothing waits
//! for bytes splunkd has not sent yet: splunkd sends one chunk and waits for
//! its reply). The buffers go back to the thread once consumed, so memory is
//! bounded by `depth × size` whatever the stream.
//!
//! Nothing about the stream changes: the bytes come out in order, an I/O
//! error is returned once where it happened, then end of input.

use std::io::{self, BufRead, Read};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread;

/// The size of a fresh buffer before reads show the stream is large.
const START: usize = 16 << 10;

/// A filled buffer and how many of its bytes were read (0: end of input).
type Filled = io::Result<(Vec<u8>, usize)>;

/// A [`BufRead`] over a source read ahead on its own thread.
pub struct Prefetch {
    filled: Receiver<Filled>,
    empty: SyncSender<Vec<u8>>,
    /// The buffer being consumed, its length and the read position.
    current: Vec<u8>,
    len: usize,
    pos: usize,
    /// End of input (or an error) was handed out.
    ended: bool,
}

impl Prefetch {
    /// Reads `source` on a new thread into `depth` buffers of `size` bytes
    /// (at least 1 and 4 KiB): at most `depth` buffers are ever filled
    /// ahead of the consumer, counting the one it reads. Fails only when the
    /// thread cannot start.
    pub fn new<R: Read + Send + 'static>(
        mut source: R,
        depth: usize,
        size: usize,
    ) -> io::Result<Prefetch> {
        let (depth, size) = (depth.max(1), size.max(4096));
        let (filled_tx, filled) = sync_channel::<Filled>(depth);
        let (empty, empty_rx) = sync_channel::<Vec<u8>>(depth);
        for _ in 0..depth {
            // Cannot fail: the channel holds `depth` and its receiver lives.
            let _ = empty.try_send(Vec::new());
        }
        thread::Builder::new()
            .name("stdin".into())
            .spawn(move || fill_loop(&mut source, size, &empty_rx, &filled_tx))?;
        Ok(Prefetch {
            filled,
            empty,
            current: Vec::new(),
            len: 0,
            pos: 0,
            ended: false,
        })
    }
}

/// The reader thread: takes an empty buffer, reads into it, hands it over;
/// stops after end of input, an error, or when the consumer is gone.
fn fill_loop<R: Read>(
    source: &mut R,
    size: usize,
    empty: &Receiver<Vec<u8>>,
    filled: &SyncSender<Filled>,
) {
    // Buffers start small (a probe run reads a few hundred bytes, then the
    // end) and double each time a read fills one, up to `size`.
    let mut target = size.min(START);
    while let Ok(mut buf) = empty.recv() {
        if buf.len() < target {
            buf.resize(target, 0);
        }
        let result = loop {
            match source.read(&mut buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                other => break other,
            }
        };
        if matches!(result, Ok(n) if n == buf.len()) {
            target = (target * 2).min(size);
        }
        let last = !matches!(result, Ok(n) if n > 0);
        if filled.send(result.map(|n| (buf, n))).is_err() || last {
            return;
        }
    }
}

impl Read for Prefetch {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Prefetch {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.len && !self.ended {
            let done = std::mem::take(&mut self.current);
            if done.capacity() > 0 {
                // Back to the thread (the channel has room for every buffer).
                let _ = self.empty.try_send(done);
            }
            self.pos = 0;
            self.len = 0;
            match self.filled.recv() {
                Ok(Ok((buf, n))) => {
                    self.current = buf;
                    self.len = n;
                    self.ended = n == 0;
                }
                Ok(Err(e)) => {
                    self.ended = true;
                    return Err(e);
                }
                Err(_) => {
                    // The thread ended without saying why (it cannot,
                    // short of a panic): not an end of input to trust.
                    self.ended = true;
                    return Err(io::Error::other("the stdin reader thread stopped"));
                }
            }
        }
        Ok(self.current.get(self.pos..self.len).unwrap_or(&[]))
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc::channel;
    use std::sync::Arc;

    /// Hands out its bytes in read sizes cycling through 1..=7.
    struct Uneven {
        bytes: Vec<u8>,
        at: usize,
        reads: Arc<AtomicUsize>,
    }

    impl Read for Uneven {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let k = self.reads.fetch_add(1, Ordering::SeqCst) % 7 + 1;
            let n = k.min(buf.len()).min(self.bytes.len() - self.at);
            buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    fn uneven(len: usize) -> (Vec<u8>, Uneven, Arc<AtomicUsize>) {
        let bytes: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
        let reads = Arc::new(AtomicUsize::new(0));
        let source = Uneven {
            bytes: bytes.clone(),
            at: 0,
            reads: reads.clone(),
        };
        (bytes, source, reads)
    }

    #[test]
    fn the_bytes_come_out_in_order_through_read_and_fill_buf() {
        let (want, source, _) = uneven(100_000);
        let mut p = Prefetch::new(source, 3, 4096).unwrap();
        let mut got = Vec::new();
        let mut step = 0usize;
        loop {
            let available = p.fill_buf().unwrap();
            if available.is_empty() {
                break;
            }
            step += 1;
            let n = available.len().min(step % 5 + 1);
            got.extend_from_slice(&available[..n]);
            p.consume(n);
            if step % 3 == 0 {
                let mut small = [0u8; 2];
                let k = p.read(&mut small).unwrap();
                got.extend_from_slice(&small[..k]);
            }
        }
        assert_eq!(got.len(), want.len());
        assert!(got == want);
        assert_eq!(p.read(&mut [0u8; 8]).unwrap(), 0, "the end stays the end");
    }

    #[test]
    fn the_thread_never_reads_more_than_its_buffers_ahead() {
        let (_, source, reads) = uneven(1 << 20);
        let mut p = Prefetch::new(source, 2, 4096).unwrap();
        assert_eq!(p.fill_buf().unwrap().len(), 1);
        std::thread::sleep(std::time::Duration::from_millis(100));
        // Two buffers: one handed out, at most one more filled, and the
        // thread waiting for an empty one: no more reads than that.
        let n = reads.load(Ordering::SeqCst);
        assert!((1..=2).contains(&n), "{n} reads");
    }

    /// A source that blocks until bytes are sent to it (as a pipe blocks
    /// until splunkd writes).
    struct Pipe(std::sync::mpsc::Receiver<Vec<u8>>, Vec<u8>);

    impl Read for Pipe {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.1.is_empty() {
                match self.0.recv() {
                    Ok(bytes) => self.1 = bytes,
                    Err(_) => return Ok(0),
                }
            }
            let n = self.1.len().min(buf.len());
            buf[..n].copy_from_slice(&self.1[..n]);
            self.1.drain(..n);
            Ok(n)
        }
    }

    #[test]
    fn bytes_are_handed_over_without_waiting_for_a_full_buffer() {
        // Run where a wait for a full buffer would hang: fail after 10 s
        // instead.
        let (done_tx, done_rx) = channel();
        std::thread::spawn(move || {
            let (tx, rx) = channel();
            let mut p = Prefetch::new(Pipe(rx, Vec::new()), 4, 1 << 16).unwrap();
            tx.send(b"chunked 1.0,2,0\n".to_vec()).unwrap();
            assert_eq!(p.fill_buf().unwrap(), b"chunked 1.0,2,0\n");
            p.consume(16);
            tx.send(b"{}".to_vec()).unwrap();
            let mut two = [0u8; 2];
            p.read_exact(&mut two).unwrap();
            assert_eq!(&two, b"{}");
            drop(tx);
            assert!(p.fill_buf().unwrap().is_empty());
            done_tx.send(()).unwrap();
        });
        done_rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("the reader handed the bytes over (a panic or a hang fails here)");
    }

    struct Panicking;

    impl Read for Panicking {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            panic!("a source that panics (on purpose, in a test)")
        }
    }

    #[test]
    fn a_thread_that_dies_is_an_error_not_an_end_of_input() {
        let mut p = Prefetch::new(Panicking, 2, 4096).unwrap();
        let err = p.fill_buf().unwrap_err();
        assert_eq!(err.to_string(), "the stdin reader thread stopped");
        assert!(p.fill_buf().unwrap().is_empty());
    }

    struct Failing(usize);

    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0 == 0 {
                return Err(io::Error::other("disk on fire"));
            }
            let n = self.0.min(buf.len());
            buf[..n].fill(b'x');
            self.0 -= n;
            Ok(n)
        }
    }

    #[test]
    fn an_error_comes_once_where_it_happened_then_the_end() {
        let mut p = Prefetch::new(Failing(10), 2, 4096).unwrap();
        let mut got = Vec::new();
        let err = p.read_to_end(&mut got).unwrap_err();
        assert_eq!(got, b"xxxxxxxxxx");
        assert_eq!(err.to_string(), "disk on fire");
        assert_eq!(p.read(&mut [0u8; 4]).unwrap(), 0);
    }
}
