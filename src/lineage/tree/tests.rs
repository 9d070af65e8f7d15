//! The tree on hand-made facts (compiled only under #[cfg(test)], declared
//! so in `mod.rs`): chains in every order, the decoys (a chain
//! through explorer.exe, two launchers, the same PID on another host, a PID
//! reused later, a cycle, a self-parent), the caps.

use csv::ByteRecord;

use super::*;
use crate::lineage::{LineageRule, Stats, Unlinkable, DEFAULT_LAUNCHERS};
use crate::records::{FieldSet, Layout, RowView};
use crate::rule::{Catalog, Rule};
use crate::time::format_epoch;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Row(&'static str);

impl Weigh for Row {
    fn weight(&self) -> usize {
        100
    }
}

/// A process row: `name` with `parent` (its observed parent name), on
/// `host`, with GUIDs or PIDs and a time — written as a CSV row and read
/// through the real [`LineageRule::facts`], so the tests classify rows as
/// the command does.
#[derive(Clone, Copy)]
struct P {
    host: &'static str,
    name: &'static str,
    parent: &'static str,
    guid: Option<u128>,
    pguid: Option<u128>,
    pid: Option<u64>,
    ppid: Option<u64>,
    time: Option<i64>,
    program: Option<&'static str>,
    /// Read with a catalog that lists `cmd.exe` (the full LOLBAS list
    /// does): a launcher that is a catalog binary too.
    catalog_launcher: bool,
    /// `grandparent_process_name` (EDR rows).
    grandparent: &'static str,
    /// `vendor_product`.
    vendor: &'static str,
}

const fn p(name: &'static str, parent: &'static str) -> P {
    P {
        host: "h1",
        name,
        parent,
        guid: None,
        pguid: None,
        pid: None,
        ppid: None,
        time: None,
        program: None,
        catalog_launcher: false,
        grandparent: "",
        vendor: "",
    }
}

const HEADER: [&str; 11] = [
    "dest",
    "parent_process_name",
    "process_name",
    "process",
    "process_guid",
    "parent_process_guid",
    "process_id",
    "parent_process_id",
    "_time",
    "grandparent_process_name",
    "vendor_product",
];

fn guid_text(g: Option<u128>) -> String {
    g.map_or(String::new(), |g| {
        let h = format!("{g:032x}");
        format!(
            "{{{}-{}-{}-{}-{}}}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        )
    })
}

impl P {
    const fn g(self, guid: u128, pguid: u128) -> P {
        P {
            guid: Some(guid),
            pguid: Some(pguid),
            ..self
        }
    }
    const fn pid(self, pid: u64, ppid: u64, time: i64) -> P {
        P {
            pid: Some(pid),
            ppid: Some(ppid),
            time: Some(time),
            ..self
        }
    }
    const fn on(self, host: &'static str) -> P {
        P { host, ..self }
    }
    const fn runs(self, program: &'static str) -> P {
        P {
            program: Some(program),
            ..self
        }
    }
    const fn gp(self, grandparent: &'static str) -> P {
        P {
            grandparent,
            ..self
        }
    }
    const fn vendor(self, vendor: &'static str) -> P {
        P { vendor, ..self }
    }

    /// The CSV row's cells, in [`HEADER`]'s order.
    fn cells(&self) -> Vec<String> {
        vec![
            self.host.to_string(),
            self.parent.to_string(),
            self.name.to_string(),
            match self.program {
                Some(prog) => format!("{} /c {prog} x", self.name),
                None => String::new(),
            },
            guid_text(self.guid),
            guid_text(self.pguid),
            self.pid.map_or(String::new(), |p| p.to_string()),
            self.ppid.map_or(String::new(), |p| p.to_string()),
            self.time.map_or(String::new(), |t| format_epoch(T0 + t, 6)),
            self.grandparent.to_string(),
            self.vendor.to_string(),
        ]
    }

    /// What lineage reads from the row (`None`: it plays no part).
    fn read(&self) -> Option<Facts<'static>> {
        let mut fields = FieldSet::new();
        let catalog = if self.catalog_launcher {
            let mut names: Vec<&[u8]> = vec![b"cmd.exe"];
            names.extend(LOLBAS.iter().map(|n| n.as_bytes()));
            Catalog::from_names(names)
        } else {
            Catalog::escu()
        };
        let rule = Rule::new(false, &["wmiprvse.exe".to_string()], catalog, &mut fields);
        let launchers: Vec<String> = DEFAULT_LAUNCHERS.iter().map(|s| s.to_string()).collect();
        let lineage = LineageRule::new(&launchers, &mut fields);
        let header = ByteRecord::from(HEADER.to_vec());
        let layout = Layout::resolve(&fields, &header);
        let record = ByteRecord::from(self.cells());
        let view = RowView::new(&record, &layout);
        let plain_hit = rule.evaluate(&view).is_some();
        lineage
            .facts(&view, &rule, plain_hit)
            .map(Facts::into_owned)
    }

    fn facts(&self) -> Facts<'static> {
        self.read().unwrap_or_else(|| {
            panic!(
                "{} under {} plays no part in lineage",
                self.name, self.parent
            )
        })
    }
}

/// The tests' times are microseconds after this instant (2023-11-14).
const T0: i64 = 1_700_000_000_000_000;

/// Catalog names the tests use (all in the ESCU list).
const LOLBAS: [&str; 5] = [
    "mshta.exe",
    "msbuild.exe",
    "rundll32.exe",
    "regsvr32.exe",
    "pcalua.exe",
];

/// Feeds `rows` (tagged) in order, then finishes; returns each tag's
/// detection path (or reason) — `tag: path` lines, sorted — and the stats.
fn run_with(limits: Limits, rows: &[(&'static str, P)]) -> (Vec<String>, Stats) {
    let mut tree: Tree<Row> = Tree::new(limits);
    let mut found = Vec::new();
    let mut note = |tag: &str, v: &Verdict| {
        found.push(format!(
            "{tag}: {} {}",
            v.reason(),
            String::from_utf8_lossy(v.path())
        ))
    };
    for (tag, row) in rows {
        let Some(facts) = row.read() else {
            continue; // it plays no part
        };
        match tree.observe(&facts, || Row(tag)) {
            Observed::Detected(v) => note(tag, &v),
            Observed::Pass | Observed::Held => {}
        }
        for s in tree.drain() {
            if let Some(v) = &s.verdict {
                note(s.payload.0, v);
            }
        }
    }
    for s in tree.finish() {
        if let Some(v) = &s.verdict {
            note(s.payload.0, v);
        }
    }
    assert_eq!(tree.held(), 0, "everything held is settled at the end");
    found.sort();
    (found, tree.stats().clone())
}

fn run(rows: &[(&'static str, P)]) -> Vec<String> {
    run_with(Limits::default(), rows).0
}

/// Every order of `rows` gives `want`.
fn every_order(rows: &[(&'static str, P)], want: &[&str]) {
    let mut idx: Vec<usize> = (0..rows.len()).collect();
    permutations(&mut idx, 0, &mut |order| {
        let shuffled: Vec<_> = order.iter().map(|&i| rows[i]).collect();
        let got = run(&shuffled);
        let order_tags: Vec<_> = shuffled.iter().map(|r| r.0).collect();
        assert_eq!(got, want, "order {order_tags:?}");
    });
}

fn permutations(v: &mut Vec<usize>, k: usize, f: &mut dyn FnMut(&[usize])) {
    if k == v.len() {
        f(v);
        return;
    }
    for i in k..v.len() {
        v.swap(k, i);
        permutations(v, k + 1, f);
        v.swap(k, i);
    }
}

const WMI: u128 = 1;

#[test]
fn a_guid_chain_is_found_in_every_order() {
    every_order(
        &[
            ("cmd", p("cmd.exe", "WmiPrvSE.exe").g(10, WMI)),
            ("msbuild", p("MSBuild.exe", "cmd.exe").g(11, 10)),
            ("conhost", p("conhost.exe", "cmd.exe").g(12, 10)),
        ],
        &["msbuild: lineage WmiPrvSE.exe > cmd.exe > MSBuild.exe"],
    );
}

#[test]
fn a_pid_chain_is_found_in_every_order() {
    every_order(
        &[
            ("cmd", p("cmd.exe", "WmiPrvSE.exe").pid(100, 4, 10)),
            ("mshta", p("mshta.exe", "cmd.exe").pid(101, 100, 11)),
        ],
        &["mshta: lineage WmiPrvSE.exe > cmd.exe > mshta.exe"],
    );
}

#[test]
fn a_chain_of_two_launchers_is_one_detection_in_every_order() {
    let want = ["rundll32: lineage WmiPrvSE.exe > cmd.exe > powershell.exe > rundll32.exe"];
    every_order(
        &[
            (
                "cmd",
                p("cmd.exe", "WmiPrvSE.exe").g(10, WMI).runs("rundll32.exe"),
            ),
            ("ps", p("powershell.exe", "cmd.exe").g(11, 10)),
            ("rundll32", p("rundll32.exe", "powershell.exe").g(12, 11)),
        ],
        &want,
    );
    every_order(
        &[
            (
                "cmd",
                p("cmd.exe", "WmiPrvSE.exe")
                    .pid(10, 4, 1)
                    .runs("rundll32.exe"),
            ),
            ("ps", p("powershell.exe", "cmd.exe").pid(11, 10, 2)),
            (
                "rundll32",
                p("rundll32.exe", "powershell.exe").pid(12, 11, 3),
            ),
        ],
        &want,
    );
}

#[test]
fn a_chain_through_explorer_is_not_a_detection() {
    every_order(
        &[
            ("cmd", p("cmd.exe", "explorer.exe").g(10, 9)),
            ("pcalua", p("pcalua.exe", "cmd.exe").g(11, 10)),
        ],
        &[],
    );
    every_order(
        &[
            ("cmd", p("cmd.exe", "explorer.exe").pid(10, 9, 1)),
            ("pcalua", p("pcalua.exe", "cmd.exe").pid(11, 10, 2)),
        ],
        &[],
    );
}

#[test]
fn the_same_pid_on_another_host_is_not_the_parent() {
    let rows = [
        (
            "cmd",
            p("cmd.exe", "WmiPrvSE.exe").pid(100, 4, 1).on("other"),
        ),
        ("mshta", p("mshta.exe", "cmd.exe").pid(101, 100, 2)),
    ];
    every_order(&rows, &[]);
    // hosts compare ASCII-case-insensitively
    let rows = [
        ("cmd", p("cmd.exe", "WmiPrvSE.exe").pid(100, 4, 1).on("H1")),
        ("mshta", p("mshta.exe", "cmd.exe").pid(101, 100, 2)),
    ];
    every_order(
        &rows,
        &["mshta: lineage WmiPrvSE.exe > cmd.exe > mshta.exe"],
    );
}

#[test]
fn a_pid_reused_later_is_not_the_parent_of_an_earlier_child() {
    // WMI's cmd (pid 100, t=10) starts mshta at t=20; a later cmd from
    // explorer reuses pid 100 at t=30 and starts regsvr32 at t=40.
    let rows = [
        ("wmi-cmd", p("cmd.exe", "WmiPrvSE.exe").pid(100, 4, 10)),
        ("mshta", p("mshta.exe", "cmd.exe").pid(101, 100, 20)),
        ("user-cmd", p("cmd.exe", "explorer.exe").pid(100, 5, 30)),
        ("regsvr32", p("regsvr32.exe", "cmd.exe").pid(102, 100, 40)),
    ];
    every_order(
        &rows,
        &["mshta: lineage WmiPrvSE.exe > cmd.exe > mshta.exe"],
    );
    // A child created before any process with its parent PID has no parent.
    every_order(
        &[
            ("cmd", p("cmd.exe", "WmiPrvSE.exe").pid(100, 4, 10)),
            ("early", p("mshta.exe", "cmd.exe").pid(101, 100, 5)),
        ],
        &[],
    );
}

#[test]
fn untimed_pid_links_need_one_candidate() {
    let untimed = |pid, ppid| P {
        pid: Some(pid),
        ppid: Some(ppid),
        ..p("", "")
    };
    let one = [
        (
            "cmd",
            P {
                name: "cmd.exe",
                parent: "WmiPrvSE.exe",
                ..untimed(100, 4)
            },
        ),
        (
            "mshta",
            P {
                name: "mshta.exe",
                parent: "cmd.exe",
                ..untimed(101, 100)
            },
        ),
    ];
    every_order(&one, &["mshta: lineage WmiPrvSE.exe > cmd.exe > mshta.exe"]);
    let two = [
        (
            "cmd",
            P {
                name: "cmd.exe",
                parent: "WmiPrvSE.exe",
                ..untimed(100, 4)
            },
        ),
        (
            "cmd2",
            P {
                name: "cmd.exe",
                parent: "explorer.exe",
                ..untimed(100, 5)
            },
        ),
        (
            "mshta",
            P {
                name: "mshta.exe",
                parent: "cmd.exe",
                ..untimed(101, 100)
            },
        ),
    ];
    every_order(&two, &[]);
}

#[test]
fn cycles_and_self_parents_end_the_walk() {
    // Two launchers that are each other's parent, by GUID and by PID.
    every_order(
        &[
            ("a", p("cmd.exe", "cmd.exe").g(10, 11)),
            ("b", p("cmd.exe", "cmd.exe").g(11, 10)),
            ("mshta", p("mshta.exe", "cmd.exe").g(12, 10)),
        ],
        &[],
    );
    every_order(
        &[
            ("a", p("cmd.exe", "cmd.exe").pid(10, 11, 1)),
            ("b", p("cmd.exe", "cmd.exe").pid(11, 10, 1)),
            ("mshta", p("mshta.exe", "cmd.exe").pid(12, 10, 2)),
        ],
        &[],
    );
    // A process that is its own parent.
    every_order(
        &[
            ("self", p("cmd.exe", "cmd.exe").g(10, 10)),
            ("mshta", p("mshta.exe", "cmd.exe").g(12, 10)),
        ],
        &[],
    );
    every_order(
        &[
            ("self", p("cmd.exe", "cmd.exe").pid(10, 10, 1)),
            ("mshta", p("mshta.exe", "cmd.exe").pid(12, 10, 2)),
        ],
        &[],
    );
}

#[test]
fn at_most_four_launchers() {
    let mut rows = vec![("l1", p("cmd.exe", "WmiPrvSE.exe").g(10, WMI))];
    let tags = ["l2", "l3", "l4", "l5"];
    for (i, tag) in tags.iter().enumerate() {
        rows.push((
            tag,
            p("cmd.exe", "cmd.exe").g(11 + i as u128, 10 + i as u128),
        ));
    }
    // under the fourth launcher: found
    let mut four = rows[..4].to_vec();
    four.push(("mshta", p("mshta.exe", "cmd.exe").g(99, 13)));
    assert_eq!(
        run(&four),
        ["mshta: lineage WmiPrvSE.exe > cmd.exe > cmd.exe > cmd.exe > cmd.exe > mshta.exe"]
    );
    // under the fifth: too deep
    rows.push(("mshta", p("mshta.exe", "cmd.exe").g(99, 14)));
    assert_eq!(run(&rows), Vec::<String>::new());
}

#[test]
fn a_launcher_naming_a_lolbas_is_reported_only_without_its_descendant() {
    // smbmap over WMI: the rundll32 event is missing.
    let cmd = p("cmd.exe", "WmiPrvSE.exe").g(10, WMI).runs("rundll32.exe");
    assert_eq!(
        run(&[("cmd", cmd)]),
        ["cmd: launcher_command_line WmiPrvSE.exe > cmd.exe > rundll32.exe"]
    );
    // Empire: the MSBuild event is there, so only it is reported.
    every_order(
        &[
            ("cmd", cmd),
            ("rundll32", p("rundll32.exe", "cmd.exe").g(11, 10)),
        ],
        &["rundll32: lineage WmiPrvSE.exe > cmd.exe > rundll32.exe"],
    );
    every_order(
        &[
            (
                "cmd",
                p("cmd.exe", "WmiPrvSE.exe")
                    .pid(10, 4, 1)
                    .runs("rundll32.exe"),
            ),
            ("rundll32", p("rundll32.exe", "cmd.exe").pid(11, 10, 2)),
        ],
        &["rundll32: lineage WmiPrvSE.exe > cmd.exe > rundll32.exe"],
    );
}

#[test]
fn an_ancestor_candidate_waits_for_the_end_and_is_none_when_a_detection_runs_through_it() {
    let mut tree: Tree<Row> = Tree::new(Limits::default());
    let cmd = p("cmd.exe", "WmiPrvSE.exe").g(10, WMI).runs("mshta.exe");
    assert_eq!(tree.observe(&cmd.facts(), || Row("cmd")), Observed::Held);
    let child = p("mshta.exe", "cmd.exe").g(11, 10);
    assert!(matches!(
        tree.observe(&child.facts(), || Row("mshta")),
        Observed::Detected(Verdict::Lineage { .. })
    ));
    assert!(tree.drain().is_empty(), "the launcher waits for the end");
    assert_eq!(tree.held(), 1);
    let settled = tree.finish();
    assert_eq!(settled.len(), 1);
    assert_eq!(settled[0].payload, Row("cmd"));
    assert_eq!(settled[0].verdict, None);
    assert_eq!(tree.held(), 0);
    // A second row of the same launcher, after the detection: not held.
    assert_eq!(tree.observe(&cmd.facts(), || Row("cmd")), Observed::Pass);
}

#[test]
fn a_held_child_comes_back_when_its_parent_arrives() {
    let mut tree: Tree<Row> = Tree::new(Limits::default());
    let child = p("mshta.exe", "cmd.exe").g(11, 10);
    assert_eq!(
        tree.observe(&child.facts(), || Row("mshta")),
        Observed::Held
    );
    assert!(tree.drain().is_empty());
    let cmd = p("cmd.exe", "WmiPrvSE.exe").g(10, WMI);
    assert_eq!(tree.observe(&cmd.facts(), || Row("cmd")), Observed::Pass);
    let drained = tree.drain();
    assert_eq!(drained.len(), 1);
    assert_eq!(drained[0].payload, Row("mshta"));
    assert!(drained[0].verdict.is_some());
    // and a held child whose parent turns out to come from explorer goes
    // back as no detection, at once
    let child = p("mshta.exe", "cmd.exe").g(21, 20);
    assert_eq!(tree.observe(&child.facts(), || Row("m2")), Observed::Held);
    let cmd = p("cmd.exe", "explorer.exe").g(20, 2);
    tree.observe(&cmd.facts(), || Row("c2"));
    let drained = tree.drain();
    assert_eq!((drained.len(), drained[0].verdict.is_none()), (1, true));
}

#[test]
fn a_wmi_host_row_roots_a_launcher_that_names_no_parent() {
    let rows = [
        ("wmi", p("WmiPrvSE.exe", "svchost.exe").g(WMI, 2)),
        ("cmd", p("cmd.exe", "").g(10, WMI)),
        ("mshta", p("mshta.exe", "cmd.exe").g(11, 10)),
    ];
    every_order(
        &rows,
        &["mshta: lineage WmiPrvSE.exe > cmd.exe > mshta.exe"],
    );
}

#[test]
fn a_node_that_contradicts_the_childs_parent_name_is_not_its_parent() {
    every_order(
        &[
            ("ps", p("powershell.exe", "WmiPrvSE.exe").g(10, WMI)),
            ("mshta", p("mshta.exe", "cmd.exe").g(11, 10)),
        ],
        &[],
    );
}

#[test]
fn the_held_row_cap_holds_and_is_counted() {
    let limits = Limits {
        max_held: 2,
        ..Limits::default()
    };
    let rows = [
        ("a", p("mshta.exe", "cmd.exe").g(11, 10)),
        ("b", p("mshta.exe", "cmd.exe").g(12, 10)),
        ("c", p("mshta.exe", "cmd.exe").g(13, 10)),
        (
            "d",
            p("cmd.exe", "WmiPrvSE.exe").g(20, WMI).runs("rundll32.exe"),
        ),
        ("cmd", p("cmd.exe", "WmiPrvSE.exe").g(10, WMI)),
    ];
    let (found, stats) = run_with(limits, &rows);
    assert_eq!(
        found,
        [
            "a: lineage WmiPrvSE.exe > cmd.exe > mshta.exe",
            "b: lineage WmiPrvSE.exe > cmd.exe > mshta.exe",
            "d: launcher_command_line WmiPrvSE.exe > cmd.exe > rundll32.exe",
        ]
    );
    assert_eq!(stats.held_dropped, 1, "c could not wait");
    assert_eq!(stats.launchers_early, 1, "d was reported at once");
    assert_eq!(stats.held_peak, 2);
}

#[test]
fn the_byte_cap_holds() {
    let limits = Limits {
        max_held_bytes: 1,
        ..Limits::default()
    };
    let rows = [
        ("a", p("mshta.exe", "cmd.exe").g(11, 10)),
        ("b", p("mshta.exe", "cmd.exe").g(12, 10)),
    ];
    let (_, stats) = run_with(limits, &rows);
    assert_eq!((stats.held_peak, stats.held_dropped), (1, 1));
}

#[test]
fn the_node_cap_holds_and_is_counted() {
    let limits = Limits {
        max_nodes: 1,
        ..Limits::default()
    };
    let rows = [
        ("cmd", p("cmd.exe", "WmiPrvSE.exe").g(10, WMI)),
        ("ps", p("powershell.exe", "cmd.exe").g(11, 10)),
        ("mshta", p("mshta.exe", "powershell.exe").g(12, 11)),
    ];
    let (found, stats) = run_with(limits, &rows);
    assert!(found.is_empty());
    assert_eq!((stats.nodes, stats.nodes_dropped), (1, 1));
}

#[test]
fn rows_without_a_parent_link_are_counted_as_unlinkable() {
    let (found, stats) = run_with(
        Limits::default(),
        &[
            ("cmd", p("cmd.exe", "WmiPrvSE.exe")),
            ("mshta", p("mshta.exe", "cmd.exe")),
        ],
    );
    assert!(found.is_empty());
    assert_eq!(stats.unlinkable_for(Unlinkable::NoParentId), 1);
}

#[test]
fn a_duplicate_row_of_a_launcher_is_one_node() {
    let cmd = p("cmd.exe", "WmiPrvSE.exe").g(10, WMI);
    let (found, stats) = run_with(
        Limits::default(),
        &[
            ("cmd", cmd),
            ("cmd-again", cmd),
            ("mshta", p("mshta.exe", "cmd.exe").g(11, 10)),
        ],
    );
    assert_eq!(found, ["mshta: lineage WmiPrvSE.exe > cmd.exe > mshta.exe"]);
    assert_eq!(stats.nodes, 1);
}

#[test]
fn mixed_sources_link_a_guid_child_to_a_pid_parent_at_the_end() {
    // A Sysmon child (GUIDs and PIDs) of a Security 4688 parent (PIDs only).
    let rows = [
        ("cmd", p("cmd.exe", "WmiPrvSE.exe").pid(100, 4, 10)),
        (
            "mshta",
            p("mshta.exe", "cmd.exe").g(11, 10).pid(101, 100, 20),
        ),
    ];
    every_order(
        &rows,
        &["mshta: lineage WmiPrvSE.exe > cmd.exe > mshta.exe"],
    );
    // ...but never to a node that has another GUID
    let rows = [
        (
            "cmd",
            p("cmd.exe", "WmiPrvSE.exe").g(50, WMI).pid(100, 4, 10),
        ),
        (
            "mshta",
            p("mshta.exe", "cmd.exe").g(11, 10).pid(101, 100, 20),
        ),
    ];
    every_order(&rows, &[]);
}

#[test]
fn a_pid_reused_by_many_earlier_shells_still_links_to_the_latest() {
    // 100 shells from explorer.exe had PID 100 before the WMI shell did.
    let mut rows: Vec<(&'static str, P)> = Vec::new();
    for i in 0..100 {
        rows.push(("old", p("cmd.exe", "explorer.exe").pid(100, 5, i)));
    }
    rows.push(("cmd", p("cmd.exe", "WmiPrvSE.exe").pid(100, 4, 200)));
    // ...and 100 more after the child.
    for i in 0..100 {
        rows.push(("later", p("cmd.exe", "explorer.exe").pid(100, 5, 1000 + i)));
    }
    rows.push(("mshta", p("mshta.exe", "cmd.exe").pid(101, 100, 300)));
    let (found, _) = run_with(Limits::default(), &rows);
    assert_eq!(found, ["mshta: lineage WmiPrvSE.exe > cmd.exe > mshta.exe"]);
}

#[test]
fn the_parent_name_compares_ascii_case_insensitively_in_every_order() {
    every_order(
        &[
            ("cmd", p("cmd.exe", "WmiPrvSE.exe").g(10, WMI)),
            ("mshta", p("mshta.exe", "CMD.EXE").g(11, 10)),
        ],
        &["mshta: lineage WmiPrvSE.exe > cmd.exe > mshta.exe"],
    );
}

#[test]
fn a_process_logged_by_sysmon_and_4688_is_one_chain() {
    // Each process twice: Sysmon (GUIDs and PIDs) and Security 4688 (PIDs
    // only), a few milliseconds apart. The 4688 MSBuild links by PID to
    // the Sysmon cmd (the latest with that PID): the 4688 cmd, its twin,
    // must not be reported from its command line.
    let rows = [
        (
            "cmd-sysmon",
            p("cmd.exe", "WmiPrvSE.exe")
                .g(10, WMI)
                .pid(100, 4, 176)
                .runs("MSBuild.exe"),
        ),
        (
            "cmd-4688",
            p("cmd.exe", "WmiPrvSE.exe")
                .pid(100, 4, 170)
                .runs("MSBuild.exe"),
        ),
        (
            "msbuild-sysmon",
            p("MSBuild.exe", "cmd.exe").g(11, 10).pid(101, 100, 350),
        ),
        (
            "msbuild-4688",
            p("MSBuild.exe", "cmd.exe").pid(101, 100, 345),
        ),
    ];
    let want = [
        "msbuild-4688: lineage WmiPrvSE.exe > cmd.exe > MSBuild.exe",
        "msbuild-sysmon: lineage WmiPrvSE.exe > cmd.exe > MSBuild.exe",
    ];
    every_order(&rows, &want);
    // Without the MSBuild rows, the launcher is reported — twice, once
    // per source, as the plain rule reports both rows of a direct child.
    let (found, _) = run_with(Limits::default(), &rows[..2]);
    assert_eq!(found.len(), 2, "{found:?}");
}

#[test]
fn a_launcher_that_is_a_catalog_binary_is_reported_only_without_a_detection_through_it() {
    // The full LOLBAS list has cmd.exe: WmiPrvSE > cmd > cmd(catalog) > mshta
    // is one chain, reported on mshta.
    let inner = P {
        catalog_launcher: true,
        ..p("cmd.exe", "cmd.exe").g(11, 10)
    };
    every_order(
        &[
            ("outer", p("cmd.exe", "WmiPrvSE.exe").g(10, WMI)),
            ("inner", inner),
            ("mshta", p("mshta.exe", "cmd.exe").g(12, 11)),
        ],
        &["mshta: lineage WmiPrvSE.exe > cmd.exe > cmd.exe > mshta.exe"],
    );
    // Without mshta, the inner shell is the chain's catalog binary.
    every_order(
        &[
            ("outer", p("cmd.exe", "WmiPrvSE.exe").g(10, WMI)),
            ("inner", inner),
        ],
        &["inner: lineage WmiPrvSE.exe > cmd.exe > cmd.exe"],
    );
    // Two nested catalog shells: the deepest is reported.
    let deeper = P {
        catalog_launcher: true,
        ..p("cmd.exe", "cmd.exe").g(12, 11)
    };
    every_order(
        &[
            ("outer", p("cmd.exe", "WmiPrvSE.exe").g(10, WMI)),
            ("inner", inner),
            ("deeper", deeper),
        ],
        &["deeper: lineage WmiPrvSE.exe > cmd.exe > cmd.exe > cmd.exe"],
    );
}

#[test]
fn a_launcher_reported_at_the_cap_names_itself_in_its_path() {
    let limits = Limits {
        max_held: 0,
        max_nodes: 0,
        ..Limits::default()
    };
    let (found, stats) = run_with(
        limits,
        &[(
            "cmd",
            p("cmd.exe", "WmiPrvSE.exe").g(10, WMI).runs("rundll32.exe"),
        )],
    );
    assert_eq!(
        found,
        ["cmd: launcher_command_line WmiPrvSE.exe > cmd.exe > rundll32.exe"]
    );
    assert_eq!((stats.launchers_early, stats.nodes_dropped), (1, 1));
}

#[test]
fn rows_past_the_caps_store_no_names() {
    let limits = Limits {
        max_held: 1,
        max_nodes: 1,
        ..Limits::default()
    };
    let mut tree: Tree<Row> = Tree::new(limits);
    let hosts: Vec<String> = (0..1000).map(|i| format!("host-{i}")).collect();
    let mut facts = Vec::new();
    for (i, host) in hosts.iter().enumerate() {
        let host: &'static str = Box::leak(host.clone().into_boxed_str());
        facts.push(
            p("mshta.exe", "cmd.exe")
                .g(1000 + i as u128, 5)
                .on(host)
                .facts(),
        );
        facts.push(
            p("cmd.exe", "cmd.exe")
                .g(5000 + i as u128, 7)
                .on(host)
                .facts(),
        );
    }
    for f in &facts {
        tree.observe(f, || Row("r"));
    }
    let stats = tree.stats();
    assert_eq!((tree.held(), stats.nodes), (1, 1));
    assert!(
        tree.stored_strings() < 10,
        "{} strings stored",
        tree.stored_strings()
    );
}

// Regressions: issue 22 (a false chain through a reused PID, and PID
// links that could not be told soundly, made silently).

#[test]
fn a_reused_pid_of_an_untracked_process_makes_no_chain() {
    // t=10 WmiPrvSE starts cmd.exe as pid 600; t=20 explorer starts
    // notepad.exe, which reuses pid 600 (lineage does not track it); t=30
    // powershell.exe starts with no parent name and parent pid 600; t=31 it
    // starts rundll32. powershell's parent was notepad: no detection.
    let rows = [
        ("wmi-cmd", p("cmd.exe", "WmiPrvSE.exe").pid(600, 4, 10)),
        ("notepad", p("notepad.exe", "explorer.exe").pid(600, 5, 20)),
        ("ps", p("powershell.exe", "").pid(700, 600, 30)),
        (
            "rundll32",
            p("rundll32.exe", "powershell.exe").pid(701, 700, 31),
        ),
    ];
    every_order(&rows, &[]);
    let (_, stats) = run_with(Limits::default(), &rows);
    assert_eq!(stats.unlinkable_for(Unlinkable::ParentUnnamed), 1);
}

#[test]
fn a_reused_pid_of_the_wmi_host_makes_no_chain() {
    // WmiPrvSE (pid 500) exits; explorer reuses 500 for notepad; a shell
    // naming no parent, with parent pid 500, starts rundll32.
    let rows = [
        ("wmi", p("WmiPrvSE.exe", "svchost.exe").pid(500, 4, 10)),
        ("notepad", p("notepad.exe", "explorer.exe").pid(500, 5, 20)),
        ("cmd", p("cmd.exe", "").pid(600, 500, 30)),
        ("rundll32", p("rundll32.exe", "cmd.exe").pid(601, 600, 31)),
    ];
    every_order(&rows, &[]);
}

#[test]
fn a_pid_link_needs_the_name_the_child_gives() {
    // The latest node with pid 600 is a powershell.exe, the child names
    // cmd.exe: the cmd.exe parent is not in the data, so no link to the
    // older WMI cmd.exe either.
    let rows = [
        ("wmi-cmd", p("cmd.exe", "WmiPrvSE.exe").pid(600, 4, 10)),
        (
            "user-ps",
            p("powershell.exe", "explorer.exe").pid(600, 5, 20),
        ),
        ("mshta", p("mshta.exe", "cmd.exe").pid(601, 600, 30)),
    ];
    every_order(&rows, &[]);
}

#[test]
fn a_wmi_host_row_is_reached_by_guid_only() {
    // By GUID, a shell that names no parent is rooted at the WMI host's row;
    // by PID it is not linked (it names no parent), and is counted.
    let by_guid = [
        ("wmi", p("WmiPrvSE.exe", "svchost.exe").g(WMI, 2)),
        ("cmd", p("cmd.exe", "").g(10, WMI)),
        ("mshta", p("mshta.exe", "cmd.exe").g(11, 10)),
    ];
    every_order(
        &by_guid,
        &["mshta: lineage WmiPrvSE.exe > cmd.exe > mshta.exe"],
    );
    let by_pid = [
        ("wmi", p("WmiPrvSE.exe", "svchost.exe").pid(500, 4, 10)),
        ("cmd", p("cmd.exe", "").pid(600, 500, 20)),
        ("mshta", p("mshta.exe", "cmd.exe").pid(601, 600, 30)),
    ];
    every_order(&by_pid, &[]);
    let (_, stats) = run_with(Limits::default(), &by_pid);
    assert_eq!(stats.unlinkable_for(Unlinkable::ParentUnnamed), 1);
}

#[test]
fn rows_without_a_host_are_not_linked_by_pid() {
    let rows = [
        ("cmd", p("cmd.exe", "WmiPrvSE.exe").pid(600, 4, 10).on("")),
        ("mshta", p("mshta.exe", "cmd.exe").pid(601, 600, 20).on("")),
    ];
    every_order(&rows, &[]);
    let (_, stats) = run_with(Limits::default(), &rows);
    assert_eq!(stats.unlinkable_for(Unlinkable::NoHost), 1);
    // `unknown` is no host either.
    let rows = [
        (
            "cmd",
            p("cmd.exe", "WmiPrvSE.exe").pid(600, 4, 10).on("unknown"),
        ),
        (
            "mshta",
            p("mshta.exe", "cmd.exe").pid(601, 600, 20).on("unknown"),
        ),
    ];
    let (found, stats) = run_with(Limits::default(), &rows);
    assert!(found.is_empty());
    assert_eq!(stats.unlinkable_for(Unlinkable::NoHost), 1);
    // By GUID, host-less rows still link: a GUID names one process.
    every_order(
        &[
            ("cmd", p("cmd.exe", "WmiPrvSE.exe").g(10, WMI).on("")),
            ("mshta", p("mshta.exe", "cmd.exe").g(11, 10).on("")),
        ],
        &["mshta: lineage WmiPrvSE.exe > cmd.exe > mshta.exe"],
    );
}

#[test]
fn an_untimed_child_with_two_shells_of_that_name_is_counted() {
    let untimed = |name, parent, pid, ppid| P {
        pid: Some(pid),
        ppid: Some(ppid),
        ..p(name, parent)
    };
    let rows = [
        ("a", untimed("cmd.exe", "WmiPrvSE.exe", 100, 4)),
        ("b", untimed("cmd.exe", "explorer.exe", 100, 5)),
        ("mshta", untimed("mshta.exe", "cmd.exe", 101, 100)),
    ];
    every_order(&rows, &[]);
    let (_, stats) = run_with(Limits::default(), &rows);
    assert_eq!(stats.unlinkable_for(Unlinkable::NoTime), 1);
    // One shell of that name (and another of another name): linked.
    let rows = [
        ("a", untimed("cmd.exe", "WmiPrvSE.exe", 100, 4)),
        ("b", untimed("powershell.exe", "explorer.exe", 100, 5)),
        ("mshta", untimed("mshta.exe", "cmd.exe", 101, 100)),
    ];
    every_order(
        &rows,
        &["mshta: lineage WmiPrvSE.exe > cmd.exe > mshta.exe"],
    );
}

#[test]
fn a_process_with_a_guid_holding_the_pid_later_shows_the_older_one_is_not_the_parent() {
    // A Sysmon child whose parent GUID matched nothing: its parent's Sysmon
    // row is not in the data. The latest process with the PID before it is
    // a Sysmon shell of another GUID: that one is not the parent, and it
    // held the PID after the older WMI shell (4688, no GUID), which had
    // exited then. No link, however many such shells there are.
    for shells in [1, 63, 100] {
        let mut rows: Vec<(&'static str, P)> = Vec::new();
        rows.push(("cmd", p("cmd.exe", "WmiPrvSE.exe").pid(100, 4, 1)));
        for i in 0..shells {
            rows.push((
                "explorer-shell",
                p("cmd.exe", "explorer.exe")
                    .g(1000 + i, 5)
                    .pid(100, 5, 10 + i as i64),
            ));
        }
        rows.push((
            "mshta",
            p("mshta.exe", "cmd.exe").g(7, 99).pid(101, 100, 500),
        ));
        let (found, _) = run_with(Limits::default(), &rows);
        assert!(found.is_empty(), "{shells}: {found:?}");
    }
}

#[test]
fn an_untimed_pid_flood_is_counted() {
    // No creation times, and 300 processes with the parent PID: the lookup
    // gives up, and says so.
    let untimed = |name, parent, pid, ppid| P {
        pid: Some(pid),
        ppid: Some(ppid),
        ..p(name, parent)
    };
    let mut rows: Vec<(&'static str, P)> =
        vec![("cmd", untimed("cmd.exe", "WmiPrvSE.exe", 100, 4))];
    for _ in 0..300 {
        rows.push(("other", untimed("powershell.exe", "explorer.exe", 100, 5)));
    }
    rows.push(("mshta", untimed("mshta.exe", "cmd.exe", 101, 100)));
    let (found, stats) = run_with(Limits::default(), &rows);
    assert!(found.is_empty());
    assert_eq!(stats.unlinkable_for(Unlinkable::PidFlood), 1);
}

#[test]
fn an_untimed_node_does_not_let_a_timed_child_link_to_a_later_shell() {
    // mshta (t=50) names cmd.exe with parent PID 600; the only cmd.exe with
    // PID 600 starts at t=100, after it; an untimed powershell also had PID
    // 600. The untimed rule looks only at nodes that may be older than the
    // child: no link.
    let rows = [
        ("wmi-cmd", p("cmd.exe", "WmiPrvSE.exe").pid(600, 4, 100)),
        ("mshta", p("mshta.exe", "cmd.exe").pid(601, 600, 50)),
        (
            "ps",
            P {
                pid: Some(600),
                ppid: Some(5),
                ..p("powershell.exe", "explorer.exe")
            },
        ),
    ];
    every_order(&rows, &[]);
    // An untimed link that is made is counted (said in a WARN).
    let rows = [
        ("wmi-cmd", p("cmd.exe", "WmiPrvSE.exe").pid(600, 4, 10)),
        (
            "mshta",
            P {
                pid: Some(601),
                ppid: Some(600),
                ..p("mshta.exe", "cmd.exe")
            },
        ),
    ];
    let (found, stats) = run_with(Limits::default(), &rows);
    assert_eq!(found.len(), 1);
    assert_eq!(stats.untimed_links, 1);
}

#[test]
fn after_the_node_cap_pid_links_are_refused() {
    // The WMI shell is kept; the shell reusing its PID is dropped at the
    // cap: linking the child to the kept one would be a false chain.
    let limits = Limits {
        max_nodes: 1,
        ..Limits::default()
    };
    let rows = [
        ("wmi-cmd", p("cmd.exe", "WmiPrvSE.exe").pid(600, 4, 10)),
        ("user-cmd", p("cmd.exe", "explorer.exe").pid(600, 5, 20)),
        ("mshta", p("mshta.exe", "cmd.exe").pid(601, 600, 30)),
    ];
    let (found, stats) = run_with(limits, &rows);
    assert!(found.is_empty());
    assert_eq!(stats.unlinkable_for(Unlinkable::NodeCap), 1);
}

#[test]
fn settled_rows_come_back_in_arrival_order() {
    let mut tree: Tree<Row> = Tree::new(Limits::default());
    // Three held rows: a PID child, a launcher naming a LOLBAS binary (an
    // ancestor candidate, settled last), another PID child.
    for (tag, row) in [
        ("a", p("mshta.exe", "cmd.exe").pid(101, 100, 20)),
        (
            "b",
            p("cmd.exe", "WmiPrvSE.exe")
                .pid(200, 4, 5)
                .runs("regsvr32.exe"),
        ),
        ("c", p("mshta.exe", "cmd.exe").pid(102, 100, 21)),
        ("cmd", p("cmd.exe", "WmiPrvSE.exe").pid(100, 4, 10)),
    ] {
        tree.observe(&row.facts(), || Row(tag));
    }
    let order: Vec<&str> = tree.finish().iter().map(|s| s.payload.0).collect();
    assert_eq!(order, ["a", "b", "c"]);
}

#[test]
fn unreadable_values_are_counted_with_an_example() {
    let (_, stats) = run_with(
        Limits::default(),
        &[(
            "mshta",
            P {
                ppid: None,
                ..p("mshta.exe", "cmd.exe").g(11, 10)
            },
        )],
    );
    assert!(stats.notes.is_empty());
    // Through the real reader: a PID that is no number.
    let mut fields = FieldSet::new();
    let rule = Rule::new(
        false,
        &["wmiprvse.exe".to_string()],
        Catalog::escu(),
        &mut fields,
    );
    let launchers: Vec<String> = DEFAULT_LAUNCHERS.iter().map(|s| s.to_string()).collect();
    let lineage = LineageRule::new(&launchers, &mut fields);
    let header = ByteRecord::from(HEADER.to_vec());
    let layout = Layout::resolve(&fields, &header);
    let mut cells = p("mshta.exe", "cmd.exe").pid(101, 100, 20).cells();
    cells[7] = "pid-one-hundred".into();
    let record = ByteRecord::from(cells);
    let facts = lineage
        .facts(&RowView::new(&record, &layout), &rule, false)
        .unwrap();
    let mut tree: Tree<Row> = Tree::new(Limits::default());
    tree.observe(&facts, || Row("m"));
    let s: Stats = tree.stats().clone();
    assert_eq!(
        s.notes.count(crate::notes::NoteKind::Unreadable),
        1,
        "{:?}",
        s.notes
    );
    assert_eq!(s.unlinkable_for(Unlinkable::NoParentId), 1);
}

// Issue 24: EDR rows.

#[test]
fn a_row_naming_its_wmi_grandparent_is_a_lineage_detection_on_its_own() {
    // No id at all: decided at once.
    let (found, _) = run_with(
        Limits::default(),
        &[("mshta", p("mshta.exe", "cmd.exe").gp("WmiPrvSE.exe"))],
    );
    assert_eq!(found, ["mshta: lineage WmiPrvSE.exe > cmd.exe > mshta.exe"]);
    // Ids whose parent is not in the data: at the end.
    every_order(
        &[
            (
                "mshta",
                p("mshta.exe", "cmd.exe").g(11, 10).gp("WmiPrvSE.exe"),
            ),
            ("other", p("notepad.exe", "explorer.exe").g(20, 21)),
        ],
        &["mshta: lineage WmiPrvSE.exe > cmd.exe > mshta.exe"],
    );
    // A grandparent that is not the WMI host decides nothing.
    let (found, stats) = run_with(
        Limits::default(),
        &[("mshta", p("mshta.exe", "cmd.exe").gp("explorer.exe"))],
    );
    assert!(found.is_empty());
    assert_eq!(stats.unlinkable_for(Unlinkable::NoParentId), 1);
}

#[test]
fn the_same_chain_found_by_the_tree_and_by_the_grandparent_field_is_one_detection() {
    // The shell names mshta in its command line and is in the data; the
    // mshta row names its grandparent too: one detection, on mshta.
    every_order(
        &[
            (
                "cmd",
                p("cmd.exe", "WmiPrvSE.exe").g(10, WMI).runs("mshta.exe"),
            ),
            (
                "mshta",
                p("mshta.exe", "cmd.exe").g(11, 10).gp("WmiPrvSE.exe"),
            ),
        ],
        &["mshta: lineage WmiPrvSE.exe > cmd.exe > mshta.exe"],
    );
    // The parent's row names no parent of its own: the child's grandparent
    // field roots the chain through that node, which is marked.
    every_order(
        &[
            ("cmd", p("cmd.exe", "").g(10, WMI).runs("mshta.exe")),
            (
                "mshta",
                p("mshta.exe", "cmd.exe").g(11, 10).gp("WmiPrvSE.exe"),
            ),
        ],
        &["mshta: lineage WmiPrvSE.exe > cmd.exe > mshta.exe"],
    );
}

#[test]
fn falcon_parent_ids_are_no_pids_and_are_counted() {
    let rows = [
        ("cmd", p("cmd.exe", "WmiPrvSE.exe").pid(5012, 4, 10)),
        (
            "mshta",
            p("mshta.exe", "cmd.exe").pid(5013, 5_459_598_860, 20),
        ),
    ];
    let (found, stats) = run_with(Limits::default(), &rows);
    assert!(found.is_empty());
    assert_eq!(stats.falcon_parent_ids, 1);
    assert!(stats.notes.is_empty(), "said once, as Falcon ids");
    // A Falcon id below 2^32 is known by vendor_product.
    let rows = [
        ("cmd", p("cmd.exe", "WmiPrvSE.exe").pid(5012, 4, 10)),
        (
            "mshta",
            p("mshta.exe", "cmd.exe")
                .pid(5013, 5012, 20)
                .vendor("CrowdStrike Falcon"),
        ),
    ];
    let (found, stats) = run_with(Limits::default(), &rows);
    assert!(found.is_empty());
    assert_eq!(stats.falcon_parent_ids, 1);
}

#[test]
fn defender_account_guids_are_ignored_and_rows_link_by_pid() {
    // The Microsoft 365 Defender add-on's process_guid is the account's
    // object id: the same for the shell and the child.
    let rows = [
        (
            "cmd",
            p("cmd.exe", "WmiPrvSE.exe")
                .g(77, 77)
                .pid(600, 4, 10)
                .vendor("Microsoft Defender for Endpoint"),
        ),
        (
            "mshta",
            p("mshta.exe", "cmd.exe")
                .g(77, 77)
                .pid(601, 600, 20)
                .vendor("Microsoft Defender for Endpoint"),
        ),
    ];
    every_order(
        &rows,
        &["mshta: lineage WmiPrvSE.exe > cmd.exe > mshta.exe"],
    );
    let (_, stats) = run_with(Limits::default(), &rows);
    assert_eq!(stats.account_guids, 2);
}

#[test]
fn a_guid_given_to_two_processes_links_nothing() {
    // Two shells with one GUID (another name, another PID): neither is
    // found by it, and the rows are counted.
    let rows = [
        (
            "user-ps",
            p("powershell.exe", "explorer.exe").g(10, 2).pid(700, 5, 5),
        ),
        (
            "wmi-cmd",
            p("cmd.exe", "WmiPrvSE.exe").g(10, WMI).pid(600, 4, 6),
        ),
        ("mshta", p("mshta.exe", "cmd.exe").g(11, 10)),
    ];
    let (found, stats) = run_with(Limits::default(), &rows);
    assert!(found.is_empty(), "{found:?}");
    assert_eq!(stats.guid_conflicts, 1);
    // The same process logged twice (same name and PID) is no conflict.
    let cmd = p("cmd.exe", "WmiPrvSE.exe").g(10, WMI).pid(600, 4, 6);
    let (found, stats) = run_with(
        Limits::default(),
        &[
            ("a", cmd),
            ("b", cmd),
            ("mshta", p("mshta.exe", "cmd.exe").g(11, 10)),
        ],
    );
    assert_eq!(found, ["mshta: lineage WmiPrvSE.exe > cmd.exe > mshta.exe"]);
    assert_eq!(stats.guid_conflicts, 0);
}

#[test]
fn a_row_rooted_by_its_grandparent_that_nothing_links_marks_no_shell() {
    // The rundll32 row names its WMI grandparent but gives no parent id:
    // nothing can tie it to the shell's row, so the shell, which names
    // rundll32 in its command line, is reported too (two rows that cannot
    // be linked are not known to be one chain: rule.rs §4).
    let (found, _) = run_with(
        Limits::default(),
        &[
            (
                "cmd",
                p("cmd.exe", "WmiPrvSE.exe").g(10, WMI).runs("rundll32.exe"),
            ),
            ("rundll32", p("rundll32.exe", "cmd.exe").gp("WmiPrvSE.exe")),
        ],
    );
    assert_eq!(
        found,
        [
            "cmd: launcher_command_line WmiPrvSE.exe > cmd.exe > rundll32.exe",
            "rundll32: lineage WmiPrvSE.exe > cmd.exe > rundll32.exe",
        ]
    );
}
