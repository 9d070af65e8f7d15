//! The SCPv2 session: getinfo, then execute requests until EOF, exactly one
//! reply per request, flushed at once, nothing outside a chunk.
//!
//! The session owns framing, ordering and error replies; what a command does
//! with a body is behind the [`Command`] trait, so this file knows nothing
//! about CSV or the detection.
//!
//! Error policy:
//! * framing intact (the request was read whole; for an execute, the body
//!   is read by the command as it arrives, and whether it arrived whole is
//!   checked before anything is answered) → one error reply
//!   (`inspector` ERROR, `finished: true`, `error`), a line on stderr, exit 1;
//! * framing broken (bad header, truncated chunk, stdin failure) → a line on
//!   stderr, exit 1 — a reply could land out of step;
//! * EOF at a chunk boundary → exit 0 (also right after getinfo: a probe).

use std::io::{self, BufRead, Write};

use super::frame::BodyReader;

use super::frame::{self, Limits};
use super::message::{self, GetInfo, Message, Reply, Request};
use crate::error::{Error, FrameError, Result};

/// What the session needs from a search command.
pub trait Command {
    /// Handles getinfo: validate arguments, prepare. Returns the command type
    /// to declare (`streaming`, `stateful`, …). Must be cheap: probe runs end
    /// right after it.
    fn getinfo(&mut self, info: &GetInfo, messages: &mut Vec<Message>) -> Result<&'static str>;

    /// Processes one execute body into `out` (cleared by the caller), reading
    /// it from `body` as it arrives: exactly the chunk's body bytes, then
    /// end of input. A body cut short by the peer also just ends; the session
    /// then reports the framing error and drops `out`. `chunk` is the
    /// chunk's number in the stream (for error positions).
    fn execute(
        &mut self,
        chunk: u64,
        finished: bool,
        body: &mut dyn io::BufRead,
        out: &mut Vec<u8>,
        messages: &mut Vec<Message>,
    ) -> Result<()>;

    /// Called before the reply to the request with `finished: true`, to add
    /// end-of-session messages (e.g. "no row had the expected fields").
    fn finish(&mut self, _messages: &mut Vec<Message>) {}
}

/// How a session ended.
#[derive(Debug)]
pub struct Outcome {
    /// Process exit status: 0 normal end, 1 fatal error.
    pub exit_code: u8,
    /// The fatal error, if any (already reported to splunkd when framing was
    /// intact). The caller prints it on stderr.
    pub error: Option<Error>,
    /// Number of chunks read (getinfo included).
    pub chunks: u64,
}

/// Runs a whole session over `input`/`output`.
pub fn run<R: BufRead, W: Write, C: Command>(
    input: &mut R,
    output: &mut W,
    command: &mut C,
    limits: Limits,
) -> Outcome {
    let mut session = Session {
        output,
        limits,
        chunk: 0,
        metadata: Vec::new(),
        reply: Vec::new(),
        messages: Vec::new(),
    };
    match session.run(input, command) {
        Ok(()) => Outcome {
            exit_code: 0,
            error: None,
            chunks: session.chunk,
        },
        Err(err) => {
            if err.framing_intact() {
                // Best effort: if stdout is gone there is nobody to tell.
                let _ = session.send_error(&err);
            }
            Outcome {
                exit_code: 1,
                error: Some(err),
                chunks: session.chunk,
            }
        }
    }
}

struct Session<'w, W: Write> {
    output: &'w mut W,
    limits: Limits,
    /// Number of the chunk most recently read (1 = getinfo).
    chunk: u64,
    metadata: Vec<u8>,
    reply: Vec<u8>,
    messages: Vec<Message>,
}

/// One request's header and metadata (its body is still to be read).
struct Read {
    /// The request, or why its metadata is not one (reported after the body
    /// is skipped: a truncated body is a framing error first).
    request: Result<Request>,
    body_len: usize,
}

impl<W: Write> Session<'_, W> {
    fn run<R: BufRead, C: Command>(&mut self, input: &mut R, command: &mut C) -> Result<()> {
        // getinfo, always first.
        let Some(first) = self.read_request(input)? else {
            return Ok(()); // EOF before anything: nothing to answer
        };
        // getinfo has no body; skip what there is, then judge the request.
        self.skip_body(input, first.body_len)?;
        let info = match first.request? {
            Request::GetInfo(info) => info,
            Request::Execute(_) => {
                return Err(self.request_error(
                    "expected a getinfo request first, got execute (splunkd always starts with getinfo)",
                ))
            }
        };
        if first.body_len != 0 {
            return Err(self.request_error(format!(
                "the getinfo request carries a {}-byte body; getinfo has no body",
                first.body_len
            )));
        }
        self.messages.clear();
        let kind = command.getinfo(&info, &mut self.messages)?;
        let meta = Reply::getinfo(kind).with_messages(&self.messages).to_json();
        self.send(&meta, false)?;

        // execute requests until EOF.
        while let Some(next) = self.read_request(input)? {
            let exec = match next.request {
                Ok(Request::Execute(exec)) => exec,
                other => {
                    self.skip_body(input, next.body_len)?;
                    return Err(match other {
                        Err(e) => e,
                        Ok(_) => self.request_error(
                            "unexpected second getinfo request (getinfo comes once, first)",
                        ),
                    });
                }
            };
            self.messages.clear();
            self.reply.clear();
            // The body is processed as it arrives; whether it arrived whole
            // is known after, and a framing error wins over what the
            // command made of a truncated body.
            let mut body = BodyReader::new(input, next.body_len);
            let done = command.execute(
                self.chunk,
                exec.finished,
                &mut body,
                &mut self.reply,
                &mut self.messages,
            );
            body.finish("body")
                .map_err(|e| Error::frame(self.chunk, e))?;
            done?;
            if exec.finished {
                command.finish(&mut self.messages);
            }
            let meta = Reply::execute(exec.finished)
                .with_messages(&self.messages)
                .to_json();
            self.send(&meta, true)?;
        }
        Ok(())
    }

    /// Reads the next chunk's header and metadata. `Ok(None)` at a clean EOF.
    fn read_request<R: BufRead>(&mut self, input: &mut R) -> Result<Option<Read>> {
        let next = self.chunk + 1;
        let frame_err = |source| Error::frame(next, source);
        let Some(header) = frame::read_header(input, &self.limits).map_err(frame_err)? else {
            return Ok(None);
        };
        self.chunk = next;
        frame::read_payload(input, header.metadata_len, &mut self.metadata, "metadata")
            .map_err(frame_err)?;
        let request = message::parse_request(&self.metadata).map_err(|e| self.request_error(e.0));
        Ok(Some(Read {
            request,
            body_len: header.body_len,
        }))
    }

    /// Reads and drops a body nobody processes (a `Truncated` framing error
    /// if it ends early).
    fn skip_body<R: BufRead>(&self, input: &mut R, len: usize) -> Result<()> {
        BodyReader::new(input, len)
            .finish("body")
            .map_err(|e| Error::frame(self.chunk, e))
    }

    fn request_error(&self, message: impl Into<String>) -> Error {
        Error::request(self.chunk, message)
    }

    /// Writes one reply chunk and flushes it.
    fn send(&mut self, metadata: &[u8], with_body: bool) -> Result<()> {
        let body: &[u8] = if with_body { &self.reply } else { &[] };
        frame::write_chunk(self.output, metadata, body)
            .and_then(|()| self.output.flush())
            .map_err(|e| Error::frame(self.chunk, FrameError::Write(e)))
    }

    fn send_error(&mut self, err: &Error) -> io::Result<()> {
        let text = err.to_string();
        let messages = [Message::error(text.clone())];
        let meta = Reply::fatal(&messages, &messages[0].1).to_json();
        frame::write_chunk(self.output, &meta, &[])?;
        self.output.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Echoes bodies; fails on a body equal to `fail`.
    struct Echo {
        calls: usize,
    }

    impl Command for Echo {
        fn getinfo(&mut self, info: &GetInfo, _: &mut Vec<Message>) -> Result<&'static str> {
            if info.search_info.args.iter().any(|a| a == "bad=1") {
                return Err(crate::error::OptionError {
                    front: crate::error::Front::Search,
                    option: "bad".into(),
                    problem: crate::error::OptionProblem::Repeated,
                }
                .into());
            }
            Ok("streaming")
        }
        fn execute(
            &mut self,
            chunk: u64,
            _finished: bool,
            body: &mut dyn io::BufRead,
            out: &mut Vec<u8>,
            _: &mut Vec<Message>,
        ) -> Result<()> {
            self.calls += 1;
            let mut bytes = Vec::new();
            body.read_to_end(&mut bytes)
                .map_err(|e| Error::request(chunk, e.to_string()))?;
            let body = &bytes[..];
            if body == b"fail" {
                return Err(Error::request(chunk, "told to fail"));
            }
            out.extend_from_slice(body);
            Ok(())
        }
    }

    fn chunk(meta: &str, body: &str) -> String {
        format!("chunked 1.0,{},{}\n{meta}{body}", meta.len(), body.len())
    }

    const GETINFO: &str = r#"{"action":"getinfo","searchinfo":{"args":[],"session_key":"SECRET"}}"#;

    fn drive(input: &str) -> (Outcome, String, usize) {
        let mut out = Vec::new();
        let mut cmd = Echo { calls: 0 };
        let outcome = run(&mut input.as_bytes(), &mut out, &mut cmd, Limits::default());
        (outcome, String::from_utf8(out).unwrap(), cmd.calls)
    }

    #[test]
    fn probe_answers_getinfo_and_exits_zero() {
        let (o, out, calls) = drive(&chunk(GETINFO, ""));
        assert_eq!(o.exit_code, 0);
        assert_eq!(out, "chunked 1.0,20,0\n{\"type\":\"streaming\"}");
        assert_eq!(calls, 0);
    }

    #[test]
    fn one_reply_per_execute_echoing_finished() {
        let input = chunk(GETINFO, "")
            + &chunk(r#"{"action":"execute","finished":false}"#, "a\n1\n")
            + "\n"
            + &chunk(r#"{"action":"execute","finished":true}"#, "");
        let (o, out, calls) = drive(&input);
        assert_eq!(o.exit_code, 0, "{:?}", o.error);
        assert_eq!(calls, 2);
        assert_eq!(
            out,
            "chunked 1.0,20,0\n{\"type\":\"streaming\"}\
             chunked 1.0,18,4\n{\"finished\":false}a\n1\n\
             chunked 1.0,17,0\n{\"finished\":true}"
        );
    }

    #[test]
    fn execute_before_getinfo_is_an_error_reply() {
        let (o, out, _) = drive(&chunk(r#"{"action":"execute"}"#, ""));
        assert_eq!(o.exit_code, 1);
        assert!(
            out.contains(r#""finished":true,"error":"chunk 1: expected a getinfo request first"#),
            "{out}"
        );
    }

    #[test]
    fn option_errors_go_into_the_getinfo_reply() {
        let meta = r#"{"action":"getinfo","searchinfo":{"args":["bad=1"]}}"#;
        let (o, out, _) = drive(&chunk(meta, ""));
        assert_eq!(o.exit_code, 1);
        assert!(out.starts_with("chunked 1.0,"));
        assert!(out.contains(r#"{"inspector":{"messages":[["ERROR","option bad is given more than once"]]},"finished":true,"error":"option bad is given more than once"}"#), "{out}");
    }

    #[test]
    fn truncated_chunk_writes_nothing_more_and_fails() {
        let input = chunk(GETINFO, "")
            + "chunked 1.0,37,100\n{\"action\":\"execute\",\"finished\":false}abc";
        let (o, out, _) = drive(&input);
        assert_eq!(o.exit_code, 1);
        assert_eq!(out, "chunked 1.0,20,0\n{\"type\":\"streaming\"}");
        let err = o.error.unwrap();
        assert!(!err.framing_intact());
        assert_eq!(
            err.to_string(),
            "chunk 2: input ended inside the body: expected 100 bytes, got 3"
        );
    }

    #[test]
    fn second_getinfo_and_getinfo_with_body_are_errors() {
        let (o, out, _) = drive(&(chunk(GETINFO, "") + &chunk(GETINFO, "")));
        assert_eq!(o.exit_code, 1);
        assert!(out.contains("unexpected second getinfo"), "{out}");
        let (o, out, _) = drive(&chunk(GETINFO, "x,y\n"));
        assert_eq!(o.exit_code, 1);
        assert!(
            out.contains("getinfo request carries a 4-byte body"),
            "{out}"
        );
        assert!(!out.contains("SECRET"));
    }
}
