//! `lineage=true` through the transform: rows held from one body to a later
//! reply, replies widened for a held row's fields, the final request's
//! reply, and properties over random sessions (fast path = full-parse path;
//! in annotate mode every row comes back exactly once). Compiled only under
//! #[cfg(test)].

use super::*;
use proptest::prelude::*;

const HEADER: &str = "dest,parent_process_name,process_name,process,process_guid,parent_process_guid,process_id,parent_process_id,_time";

fn transform(args: &[&str]) -> Transform {
    let options =
        Options::from_args(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    Transform::new(&options, Catalog::escu())
}

/// Runs `bodies` as one session's execute requests (the last one with
/// `finished: true`); returns each reply as CSV records (header first) and
/// the messages.
fn session(t: &mut Transform, bodies: &[String]) -> (Vec<Vec<Vec<String>>>, Vec<Message>) {
    let mut replies = Vec::new();
    let mut msgs = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        t.set_last(i + 1 == bodies.len());
        let mut out = Vec::new();
        t.process_reader(i as u64 + 2, &mut body.as_bytes(), &mut out, &mut msgs)
            .unwrap();
        replies.push(parse(&out));
    }
    (replies, msgs)
}

fn parse(out: &[u8]) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(out)
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// The value of `field` in each data row of `reply`.
fn column(reply: &[Vec<String>], field: &str) -> Vec<String> {
    let Some(header) = reply.first() else {
        return Vec::new();
    };
    let i = header.iter().position(|h| h == field).unwrap();
    reply[1..].iter().map(|r| r[i].clone()).collect()
}

#[test]
fn a_grandchild_in_an_earlier_body_comes_back_in_the_reply_that_completes_its_chain() {
    let mut t = transform(&["lineage=true"]);
    let bodies = [
        format!("{HEADER}\nh1,cmd.exe,MSBuild.exe,MSBuild.exe x.xml,{{g3}},{{g2}},3,2,100.5\n"),
        format!("{HEADER}\nh1,explorer.exe,notepad.exe,notepad,{{g9}},{{g8}},9,8,99\n"),
        format!("{HEADER}\nh1,WmiPrvSE.exe,cmd.exe,cmd.exe /c MSBuild.exe x.xml,{{g2}},{{g1}},2,1,100.1\n"),
        String::new(),
    ];
    let (replies, _) = session(&mut t, &bodies);
    assert!(replies[0].is_empty() && replies[1].is_empty());
    assert_eq!(column(&replies[2], "process_name"), ["MSBuild.exe"]);
    assert_eq!(column(&replies[2], "match_reason"), ["lineage"]);
    assert_eq!(
        column(&replies[2], "lineage_path"),
        ["WmiPrvSE.exe > cmd.exe > MSBuild.exe"]
    );
    assert_eq!(
        column(&replies[2], "detection_id"),
        ["18c7474d-dc38-4e8c-9687-0bee44df759e"]
    );
    assert_eq!(
        column(&replies[2], "annotations.mitre_attack.mitre_technique_id"),
        ["T1047\nT1059.003"]
    );
    assert_eq!(
        column(
            &replies[2],
            "__mv_annotations.mitre_attack.mitre_technique_id"
        ),
        ["$T1047$;$T1059.003$"]
    );
    // cmd.exe's command line names MSBuild.exe, but MSBuild's row is there:
    // one detection per chain, nothing at the end.
    assert!(replies[3].is_empty(), "{:?}", replies[3]);
    assert_eq!(t.held_rows(), 0);
    let (stats, _) = t.lineage_stats().unwrap();
    assert_eq!((stats.detections, stats.held_peak, stats.nodes), (1, 1, 1));
}

#[test]
fn a_launcher_naming_a_missing_lolbas_is_reported_once_in_the_final_reply() {
    let mut t = transform(&["lineage=true"]);
    let bodies = [
        format!(
            "{HEADER}\n\
             h1,WmiPrvSE.exe,cmd.exe,\"cmd.exe /Q /c c:\\windows\\system32\\rundll32.exe c:\\programdata\\7okjer,#1 1> \\\\127.0.0.1\\C$\\x 2>&1\",{{c1}},{{w}},10,1,5\n\
             h1,WmiPrvSE.exe,cmd.exe,\"cmd.exe /Q /c cd \\ 1> \\\\127.0.0.1\\ADMIN$\\__1 2>&1\",{{c2}},{{w}},11,1,6\n"
        ),
        String::new(), // the final request: header-less
    ];
    let (replies, _) = session(&mut t, &bodies);
    assert!(replies[0].is_empty());
    assert_eq!(column(&replies[1], "process_guid"), ["{c1}"]);
    assert_eq!(
        column(&replies[1], "match_reason"),
        ["launcher_command_line"]
    );
    assert_eq!(column(&replies[1], "threat_object"), ["rundll32.exe"]);
    assert_eq!(
        column(&replies[1], "lineage_path"),
        ["WmiPrvSE.exe > cmd.exe > rundll32.exe"]
    );
}

#[test]
fn a_held_row_with_fields_the_reply_lacks_widens_the_reply() {
    let mut t = transform(&["lineage=true", "mode=annotate"]);
    let bodies = [
        format!("{HEADER},extra\nh1,cmd.exe,mshta.exe,mshta x,{{m}},{{c}},3,2,9,kept\n"),
        format!("{HEADER}\nh1,WmiPrvSE.exe,cmd.exe,cmd /c echo,{{c}},{{w}},2,1,8\nh2,a.exe,b.exe,b,,,,,\n"),
    ];
    let (replies, _) = session(&mut t, &bodies);
    assert!(replies[0].is_empty(), "the only row is held");
    let r = &replies[1];
    assert_eq!(r[0].last().map(String::as_str), Some("extra"));
    assert!(r.iter().all(|row| row.len() == r[0].len()), "{r:?}");
    // In input order: the held row (body 1) before the body's own rows.
    assert_eq!(column(r, "process_name"), ["mshta.exe", "cmd.exe", "b.exe"]);
    assert_eq!(column(r, "extra"), ["kept", "", ""]);
    assert_eq!(column(r, "match_reason"), ["lineage", "", ""]);
}

#[test]
fn a_row_held_and_released_within_one_body_keeps_its_place() {
    // mshta (row 2) waits for its shell (row 4): the reply is rows 1..5 in
    // input order, mshta among them, not appended after row 5.
    let mut t = transform(&["lineage=true", "mode=annotate"]);
    let body = format!(
        "{HEADER}\n\
         h1,explorer.exe,notepad.exe,n1,,,,,1\n\
         h1,cmd.exe,mshta.exe,mshta x,{{m}},{{c}},3,2,9\n\
         h1,explorer.exe,notepad.exe,n3,,,,,3\n\
         h1,WmiPrvSE.exe,cmd.exe,cmd /c echo,{{c}},{{w}},2,1,8\n\
         h1,explorer.exe,notepad.exe,n5,,,,,5\n"
    );
    let (replies, _) = session(&mut t, &[body]);
    assert_eq!(
        column(&replies[0], "process"),
        ["n1", "mshta x", "n3", "cmd /c echo", "n5"]
    );
    assert_eq!(
        column(&replies[0], "match_reason"),
        ["", "lineage", "", "", ""]
    );
}

#[test]
fn without_lineage_a_chain_is_not_followed_and_the_reply_is_the_plain_rules() {
    // A direct child (a plain detection) and a chain through a shell in one
    // body: without lineage only the direct child comes back, with the
    // plain fields only, and nothing is held.
    let body = format!(
        "{HEADER}\n\
         h1,WmiPrvSE.exe,cmd.exe,cmd /c echo,{{c}},{{w}},2,1,8\n\
         h1,cmd.exe,mshta.exe,mshta x,{{m}},{{c}},3,2,9\n\
         h1,WmiPrvSE.exe,Rundll32.exe,rundll32 x,{{r}},{{w}},4,1,10\n"
    );
    let mut plain = transform(&[]);
    let (replies, msgs) = session(&mut plain, std::slice::from_ref(&body));
    assert_eq!(column(&replies[0], "process_name"), ["Rundll32.exe"]);
    assert_eq!(column(&replies[0], "match_reason"), ["process_name"]);
    assert!(!replies[0][0].iter().any(|h| h == "lineage_path"));
    assert_eq!(plain.held_rows(), 0);
    assert!(plain.lineage_stats().is_none());
    assert!(msgs.is_empty());
    // With lineage, the same body gives both.
    let mut t = transform(&["lineage=true"]);
    let (replies, _) = session(&mut t, &[body]);
    assert_eq!(
        column(&replies[0], "process_name"),
        ["mshta.exe", "Rundll32.exe"]
    );
    assert_eq!(
        column(&replies[0], "match_reason"),
        ["lineage", "process_name"]
    );
}

#[test]
fn direct_children_are_plain_detections_with_their_path() {
    let mut t = transform(&["lineage=true"]);
    let body = format!("{HEADER}\nh1,WmiPrvSE.exe,Rundll32.exe,rundll32 x,{{r}},{{w}},3,1,9\n");
    let (replies, _) = session(&mut t, std::slice::from_ref(&body));
    assert_eq!(column(&replies[0], "match_reason"), ["process_name"]);
    assert_eq!(
        column(&replies[0], "detection_id"),
        ["95a455f0-4c04-11ec-b8ac-3e22fbd008af"]
    );
    assert_eq!(
        column(&replies[0], "lineage_path"),
        ["WmiPrvSE.exe > Rundll32.exe"]
    );
    // the same added values as without lineage, then the lineage fields
    let mut plain = transform(&[]);
    let (plain_replies, _) = session(&mut plain, &[body]);
    let n = plain_replies[0][1].len();
    assert_eq!(replies[0][1][..n], plain_replies[0][1][..]);
}

#[test]
fn the_held_row_cap_counts_what_it_could_not_hold_and_loses_no_annotated_row() {
    let options = Options::from_args(&["lineage=true".into(), "mode=annotate".into()]).unwrap();
    let limits = Limits {
        max_held: 3,
        ..Limits::default()
    };
    let mut t = Transform::with_limits(&options, Catalog::escu(), limits);
    let mut body = format!("{HEADER}\n");
    for i in 0..10 {
        body.push_str(&format!(
            "h1,cmd.exe,mshta.exe,mshta,{{m{i}}},{{nobody}},{i},2,9\n"
        ));
    }
    let (replies, _) = session(&mut t, &[body, String::new()]);
    let rows: usize = replies.iter().map(|r| r.len().saturating_sub(1)).sum();
    assert_eq!(rows, 10, "every row is returned once");
    let (stats, _) = t.lineage_stats().unwrap();
    assert_eq!((stats.held_peak, stats.held_dropped), (3, 7));
}

/// A row of a random session: ids and names from a small vocabulary, so
/// chains, cycles, reused PIDs and decoys occur.
fn row() -> impl Strategy<Value = Vec<String>> {
    let name = prop_oneof![
        Just("WmiPrvSE.exe"),
        Just("cmd.exe"),
        Just("powershell.exe"),
        Just("mshta.exe"),
        Just("rundll32.exe"),
        Just("notepad.exe"),
        Just("explorer.exe"),
        Just(""),
    ];
    let line = prop_oneof![
        Just("cmd.exe /c rundll32.exe x,y"),
        Just("cmd.exe /Q /c cd \\ 1> \\\\127.0.0.1\\ADMIN$\\__1"),
        Just("powershell -c mshta http://x"),
        Just(""),
    ];
    (
        prop_oneof![Just("h1"), Just("H1"), Just("h2")],
        name.clone(),
        name,
        line,
        0u8..6,
        0u8..6,
        0u8..6,
        0u8..6,
        0u8..4,
        0u8..16,
    )
        .prop_map(|(dest, parent, child, line, g, pg, pid, ppid, t, ragged)| {
            let id = |n: u8, pre: &str| {
                if n == 0 {
                    String::new()
                } else {
                    format!("{pre}{n}")
                }
            };
            let mut row = vec![
                dest.to_string(),
                parent.to_string(),
                child.to_string(),
                line.to_string(),
                id(g, "{g"),
                id(pg, "{g"),
                id(pid, ""),
                id(ppid, "0x"),
                id(t, "10"),
            ];
            // Now and then a ragged row: one field too many, or too few.
            match ragged {
                0 => row.push("extra".to_string()),
                1 => {
                    row.pop();
                }
                _ => {}
            }
            row
        })
}

/// The rows cut into bodies, each row with its number first (`row_id`).
fn bodies_of(rows: &[Vec<String>], cuts: &[usize]) -> Vec<String> {
    let mut bodies = Vec::new();
    let mut at = 0;
    for &cut in cuts.iter().chain(std::iter::once(&rows.len())) {
        let end = cut.clamp(at, rows.len());
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .flexible(true)
            .from_writer(Vec::new());
        w.write_record(std::iter::once("row_id").chain(HEADER.split(',')))
            .unwrap();
        for (i, r) in rows.iter().enumerate().take(end).skip(at) {
            w.write_record(std::iter::once(i.to_string()).chain(r.iter().cloned()))
                .unwrap();
        }
        bodies.push(String::from_utf8(w.into_inner().unwrap()).unwrap());
        at = end;
    }
    bodies
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Over random sessions cut into random bodies: the streamed fast path
    /// gives the full-parse path's replies (every SIMD path); every reply
    /// is in input order; no row comes back twice; and in annotate mode
    /// every row of a session that ends comes back (ragged rows included).
    #[test]
    fn lineage_sessions_agree_across_paths_and_lose_no_row(
        rows in proptest::collection::vec(row(), 0..24),
        cuts in proptest::collection::vec(0usize..24, 0..4),
        annotate in any::<bool>(),
        piece in 1usize..90,
    ) {
        use crate::records::simd::{with_isa, Isa};
        let mut cuts = cuts;
        cuts.sort_unstable();
        let bodies = bodies_of(&rows, &cuts);
        let args: &[&str] = if annotate { &["lineage=true", "mode=annotate"] } else { &["lineage=true"] };
        // The full-parse path's replies (or the error that ends the session).
        let mut full = transform(args);
        let mut want = Vec::new();
        for (i, body) in bodies.iter().enumerate() {
            full.set_last(i + 1 == bodies.len());
            let (mut out, mut msgs) = (Vec::new(), Vec::new());
            let r = full.process_parsed(2, body.as_bytes(), &mut out, &mut msgs);
            want.push(r.map(|_| out).map_err(|e| e.to_string()));
            if want[i].is_err() {
                break;
            }
        }
        let failed = want.last().is_some_and(Result::is_err);
        for isa in Isa::available() {
            let mut t = transform(args);
            t.set_piece_size(piece);
            for (i, body) in bodies.iter().enumerate().take(want.len()) {
                t.set_last(i + 1 == bodies.len());
                let (mut out, mut msgs) = (Vec::new(), Vec::new());
                let r = with_isa(isa, || t.process_reader(2, &mut body.as_bytes(), &mut out, &mut msgs));
                let got = r.map(|_| out).map_err(|e| e.to_string());
                prop_assert_eq!(
                    got.as_ref().map(|o| String::from_utf8_lossy(o).into_owned()),
                    want[i].as_ref().map(|o| String::from_utf8_lossy(o).into_owned()),
                    "{:?} body {}", isa, i
                );
            }
            if !failed {
                prop_assert_eq!(t.held_rows(), 0);
            }
        }
        let want: Vec<Vec<u8>> = want.into_iter().filter_map(Result::ok).collect();
        let mut seen = std::collections::BTreeSet::new();
        for reply in &want {
            let ids: Vec<usize> = column(&parse(reply), "row_id")
                .iter()
                .map(|id| id.parse().unwrap())
                .collect();
            prop_assert!(ids.windows(2).all(|w| w[0] < w[1]), "reply not in input order: {:?}", ids);
            for id in ids {
                prop_assert!(seen.insert(id), "row {} returned twice", id);
            }
        }
        if annotate && !failed {
            prop_assert_eq!(seen.len(), rows.len(), "every row comes back once");
        }
    }
}

#[test]
fn a_held_row_under_a_header_that_repeats_a_name_keeps_both_values() {
    let mut t = transform(&["lineage=true"]);
    let bodies = [
        format!("x,{HEADER},x\none,h1,cmd.exe,mshta.exe,mshta y,{{m}},{{c}},3,2,9,two\n"),
        format!("{HEADER}\nh1,WmiPrvSE.exe,cmd.exe,cmd /c echo,{{c}},{{w}},2,1,8\n"),
    ];
    let (replies, _) = session(&mut t, &bodies);
    let r = &replies[1];
    assert_eq!(r.len(), 2, "{r:?}");
    let xs: Vec<usize> = r[0]
        .iter()
        .enumerate()
        .filter(|(_, h)| *h == "x")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(xs.len(), 2, "{:?}", r[0]);
    assert_eq!((r[1][xs[0]].as_str(), r[1][xs[1]].as_str()), ("one", "two"));
}
