//! The tree on hand-made facts (compiled only under #[cfg(test)], declared
//! so in `mod.rs`): chains in every order, the decoys (a chain
//! through explorer.exe, two launchers, the same PID on another host, a PID
//! reused later, a cycle, a self-parent), the caps.

use std::borrow::Cow;

use super::*;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Row(&'static str);

impl Weigh for Row {
    fn weight(&self) -> usize {
        100
    }
}

/// A process row: `name` with `parent` (its observed parent name), on
/// `host`, with GUIDs or PIDs and a time.
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
    /// A launcher that is a catalog binary too (the full LOLBAS list has
    /// cmd.exe).
    catalog_launcher: bool,
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
    }
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

    fn facts(&self) -> Facts<'static> {
        let kind = |n: &str| {
            let n = n.to_ascii_lowercase();
            match n.as_str() {
                "wmiprvse.exe" => ParentKind::Wmi,
                "cmd.exe" | "powershell.exe" | "pwsh.exe" => ParentKind::Launcher,
                "" => ParentKind::Absent,
                _ => ParentKind::Other,
            }
        };
        let launcher = kind(self.name) == ParentKind::Launcher;
        let root = kind(self.name) == ParentKind::Wmi;
        let lolbas = [
            "mshta.exe",
            "msbuild.exe",
            "rundll32.exe",
            "regsvr32.exe",
            "pcalua.exe",
        ];
        let catalog = (self.catalog_launcher
            || lolbas.contains(&self.name.to_ascii_lowercase().as_str()))
            && kind(self.parent) == ParentKind::Launcher;
        Facts {
            host: Cow::Owned(self.host.as_bytes().to_vec()),
            guid: self.guid,
            parent_guid: self.pguid,
            pid: self.pid,
            parent_pid: self.ppid,
            time: self.time,
            name: Cow::Owned(self.name.as_bytes().to_vec()),
            parent_kind: kind(self.parent),
            parent_name: Cow::Owned(self.parent.as_bytes().to_vec()),
            root,
            launcher,
            catalog,
            program: self
                .program
                .filter(|_| launcher && kind(self.parent) == ParentKind::Wmi)
                .map(|s| s.as_bytes().to_vec()),
        }
    }
}

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
        match tree.observe(&row.facts(), || Row(tag)) {
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
    (found, tree.stats())
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
fn a_launcher_row_settles_early_when_a_detection_runs_through_it() {
    let mut tree: Tree<Row> = Tree::new(Limits::default());
    let cmd = p("cmd.exe", "WmiPrvSE.exe").g(10, WMI).runs("mshta.exe");
    assert_eq!(tree.observe(&cmd.facts(), || Row("cmd")), Observed::Held);
    let child = p("mshta.exe", "cmd.exe").g(11, 10);
    assert!(matches!(
        tree.observe(&child.facts(), || Row("mshta")),
        Observed::Detected(Verdict::Lineage { .. })
    ));
    let drained = tree.drain();
    assert_eq!(drained.len(), 1);
    assert_eq!(drained[0].payload, Row("cmd"));
    assert_eq!(drained[0].verdict, None);
    assert_eq!(tree.held(), 0);
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
    assert_eq!(stats.unlinkable, 1);
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
        let mut f = p("mshta.exe", "cmd.exe").g(1000 + i as u128, 5).facts();
        f.host = Cow::Owned(host.as_bytes().to_vec());
        f.name = Cow::Owned(format!("mshta-{i}.exe").into_bytes());
        facts.push(f);
        let mut f = p("cmd.exe", "cmd.exe").g(5000 + i as u128, 7).facts();
        f.host = Cow::Owned(host.as_bytes().to_vec());
        facts.push(f);
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
