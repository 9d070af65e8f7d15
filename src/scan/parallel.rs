//! Running the units of a scan on every core and writing their results in
//! input order (by path, then record order), with memory bounded by the
//! work in flight.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, Mutex};

use super::inputs::{Unit, Units};
use super::pipeline::{Counts, Detector, LineageRow, Row, Sink, Stop};
use super::{scan_input, ScanConfig, Writer};
use crate::error::Error;
use crate::rule::catalog::Catalog;

/// Counts bytes read through it (for progress).
pub(super) struct Counting<R> {
    inner: R,
    count: CountHandle,
}

#[derive(Clone, Default)]
pub(super) struct CountHandle(Arc<AtomicU64>);

impl CountHandle {
    pub(super) fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    pub(super) fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
}

impl<R> Counting<R> {
    pub(super) fn new(inner: R, count: CountHandle) -> Counting<R> {
        Counting { inner, count }
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.0.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// What a worker sends to the writer, in input order.
enum Msg {
    Opened,
    PassedOver(String),
    Tally(super::report::Tally),
    End(String, bool),
    Counts(Counts),
    Row(Row),
    Lineage(Box<LineageRow>),
    Error(Error),
    Notes(crate::notes::FieldNotes),
}

impl<W: Write> Writer<'_, W> {
    fn apply(&mut self, msg: Msg) -> std::result::Result<(), Stop> {
        match msg {
            Msg::Opened => {
                self.summary.files += 1;
                Ok(())
            }
            Msg::PassedOver(note) => {
                self.summary.passed_over += 1;
                self.note(&note);
                Ok(())
            }
            Msg::Tally(t) => self.tally(t),
            Msg::End(name, walked) => self.end_of_input(&name, walked),
            Msg::Counts(c) => self.counts(c),
            Msg::Row(r) => self.row(r),
            Msg::Lineage(r) => self.lineage(r),
            Msg::Error(e) => self.error(e),
            Msg::Notes(n) => self.notes(n),
        }
    }
}

/// Messages a worker sends, in batches (one channel per unit).
struct BatchSink<'s> {
    tx: SyncSender<Vec<Msg>>,
    batch: Vec<Msg>,
    stop: &'s AtomicBool,
}

impl BatchSink<'_> {
    fn push(&mut self, msg: Msg) -> std::result::Result<(), Stop> {
        if self.stop.load(Ordering::Relaxed) {
            return Err(Stop);
        }
        self.batch.push(msg);
        if self.batch.len() >= 64 {
            return self.flush();
        }
        Ok(())
    }

    fn flush(&mut self) -> std::result::Result<(), Stop> {
        if self.batch.is_empty() {
            return Ok(());
        }
        self.tx
            .send(std::mem::take(&mut self.batch))
            .map_err(|_| Stop)
    }
}

impl Sink for BatchSink<'_> {
    fn counts(&mut self, counts: Counts) -> std::result::Result<(), Stop> {
        self.push(Msg::Counts(counts))
    }
    fn row(&mut self, row: Row) -> std::result::Result<(), Stop> {
        self.push(Msg::Row(row))
    }
    fn error(&mut self, error: Error) -> std::result::Result<(), Stop> {
        self.push(Msg::Error(error))
    }
    fn lineage(&mut self, row: Box<LineageRow>) -> std::result::Result<(), Stop> {
        self.push(Msg::Lineage(row))
    }
    fn notes(&mut self, notes: crate::notes::FieldNotes) -> std::result::Result<(), Stop> {
        self.push(Msg::Notes(notes))
    }
    fn tally(&mut self, tally: super::report::Tally) -> std::result::Result<(), Stop> {
        self.push(Msg::Tally(tally))
    }
}

/// Does one unit of work.
fn work(
    detector: &Detector,
    unit: Unit<'_>,
    sink: &mut BatchSink<'_>,
    bytes: &CountHandle,
) -> std::result::Result<(), Stop> {
    match unit {
        Unit::Opened => sink.push(Msg::Opened),
        Unit::Report(e) => sink.error(e),
        Unit::PassedOver(note) => sink.push(Msg::PassedOver(note)),
        Unit::End(name, walked) => sink.push(Msg::End(name, walked)),
        Unit::Text { name, text, format } => {
            let super::decode::Text {
                stream,
                head,
                replaced,
                ..
            } = text;
            scan_input(detector, &name, stream, &head, format, sink)?;
            match replaced.and_then(|r| r.error(&name)) {
                Some(e) => sink.error(e),
                None => Ok(()),
            }
        }
        Unit::Evtx { name, path, chunks } => match std::fs::File::open(&path) {
            Ok(f) => {
                let mut reader = super::evtx::EvtxReader::new(&name, f, chunks, bytes.0.clone());
                detector.scan(&name, &mut reader, sink)
            }
            Err(e) => sink.error(Error::io(format!("cannot open {name}"), e)),
        },
    }
}

/// Runs the units on every core; writes their results in unit order.
///
/// Units are handed out in order, at most two per thread ahead of the one
/// being written, each with a small bounded channel for its results: memory
/// is bounded by the work in flight. The unit being written was handed out
/// before any later one, so some thread is always working on it.
pub(super) fn run_units<W: Write>(
    config: &ScanConfig,
    catalog: &Catalog,
    mut units: Units<'_>,
    writer: &mut Writer<'_, W>,
) {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let limit = threads * 2;
    let stop = AtomicBool::new(false);
    let bytes = writer.bytes.clone();
    let (task_tx, task_rx) = sync_channel::<(Unit<'_>, SyncSender<Vec<Msg>>)>(limit);
    let task_rx = Mutex::new(task_rx);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let detector = Detector::new(config, catalog.clone());
                loop {
                    let task = match task_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok((unit, tx)) = task else { return };
                    let mut sink = BatchSink {
                        tx,
                        batch: Vec::new(),
                        stop: &stop,
                    };
                    if work(&detector, unit, &mut sink, &bytes).is_ok() {
                        let _ = sink.flush();
                    }
                }
            });
        }
        let mut pending = VecDeque::new();
        'write: loop {
            while pending.len() < limit {
                let Some(unit) = units.next() else { break };
                let (tx, rx) = sync_channel(4);
                if task_tx.send((unit, tx)).is_err() {
                    break 'write;
                }
                pending.push_back(rx);
            }
            let Some(front) = pending.front() else { break };
            match front.recv() {
                Ok(batch) => {
                    for msg in batch {
                        if writer.apply(msg).is_err() {
                            stop.store(true, Ordering::Relaxed);
                            break 'write;
                        }
                    }
                }
                Err(_) => {
                    pending.pop_front();
                }
            }
        }
        drop(pending);
        drop(task_tx);
    });
}
