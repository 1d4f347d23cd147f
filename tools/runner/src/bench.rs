//! `tools bench`: what the labs buy, in time and memory, per feature set.
//!
//! Boots each feature set's kernel through the runner with QEMU counting
//! instructions (`-icount shift=0,sleep=off`: one instruction is one
//! nanosecond of guest time, and an idle guest jumps straight to its next
//! timer, so figures repeat exactly), types `bench`, and reads the
//! `BENCH name value unit` lines from the console log. Then one table
//! across the kernels on the terminal, and the same figures as CSV.
//!
//! Figures that include waits for the disk do not repeat exactly: the
//! disk rows, the exec of the large program on a kernel that reads all
//! of its file at exec (more blocks than the buffer cache holds), and the
//! times of the swap rows (their page counts do repeat, nearly).

use std::fmt::Write as _;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::grade::parse_opts;
use crate::matcher;
use crate::runner::{self, Config};
use crate::suites::{Pat, Step, Suite};

pub const USAGE: &str = "\
tools bench --kernel-dir DIR --fs PATH [--set NAME ...] [--cpus N] [--out DIR]
            [--qemu PROGRAM] [--timeout-scale F] [--verbose]
tools bench --from-logs DIR [--set NAME ...] [--out DIR]
  boots DIR/SET/kernel for each SET (default: each of base, lazy, cow,
  lazy,cow, mmap, lazy,mmap, cow,mmap, lazy,cow,mmap, zfod, lazy,cow,zfod,
  demand, lazy,cow,mmap,zfod,demand, swap, lazy,cow,zfod,demand,swap and
  lazy,cow,mmap,zfod,demand,swap that DIR has a kernel for, or with
  --from-logs a log) under QEMU instruction counting,
  runs the user program `bench`, prints one table across the kernels and
  writes OUT/results.csv (the table) and OUT/raw.csv (every figure as
  printed); logs go to OUT/logs/SET/bench.log. The mmap rows need a
  kernel built with mmap, the swap and newcomer rows one built with swap;
  others show `no mmap` or `no swap` there. A set with swap boots with a
  sparse swap disk of 256 MiB, OUT/logs/SET/swap.img, removed after the
  run.
  --cpus N         harts (default 1; with more, another hart's timer can
                   land inside a timed part and the counts stop repeating)
  --out DIR        default target/bench at the workspace root
  --from-logs DIR  no QEMU: tabulate the logs of an earlier run

Exit status: 0 when every kernel ran the whole bench, 1 otherwise, 2 on
bad usage.
";

/// The feature sets, in table order (the lab diff's teaching order),
/// spelled as the Makefile names their kernel directories: the eight sets
/// of lazy, cow and mmap, then zfod (which implies lazy) alone and with
/// cow, then demand alone and with every other lab; then swap alone, with
/// every page-fault lab but mmap, and with every lab.
pub const SETS: [&str; 15] = [
    "base",
    "lazy",
    "cow",
    "lazy,cow",
    "mmap",
    "lazy,mmap",
    "cow,mmap",
    "lazy,cow,mmap",
    "zfod",
    "lazy,cow,zfod",
    "demand",
    "lazy,cow,mmap,zfod,demand",
    "swap",
    "lazy,cow,zfod,demand,swap",
    "lazy,cow,mmap,zfod,demand,swap",
];

/// The QEMU options that make the guest clock count instructions.
pub const ICOUNT: [&str; 2] = ["-icount", "shift=0,sleep=off"];

/// The swap disk of a set with swap: room for the 200 MiB workload
/// beyond what stays in the 128 MiB of RAM.
pub const SWAP_MB: u64 = 256;

/// `bench` gives times in guest nanoseconds; under `-icount shift=0`
/// each instruction takes one.
pub const INSTR_PER_NS: f64 = 1.0;

/// The one step: run `bench` until it says it is done.
pub static SUITE: Suite = Suite {
    name: "bench",
    about: "the benchmark program (make bench)",
    steps: &[
        Step::cmd("bench")
            .expect(&[Pat::Line("BENCH done")])
            .timeout(900),
        // The kernel's own count, which no host's timing changes.
        Step::raw(b"\x10", "^P (idle count)")
            .expect(&[Pat::Like(IDLE_LINE)])
            .timeout(30),
    ],
};

/// The line ^P ends with: how often a hart, about to wait for an
/// interrupt, found a process runnable (see the kernel's `scheduler`).
const IDLE_LINE: &str = "idle: # times a hart went idle with a process runnable";

/// One figure as the program printed it.
#[derive(Debug, Clone, PartialEq)]
pub enum Figure {
    Num(u64),
    /// The kernel could not do it; says what failed (fork, sbrk, exec).
    Failed(String),
    Word(String),
}

/// What one kernel's run printed.
#[derive(Debug, Clone, Default)]
pub struct Run {
    pub set: String,
    /// Name, figure and unit, in the order printed.
    pub figures: Vec<(String, Figure, String)>,
    /// `BENCH done` was seen.
    pub done: bool,
}

impl Run {
    pub fn get(&self, name: &str) -> Option<&Figure> {
        self.figures
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, f, _)| f)
    }

    fn num(&self, name: &str) -> Option<u64> {
        match self.get(name) {
            Some(Figure::Num(n)) => Some(*n),
            _ => None,
        }
    }
}

/// Reads the `BENCH` lines of a console log.
pub fn parse(set: &str, log: &str) -> Run {
    let mut run = Run {
        set: set.to_string(),
        ..Run::default()
    };
    for line in log.lines() {
        if matcher::like(IDLE_LINE, line) {
            if let Some(n) = line.split_whitespace().nth(1).and_then(|n| n.parse().ok()) {
                run.figures
                    .push(("idle.runnable".into(), Figure::Num(n), "times".into()));
            }
            continue;
        }
        let Some(i) = line.find("BENCH ") else {
            continue;
        };
        let mut f = line[i + 6..].split_whitespace();
        let Some(name) = f.next() else {
            continue;
        };
        if name == "done" {
            run.done = true;
            continue;
        }
        let Some(value) = f.next() else {
            continue;
        };
        let rest = f.collect::<Vec<_>>().join(" ");
        let fig = match value.parse() {
            Ok(n) => Figure::Num(n),
            Err(_) if value == "failed" => Figure::Failed(rest.clone()),
            Err(_) => Figure::Word(value.to_string()),
        };
        run.figures.push((name.to_string(), fig, rest));
    }
    run
}

/// How a table row is computed from one run.
#[derive(Debug, Clone, PartialEq)]
enum Metric {
    Pages(String),
    /// A plain count (timer ticks).
    Count(String),
    /// A time in guest ns, shown in instructions.
    Instr(String),
    /// A time divided by the pages written.
    PerPage {
        time: String,
        count: String,
    },
    /// One fault: (first pass - second pass) / pages.
    PerFault(String),
    /// One figure as a percentage of another (both times).
    Percent {
        part: String,
        whole: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Num(f64),
    Text(String),
    Missing,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    Head(String),
    Row {
        id: String,
        label: String,
        unit: &'static str,
        cells: Vec<Cell>,
    },
}

/// `32M` as `32 MiB`, `256K` as `256 KiB`.
fn size(s: &str) -> String {
    if let Some(n) = s.strip_suffix('M') {
        format!("{n} MiB")
    } else if let Some(n) = s.strip_suffix('K') {
        format!("{n} KiB")
    } else {
        s.to_string()
    }
}

/// Whether a set's kernel was built with lab `lab`, by the set's name.
fn has_lab(set: &str, lab: &str) -> bool {
    set.split([',', '-', '+']).any(|f| f == lab)
}

fn has_mmap(run: &Run) -> bool {
    has_lab(&run.set, "mmap")
}

/// The section a figure belongs to, by its name's first part.
fn section(family: &str) -> Option<String> {
    Some(
        match family {
            "boot" => "memory",
            "fork" => "fork + exit + wait of a process whose heap (all written) is",
            "forkexec" => "fork + exec of `echo hi` from a process whose heap is",
            "bigexec" => {
                "fork + exec + exit + wait of a 1 MiB program that reads 3 of the 48 \
                 data pages in its file"
            }
            "fault" => "one page fault (first write minus a rewrite, per page)",
            "disk" => "writing 1 MiB to files (1,024 writes of 1 KiB; one hart)",
            "idle" => {
                "the idle loop over the whole run (the kernel's count, from ^P; \
                 on one hart anything but 0 is a wakeup slept through)"
            }
            f if f.starts_with("swap") => {
                let s = size(&f["swap".len()..]);
                return Some(format!(
                    "sbrk of {s} on the 128 MiB machine, then a store to every page \
                     and two loads of every page (swap disk; includes its waits)"
                ));
            }
            f if f.starts_with("newcomer") => {
                let s = size(&f["newcomer".len()..]);
                return Some(format!(
                    "a newcomer of {s}: sbrk and a store to every page (pass 1, timed as \
                     one), then passes 2-4, which check and rewrite every page; alone, and \
                     beside an idle process that has written all of its pages (swap disk; \
                     includes its waits)"
                ));
            }
            f if f.starts_with("sbrkread") => {
                return Some(format!("{} then reading", sbrk_title(f)))
            }
            f if f.starts_with("sbrk") => {
                return Some(format!("{} then writing to", sbrk_title(f)))
            }
            f if f.starts_with("mmap") => {
                let s = size(&f["mmap".len()..]);
                return Some(format!("a {s} file, read"));
            }
            _ => return None,
        }
        .to_string(),
    )
}

/// `sbrk64M` (or `sbrkread64M`) as `sbrk of 64 MiB,`.
fn sbrk_title(family: &str) -> String {
    let s = family.trim_start_matches("sbrk").trim_start_matches("read");
    format!("sbrk of {},", size(s))
}

fn pattern(p: &str) -> String {
    match p {
        "all" => "every page".into(),
        "none" => "no page".into(),
        n => format!("every {n} page"),
    }
}

/// A row's id, label, unit and how its cells are computed.
type Row = (String, String, &'static str, Metric);

/// The rows a figure's name gives (none for helper figures).
fn rows_for(name: &str) -> Vec<Row> {
    let parts: Vec<&str> = name.split('.').collect();
    let own = || name.to_string();
    match parts[..] {
        ["boot", "free"] => vec![(
            "boot.free".into(),
            "free pages after boot".into(),
            "pages",
            Metric::Pages(own()),
        )],
        ["fork", s, "time"] => vec![(
            format!("fork.{s}.instructions"),
            format!("{}: instructions", size(s)),
            "instructions",
            Metric::Instr(own()),
        )],
        ["fork", s, "pages"] => vec![(
            format!("fork.{s}.pages"),
            format!("{}: pages while the child lives", size(s)),
            "pages",
            Metric::Pages(own()),
        )],
        ["forkexec", s, "time"] => vec![(
            format!("forkexec.{s}.instructions"),
            format!("{}: instructions", size(s)),
            "instructions",
            Metric::Instr(own()),
        )],
        ["bigexec", "time"] => vec![(
            "bigexec.instructions".into(),
            "instructions (the fastest of 3 runs)".into(),
            "instructions",
            Metric::Instr(own()),
        )],
        ["bigexec", "ticks"] => vec![(
            "bigexec.ticks".into(),
            "timer ticks in that run (waits for the disk)".into(),
            "ticks",
            Metric::Count(own()),
        )],
        ["bigexec", "pages"] => vec![(
            "bigexec.pages".into(),
            "pages while it runs".into(),
            "pages",
            Metric::Pages(own()),
        )],
        [f, p, "time"] if f.starts_with("sbrkread") => vec![
            (
                format!("{f}.{p}.instructions"),
                format!("{}: instructions", pattern(p)),
                "instructions",
                Metric::Instr(own()),
            ),
            (
                format!("{f}.{p}.instructions_per_page"),
                format!("{}: per page read", pattern(p)),
                "instructions",
                Metric::PerPage {
                    time: own(),
                    count: format!("{f}.{p}.touched"),
                },
            ),
        ],
        [f, p, "time"] if f.starts_with("sbrk") => {
            let mut v = vec![(
                format!("{f}.{p}.instructions"),
                format!("{}: instructions", pattern(p)),
                "instructions",
                Metric::Instr(own()),
            )];
            if p != "none" {
                v.push((
                    format!("{f}.{p}.instructions_per_page"),
                    format!("{}: per page written", pattern(p)),
                    "instructions",
                    Metric::PerPage {
                        time: own(),
                        count: format!("{f}.{p}.touched"),
                    },
                ));
            }
            v
        }
        [f, p, "pages"] if f.starts_with("sbrk") => vec![(
            format!("{f}.{p}.pages"),
            format!("{}: pages", pattern(p)),
            "pages",
            Metric::Pages(own()),
        )],
        ["idle", "runnable"] => vec![(
            own(),
            "times a hart went idle with a process runnable".into(),
            "times",
            Metric::Count(own()),
        )],
        ["disk", w, "ticks"] => vec![(
            format!("disk.{w}.ticks"),
            "timer ticks (vary with the host's disk)".into(),
            "ticks",
            Metric::Count(own()),
        )],
        ["disk", w, "time"] => vec![(
            format!("disk.{w}.instructions"),
            "guest time (instructions; vary with the host's disk)".into(),
            "instructions",
            Metric::Instr(own()),
        )],
        ["fault", w, "first"] => vec![(
            format!("fault.{w}.instructions"),
            format!(
                "{} fault: instructions",
                match w {
                    "cow" => "COW",
                    "mmap" => "mmap (file page, cached)",
                    "demand" => "demand (program page, cached)",
                    w => w,
                }
            ),
            "instructions",
            Metric::PerFault(w.to_string()),
        )],
        [f, p, what] if f.starts_with("swap") => swap_rows(name, f, p, what),
        [f, run, phase, what] if f.starts_with("newcomer") => {
            newcomer_rows(name, f, run, phase, what)
        }
        [f, p, "pages"] if f.starts_with("mmap") => vec![(
            format!("{f}.{p}.pages"),
            match p {
                "read" => "with read(), all of it into the heap: pages".to_string(),
                p => format!("through mmap, {}: pages", pattern(p)),
            },
            "pages",
            Metric::Pages(own()),
        )],
        _ => Vec::new(),
    }
}

/// A swap phase's rows: its time, the swapstat deltas, and for a load
/// pass the time per page read back (each one a swap fault).
fn swap_rows(name: &str, family: &str, phase: &str, what: &str) -> Vec<Row> {
    let pass = match phase {
        "sbrk" => "sbrk",
        "store" => "store to every page",
        "load1" => "1st load of every page",
        "load2" => "2nd load of every page",
        _ => return Vec::new(),
    };
    let count = |label: &str| {
        vec![(
            name.to_string(),
            format!("{pass}: {label}"),
            "pages",
            Metric::Pages(name.to_string()),
        )]
    };
    match what {
        "time" => vec![(
            format!("{family}.{phase}.instructions"),
            format!("{pass}: instructions"),
            "instructions",
            Metric::Instr(name.to_string()),
        )],
        "outs" => count("pages evicted"),
        "writes" => count("pages written"),
        "ticks" => vec![(
            name.to_string(),
            format!("{pass}: timer ticks"),
            "ticks",
            Metric::Count(name.to_string()),
        )],
        "ins" => {
            let mut v = count("pages read back");
            // Last in the pass, as it needs both the time and this count.
            if phase.starts_with("load") {
                v.push((
                    format!("{family}.{phase}.instructions_per_in"),
                    format!("{pass}: per page read back"),
                    "instructions",
                    Metric::PerPage {
                        time: format!("{family}.{phase}.time"),
                        count: name.to_string(),
                    },
                ));
            }
            v
        }
        _ => Vec::new(),
    }
}

/// A newcomer phase's rows: its time, timer ticks and swapstat deltas,
/// and beside the hog, passes 2-4 as a percentage of the same alone (the
/// issue asks for no more than 200).
fn newcomer_rows(name: &str, family: &str, run: &str, phase: &str, what: &str) -> Vec<Row> {
    let who = match run {
        "alone" => "alone".to_string(),
        r if r.starts_with("beside") => format!("beside {}", size(&r["beside".len()..])),
        _ => return Vec::new(),
    };
    let pass = match phase {
        "first" => "pass 1",
        "later" => "passes 2-4",
        _ => return Vec::new(),
    };
    let row = |label: &str, unit, metric| {
        (
            name.to_string(),
            format!("{who}, {pass}: {label}"),
            unit,
            metric,
        )
    };
    match what {
        "time" => {
            let mut v = vec![(
                format!("{family}.{run}.{phase}.instructions"),
                format!("{who}, {pass}: instructions"),
                "instructions",
                Metric::Instr(name.to_string()),
            )];
            if run != "alone" && phase == "later" {
                v.push((
                    format!("{family}.{run}.{phase}.percent_of_alone"),
                    format!("{who}, {pass}: % of alone"),
                    "percent",
                    Metric::Percent {
                        part: name.to_string(),
                        whole: format!("{family}.alone.{phase}.time"),
                    },
                ));
            }
            v
        }
        "ticks" => vec![row("timer ticks", "ticks", Metric::Count(name.to_string()))],
        "outs" => vec![row(
            "pages evicted",
            "pages",
            Metric::Pages(name.to_string()),
        )],
        "ins" => vec![row(
            "pages read back",
            "pages",
            Metric::Pages(name.to_string()),
        )],
        _ => Vec::new(),
    }
}

/// A fault costs thousands of instructions; less means none was taken.
const NO_FAULT_BELOW: f64 = 50.0;

fn cell(m: &Metric, run: &Run) -> Cell {
    let failed = |name: &str| match run.get(name) {
        // What a kernel without the lab says: no failure of its.
        Some(Figure::Failed(what)) if what == "mmap" && !has_mmap(run) => {
            Some(Cell::Text("no mmap".into()))
        }
        Some(Figure::Failed(what)) if what == "swap" && !has_lab(&run.set, "swap") => {
            Some(Cell::Text("no swap".into()))
        }
        Some(Figure::Failed(what)) => Some(Cell::Text(format!("{what} failed"))),
        _ => None,
    };
    match m {
        Metric::Pages(n) | Metric::Count(n) => {
            failed(n).unwrap_or_else(|| run.num(n).map_or(Cell::Missing, |v| Cell::Num(v as f64)))
        }
        Metric::Instr(n) => failed(n).unwrap_or_else(|| {
            run.num(n)
                .map_or(Cell::Missing, |v| Cell::Num(v as f64 * INSTR_PER_NS))
        }),
        Metric::PerPage { time, count } => {
            failed(time).unwrap_or_else(|| match (run.num(time), run.num(count)) {
                (Some(t), Some(c)) if c > 0 => Cell::Num(t as f64 * INSTR_PER_NS / c as f64),
                _ => Cell::Missing,
            })
        }
        Metric::Percent { part, whole } => {
            failed(part).or_else(|| failed(whole)).unwrap_or_else(|| {
                match (run.num(part), run.num(whole)) {
                    (Some(p), Some(w)) if w > 0 => Cell::Num(100.0 * p as f64 / w as f64),
                    _ => Cell::Missing,
                }
            })
        }
        Metric::PerFault(w) => {
            if let Some(c) = failed(&format!("fault.{w}.first")) {
                return c;
            }
            let get = |part: &str| run.num(&format!("fault.{w}.{part}"));
            match (get("first"), get("again"), get("count")) {
                (Some(a), Some(b), Some(c)) if c > 0 => {
                    let per = (a as f64 - b as f64) * INSTR_PER_NS / c as f64;
                    if per.abs() < NO_FAULT_BELOW {
                        Cell::Text("no fault".into())
                    } else {
                        Cell::Num(per)
                    }
                }
                _ => Cell::Missing,
            }
        }
    }
}

/// The table: section heads and rows, one cell per run.
pub fn table(runs: &[Run]) -> Vec<Line> {
    // Figure names in the order they were first printed by any run.
    let mut names: Vec<&str> = Vec::new();
    for r in runs {
        for (n, _, _) in &r.figures {
            if !names.contains(&n.as_str()) {
                names.push(n);
            }
        }
    }
    let mut lines = Vec::new();
    let mut family = "";
    for name in names {
        let rows = rows_for(name);
        if rows.is_empty() {
            continue;
        }
        let fam = name.split('.').next().unwrap_or(name);
        if fam != family {
            family = fam;
            if let Some(head) = section(fam) {
                lines.push(Line::Head(head));
            }
        }
        for (id, label, unit, metric) in rows {
            let cells = runs.iter().map(|r| cell(&metric, r)).collect();
            lines.push(Line::Row {
                id,
                label,
                unit,
                cells,
            });
        }
    }
    lines
}

/// 1234567 as `1,234,567`.
pub fn group(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut s = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            s.push(',');
        }
        s.push(c);
    }
    if n < 0 {
        s.insert(0, '-');
    }
    s
}

fn show(c: &Cell) -> String {
    match c {
        Cell::Num(v) => group(v.round() as i64),
        Cell::Text(t) => t.clone(),
        Cell::Missing => "-".into(),
    }
}

const LABEL_W: usize = 46;
const CELL_W: usize = 14;
/// A column with a space before it, so a wider one cannot run into the next.
const COL_W: usize = CELL_W - 1;

/// The table as text for the terminal.
pub fn render(runs: &[Run], lines: &[Line]) -> String {
    let mut s = String::new();
    let _ = write!(s, "{:LABEL_W$}", "");
    for r in runs {
        let _ = write!(s, " {:>COL_W$}", r.set);
    }
    s.push('\n');
    for line in lines {
        match line {
            Line::Head(h) => {
                let _ = writeln!(s, "{h}");
            }
            Line::Row { label, cells, .. } => {
                let _ = write!(s, "  {:w$}", label, w = LABEL_W - 2);
                for c in cells {
                    let _ = write!(s, " {:>COL_W$}", show(c));
                }
                s.push('\n');
            }
        }
    }
    s
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn csv_value(c: &Cell) -> String {
    match c {
        Cell::Num(v) if v.fract() == 0.0 => format!("{v:.0}"),
        Cell::Num(v) => format!("{v:.1}"),
        Cell::Text(t) => csv_field(t),
        Cell::Missing => String::new(),
    }
}

/// The table as CSV: `metric,description,unit,` then one column per kernel.
pub fn csv(runs: &[Run], lines: &[Line]) -> String {
    let mut s = String::from("metric,description,unit");
    for r in runs {
        s.push(',');
        s.push_str(&csv_field(&r.set));
    }
    s.push('\n');
    let mut head = String::new();
    for line in lines {
        match line {
            Line::Head(h) => head = h.clone(),
            Line::Row {
                id,
                label,
                unit,
                cells,
            } => {
                let desc = format!("{head}: {label}");
                let _ = write!(s, "{},{},{unit}", csv_field(id), csv_field(&desc));
                for c in cells {
                    s.push(',');
                    s.push_str(&csv_value(c));
                }
                s.push('\n');
            }
        }
    }
    s
}

/// Every figure as printed: `kernel,name,value,unit`.
pub fn raw_csv(runs: &[Run]) -> String {
    let mut s = String::from("kernel,name,value,unit\n");
    for r in runs {
        for (name, fig, unit) in &r.figures {
            let (value, unit) = match fig {
                Figure::Num(n) => (n.to_string(), unit.clone()),
                Figure::Failed(what) => ("failed".to_string(), what.clone()),
                Figure::Word(w) => (w.clone(), unit.clone()),
            };
            let _ = writeln!(
                s,
                "{},{},{},{}",
                csv_field(&r.set),
                csv_field(name),
                csv_field(&value),
                csv_field(&unit)
            );
        }
    }
    s
}

fn find_run<'a>(runs: &'a [Run], set: &str) -> Option<&'a Run> {
    runs.iter().find(|r| r.set == set)
}

fn instr(run: &Run, name: &str) -> Option<f64> {
    run.num(name).map(|t| t as f64 * INSTR_PER_NS)
}

/// A figure for prose: a number of instructions, or what failed.
fn outcome(run: &Run, time: &str, pages: &str) -> String {
    match (run.get(time), instr(run, time), run.num(pages)) {
        (Some(Figure::Failed(what)), _, _) => format!("{what} failed"),
        (_, Some(i), Some(p)) => format!(
            "{} instructions, {} pages",
            group(i as i64),
            group(p as i64)
        ),
        (_, Some(i), None) => format!("{} instructions", group(i as i64)),
        _ => "no figure".into(),
    }
}

/// The figures the issue asks to see, in sentences.
pub fn key_figures(runs: &[Run]) -> Vec<String> {
    let mut v = Vec::new();
    let base = find_run(runs, "base");
    let cow = find_run(runs, "cow");
    let lazy = find_run(runs, "lazy");
    if let (Some(b), Some(c)) = (base, cow) {
        let (t, p) = ("fork.32M.time", "fork.32M.pages");
        if let (Some(bi), Some(ci), Some(bp), Some(cp)) =
            (instr(b, t), instr(c, t), b.num(p), c.num(p))
        {
            v.push(format!(
                "COW fork of a 32 MiB process: {} instructions vs {} on base \
                 ({:.1}x faster); {} pages vs {} ({:.0}x fewer)",
                group(ci as i64),
                group(bi as i64),
                bi / ci.max(1.0),
                group(cp as i64),
                group(bp as i64),
                bp as f64 / (cp.max(1)) as f64
            ));
        }
    }
    let at64: Vec<String> = runs
        .iter()
        .filter(|r| r.get("fork.64M.time").is_some())
        .map(|r| {
            format!(
                "{}: {}",
                r.set,
                outcome(r, "fork.64M.time", "fork.64M.pages")
            )
        })
        .collect();
    if !at64.is_empty() {
        v.push(format!("fork of a 64 MiB process: {}", at64.join("; ")));
    }
    if let (Some(l), Some(b)) = (lazy, base) {
        let (t, p) = ("sbrk64M.none.time", "sbrk64M.none.pages");
        if l.get(t).is_some() && b.get(t).is_some() {
            v.push(format!(
                "sbrk of 64 MiB, no page written: lazy {}; base {}",
                outcome(l, t, p),
                outcome(b, t, p)
            ));
        }
    }
    // Fresh heap only read: base maps it all at sbrk, lazy a page per load
    // fault, zfod the one zero page.
    let (t, p) = ("sbrkread64M.all.time", "sbrkread64M.all.pages");
    let read: Vec<String> = ["base", "lazy", "zfod"]
        .into_iter()
        .filter_map(|s| find_run(runs, s))
        .filter(|r| r.get(t).is_some())
        .map(|r| format!("{} {}", r.set, outcome(r, t, p)))
        .collect();
    if read.len() > 1 {
        v.push(format!(
            "sbrk of 64 MiB, then a read of every page: {}",
            read.join("; ")
        ));
    }
    let (t, p) = ("bigexec.time", "bigexec.pages");
    if let (Some(d), Some(b)) = (find_run(runs, "demand"), base) {
        if d.get(t).is_some() && b.get(t).is_some() {
            v.push(format!(
                "exec of a 1 MiB program that reads 3 of its 48 data pages: demand {}; base {}",
                outcome(d, t, p),
                outcome(b, t, p)
            ));
        }
    }
    let fault = |set: &str, w: &str| {
        let r = find_run(runs, set)?;
        match cell(&Metric::PerFault(w.into()), r) {
            Cell::Num(n) => Some(format!(
                "{} instructions ({set} kernel)",
                group(n.round() as i64)
            )),
            _ => None,
        }
    };
    let mut f = Vec::new();
    if let Some(s) = fault("lazy", "lazy").or_else(|| fault("lazy,cow", "lazy")) {
        f.push(format!("one lazy fault: {s}"));
    }
    if let Some(s) = fault("cow", "cow").or_else(|| fault("lazy,cow", "cow")) {
        f.push(format!("one COW fault: {s}"));
    }
    if let Some(s) = runs
        .iter()
        .filter(|r| has_mmap(r))
        .find_map(|r| fault(&r.set, "mmap"))
    {
        f.push(format!("one mmap fault: {s}"));
    }
    if let Some(s) = runs
        .iter()
        .filter(|r| has_lab(&r.set, "demand"))
        .find_map(|r| fault(&r.set, "demand"))
    {
        f.push(format!("one demand fault: {s}"));
    }
    if !f.is_empty() {
        v.push(f.join("; "));
    }
    // Issue 28 asks for passes 2-4 beside the hog within 2x of alone.
    let (alone, beside) = (
        "newcomer16M.alone.later.time",
        "newcomer16M.beside150M.later.time",
    );
    let nc: Vec<String> = runs
        .iter()
        .filter_map(|r| {
            let (a, b) = (instr(r, alone)?, instr(r, beside)?);
            Some(format!(
                "{} {} instructions vs {} alone ({:.0}%)",
                r.set,
                group(b as i64),
                group(a as i64),
                100.0 * b / a.max(1.0)
            ))
        })
        .collect();
    if !nc.is_empty() {
        v.push(format!(
            "a 16 MiB newcomer's passes 2-4 beside an idle 150 MiB process: {}",
            nc.join("; ")
        ));
    }
    let (mapped, read) = ("mmap256K.16th.pages", "mmap256K.read.pages");
    if let Some((r, m, p)) = runs
        .iter()
        .filter(|r| has_mmap(r))
        .find_map(|r| Some((r, r.num(mapped)?, r.num(read)?)))
    {
        v.push(format!(
            "a 256 KiB file, one page in 16 read: {} pages through mmap vs {} \
             read() whole ({} kernel)",
            group(m as i64),
            group(p as i64),
            r.set
        ));
    }
    v
}

/// The clock each run used and how the check loop came out; said once
/// when every kernel agrees.
pub fn clock_note(runs: &[Run]) -> String {
    let says = |r: &Run| {
        let clock = match r.get("clock") {
            Some(Figure::Word(w)) => w.as_str(),
            _ => "no clock",
        };
        match (r.num("calib.loops"), r.num("calib.time")) {
            (Some(l), Some(t)) => format!(
                "{clock}; a loop of {} instructions took {} ns",
                group(2 * l as i64 + 1),
                group(t as i64)
            ),
            _ => clock.to_string(),
        }
    };
    let all: Vec<String> = runs.iter().map(says).collect();
    if all.windows(2).all(|w| w[0] == w[1]) {
        if let Some(first) = all.first() {
            return format!("clock check (every kernel): {first}");
        }
    }
    let each: Vec<String> = runs
        .iter()
        .zip(&all)
        .map(|(r, s)| format!("{}: {s}", r.set))
        .collect();
    format!("clock check: {}", each.join("; "))
}

fn minutes(secs: f64) -> String {
    if secs < 60.0 {
        format!("{secs:.0} s")
    } else {
        format!("{} min {:.0} s", (secs / 60.0) as u64, secs % 60.0)
    }
}

/// `tools bench ...`; returns the exit status.
pub fn run(args: &[String], out: &mut dyn Write) -> Result<i32, String> {
    let o = parse_opts(
        args,
        &[
            "--kernel-dir",
            "--fs",
            "--set",
            "--cpus",
            "--out",
            "--qemu",
            "--timeout-scale",
            "--from-logs",
        ],
    )?;
    if o.help {
        out.write_all(USAGE.as_bytes()).map_err(|e| e.to_string())?;
        return Ok(0);
    }
    // Where each set's file is: DIR/SET/kernel, or the logs' DIR/SET/bench.log.
    let (dir, file) = match o.get("--from-logs") {
        Some(logs) => (PathBuf::from(logs), "bench.log"),
        None => (
            PathBuf::from(o.get("--kernel-dir").ok_or("--kernel-dir is required")?),
            "kernel",
        ),
    };
    let sets: Vec<String> = match o.all("--set") {
        v if v.is_empty() => default_sets(&dir, file)?,
        v => v.into_iter().map(String::from).collect(),
    };
    let out_dir = o.get("--out").map_or_else(
        || runner::default_log_dir().with_file_name("bench"),
        PathBuf::from,
    );
    let io = |e: std::io::Error| e.to_string();
    let t0 = Instant::now();
    let mut runs = Vec::new();
    if o.get("--from-logs").is_some() {
        for set in &sets {
            let log = read_log(&dir.join(set).join(file));
            runs.push(parse(set, &log));
        }
    } else {
        let fs_img = o.file("--fs")?;
        let kernels = sets
            .iter()
            .map(|s| {
                let k = dir.join(s).join(file);
                if k.is_file() {
                    Ok(k)
                } else {
                    Err(format!("{} is not a file", k.display()))
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let cpus = o.cpus(1)?;
        let log_dir = out_dir.join("logs");
        for (set, kernel) in sets.iter().zip(kernels) {
            let mut qemu_extra: Vec<_> = ICOUNT.iter().map(Into::into).collect();
            // A swap kernel without its disk would report no swap at all.
            let swap = has_lab(set, "swap").then(|| log_dir.join(set).join("swap.img"));
            if let Some(img) = &swap {
                crate::qemu::make_swap(img, SWAP_MB)?;
                qemu_extra.extend(crate::qemu::swap_args(img));
            }
            let cfg = Config {
                kernel,
                fs: fs_img.clone(),
                cpus,
                label: set.clone(),
                suites: vec![&SUITE],
                log_dir: log_dir.clone(),
                qemu: o.qemu(),
                timeout_scale: o.timeout_scale()?,
                verbose: o.verbose,
                qemu_extra,
                kstack_check: false,
            };
            runs.push(run_one(&cfg, out)?);
            // Up to 256 MiB of pages nobody reads again: not worth the space.
            if let Some(img) = swap {
                let _ = fs::remove_file(img);
            }
        }
    }

    let lines = table(&runs);
    let cpus = o.get("--cpus").unwrap_or("1");
    writeln!(
        out,
        "\nbench: instructions (guest ns under QEMU -icount shift=0) and free \
         4 KiB pages; cpus={cpus}"
    )
    .map_err(io)?;
    write!(out, "{}", render(&runs, &lines)).map_err(io)?;
    writeln!(out, "\nkey figures").map_err(io)?;
    for k in key_figures(&runs) {
        writeln!(out, "  {k}").map_err(io)?;
    }
    writeln!(out, "{}", clock_note(&runs)).map_err(io)?;

    fs::create_dir_all(&out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let results = out_dir.join("results.csv");
    let raw = out_dir.join("raw.csv");
    fs::write(&results, csv(&runs, &lines)).map_err(|e| format!("{}: {e}", results.display()))?;
    fs::write(&raw, raw_csv(&runs)).map_err(|e| format!("{}: {e}", raw.display()))?;
    writeln!(
        out,
        "wrote {} and {}; {} kernel(s) in {}",
        results.display(),
        raw.display(),
        runs.len(),
        minutes(t0.elapsed().as_secs_f64())
    )
    .map_err(io)?;
    let incomplete: Vec<&str> = runs
        .iter()
        .filter(|r| !r.done)
        .map(|r| r.set.as_str())
        .collect();
    if !incomplete.is_empty() {
        writeln!(out, "incomplete: {}", incomplete.join(", ")).map_err(io)?;
        return Ok(1);
    }
    Ok(0)
}

/// The sets of `SETS` that `dir` has a `file` for (`DIR/SET/FILE`), in
/// table order: the Makefile builds only the kernels of its FEATURE_SETS.
fn default_sets(dir: &Path, file: &str) -> Result<Vec<String>, String> {
    let found: Vec<String> = SETS
        .iter()
        .filter(|s| dir.join(s).join(file).is_file())
        .map(|s| s.to_string())
        .collect();
    if found.is_empty() {
        return Err(format!(
            "{} has no SET/{file} for any SET of {} (or name them with --set)",
            dir.display(),
            SETS.join(" ")
        ));
    }
    Ok(found)
}

fn read_log(path: &Path) -> String {
    fs::read(path)
        .map(|b| matcher::normalize(&b))
        .unwrap_or_default()
}

/// Boots one kernel, runs bench, and reads its log.
fn run_one(cfg: &Config, out: &mut dyn Write) -> Result<Run, String> {
    let io = |e: std::io::Error| e.to_string();
    let log_path = cfg.log_dir.join(&cfg.label).join("bench.log");
    // An old log must not stand in for a run that did not start.
    let _ = fs::remove_file(&log_path);
    write!(out, "[{}] bench ... ", cfg.label).map_err(io)?;
    out.flush().map_err(io)?;
    let t0 = Instant::now();
    let mut sink = Vec::new();
    let progress: &mut dyn Write = if cfg.verbose { &mut *out } else { &mut sink };
    let tally = runner::run(cfg, progress).map_err(|e| format!("i/o error: {e}"))?;
    let took = minutes(t0.elapsed().as_secs_f64());
    if tally.failed.is_empty() {
        writeln!(out, "done ({took})").map_err(io)?;
    } else {
        writeln!(out, "FAILED ({took})").map_err(io)?;
        out.write_all(&sink).map_err(io)?;
    }
    Ok(parse(&cfg.label, &read_log(&log_path)))
}
