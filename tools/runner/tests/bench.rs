//! The bench table from console logs: parsing, cells, CSV, key figures.

use tools::bench::{
    clock_note, csv, group, key_figures, parse, raw_csv, render, table, Cell, Figure, Line, SUITE,
};
use tools::matcher;

/// A log as the runner keeps it, around the program's lines.
fn log(lines: &str) -> String {
    format!("# tools: qemu ...\nxv6 kernel is booting\n$ bench\n{lines}BENCH done\n$ \n")
}

const BASE: &str = "BENCH clock rdtime\nBENCH boot.free 32457 pages\n\
BENCH calib.loops 1000000 loops\nBENCH calib.time 2000002 ns\n\
BENCH fork.32M.time 48834100 ns\nBENCH fork.32M.pages 8204 pages\n\
BENCH fork.64M.time failed fork\nBENCH fork.64M.pages failed fork\n\
BENCH forkexec.0M.time 295500 ns\n\
BENCH sbrk64M.all.time 28119800 ns\nBENCH sbrk64M.all.touched 16384 pages\n\
BENCH sbrk64M.all.pages 16384 pages\n\
BENCH sbrk64M.none.time 28037900 ns\nBENCH sbrk64M.none.touched 0 pages\n\
BENCH sbrk64M.none.pages 16384 pages\n\
BENCH fault.lazy.first 4100 ns\nBENCH fault.lazy.again 4100 ns\nBENCH fault.lazy.count 1024 pages\n\
BENCH fault.cow.first 4200 ns\nBENCH fault.cow.again 4100 ns\nBENCH fault.cow.count 1024 pages\n";

const COW: &str = "BENCH clock rdtime\nBENCH boot.free 32457 pages\n\
BENCH calib.loops 1000000 loops\nBENCH calib.time 2000002 ns\n\
BENCH fork.32M.time 1739600 ns\nBENCH fork.32M.pages 23 pages\n\
BENCH fork.64M.time 3415400 ns\n\
usertrap(): unexpected scause 0xf pid=29\n\
BENCH fork.64M.pages 39 pages\n\
BENCH forkexec.0M.time 268000 ns\n\
BENCH sbrk64M.all.time 28119800 ns\nBENCH sbrk64M.all.touched 16384 pages\n\
BENCH sbrk64M.all.pages 16384 pages\n\
BENCH sbrk64M.none.time 28037900 ns\nBENCH sbrk64M.none.touched 0 pages\n\
BENCH sbrk64M.none.pages 16384 pages\n\
BENCH fault.lazy.first 4100 ns\nBENCH fault.lazy.again 4100 ns\nBENCH fault.lazy.count 1024 pages\n\
BENCH fault.cow.first 4846600 ns\nBENCH fault.cow.again 4200 ns\nBENCH fault.cow.count 1024 pages\n";

const LAZY: &str = "BENCH clock rdtime\nBENCH boot.free 32458 pages\n\
BENCH sbrk64M.none.time 700 ns\nBENCH sbrk64M.none.touched 0 pages\n\
BENCH sbrk64M.none.pages 0 pages\n\
BENCH fault.lazy.first 2158800 ns\nBENCH fault.lazy.again 4100 ns\nBENCH fault.lazy.count 1024 pages\n";

fn row<'a>(lines: &'a [Line], id: &str) -> &'a [Cell] {
    lines
        .iter()
        .find_map(|l| match l {
            Line::Row { id: i, cells, .. } if i == id => Some(cells.as_slice()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no row {id}"))
}

#[test]
fn parses_figures_and_outcomes() {
    let r = parse("cow", &log(COW));
    assert!(r.done);
    assert_eq!(r.get("clock"), Some(&Figure::Word("rdtime".into())));
    assert_eq!(r.get("fork.64M.pages"), Some(&Figure::Num(39)));
    let b = parse("base", &log(BASE));
    assert_eq!(b.get("fork.64M.time"), Some(&Figure::Failed("fork".into())));
    // A run cut short has no `BENCH done`.
    let cut = parse("lazy", "BENCH boot.free 1 pages\n");
    assert!(!cut.done);
}

#[test]
fn table_cells() {
    let runs = [
        parse("base", &log(BASE)),
        parse("lazy", &log(LAZY)),
        parse("cow", &log(COW)),
    ];
    let lines = table(&runs);
    assert_eq!(
        row(&lines, "fork.32M.instructions"),
        [
            Cell::Num(48_834_100.0),
            Cell::Missing,
            Cell::Num(1_739_600.0)
        ]
    );
    assert_eq!(
        row(&lines, "fork.64M.pages"),
        [
            Cell::Text("fork failed".into()),
            Cell::Missing,
            Cell::Num(39.0)
        ]
    );
    // Per page written: 28,119,800 instructions over 16,384 pages.
    match row(&lines, "sbrk64M.all.instructions_per_page")[0] {
        Cell::Num(v) => assert!((v - 1716.3).abs() < 0.1, "{v}"),
        ref c => panic!("{c:?}"),
    }
    // A fault is the first pass minus the second, per page.
    assert_eq!(
        row(&lines, "fault.lazy.instructions"),
        [
            Cell::Text("no fault".into()),
            Cell::Num((21588.0 - 41.0) * 100.0 / 1024.0),
            Cell::Text("no fault".into())
        ]
    );
    assert_eq!(
        row(&lines, "fault.cow.instructions")[2],
        Cell::Num((48466.0 - 42.0) * 100.0 / 1024.0)
    );
    // Helper figures make no rows.
    assert!(!lines
        .iter()
        .any(|l| matches!(l, Line::Row { id, .. } if id.contains("calib"))));

    let text = render(&runs, &lines);
    let head = text.lines().next().unwrap();
    assert!(
        head.trim_start().starts_with("base") && head.ends_with("cow"),
        "{head}"
    );
    assert!(text.contains("\nfork + exit + wait"), "{text}");
    let l = text
        .lines()
        .find(|l| l.starts_with("  64 MiB: pages while the child lives"))
        .unwrap();
    assert!(
        l.ends_with("fork failed             -            39"),
        "{l:?}"
    );
}

#[test]
fn csv_files() {
    let runs = [parse("base", &log(BASE)), parse("lazy,cow", &log(COW))];
    let lines = table(&runs);
    let c = csv(&runs, &lines);
    let mut rows = c.lines();
    assert_eq!(
        rows.next(),
        Some("metric,description,unit,base,\"lazy,cow\"")
    );
    assert!(
        c.contains(
            "\nfork.32M.instructions,fork + exit + wait of a process whose heap (all written) is: \
         32 MiB: instructions,instructions,48834100,1739600\n"
        ),
        "{c}"
    );
    assert!(
        c.contains("\nsbrk64M.all.pages,\"sbrk of 64 MiB, then"),
        "{c}"
    );
    assert!(c.contains(",pages,fork failed,39\n"), "{c}");
    assert!(c.contains("\nfault.cow.instructions,"), "{c}");
    let r = raw_csv(&runs);
    assert!(
        r.starts_with("kernel,name,value,unit\nbase,clock,rdtime,\n"),
        "{r}"
    );
    assert!(r.contains("\nbase,fork.64M.time,failed,fork\n"), "{r}");
    assert!(
        r.contains("\n\"lazy,cow\",fork.32M.time,1739600,ns\n"),
        "{r}"
    );
}

#[test]
fn key_figures_read_as_sentences() {
    let runs = [
        parse("base", &log(BASE)),
        parse("lazy", &log(LAZY)),
        parse("cow", &log(COW)),
    ];
    let k = key_figures(&runs).join("\n");
    assert!(
        k.contains("COW fork of a 32 MiB process: 1,739,600 instructions vs 48,834,100 on base (28.1x faster); 23 pages vs 8,204 (357x fewer)"),
        "{k}"
    );
    assert!(
        k.contains(
            "fork of a 64 MiB process: base: fork failed; cow: 3,415,400 instructions, 39 pages"
        ),
        "{k}"
    );
    assert!(
        k.contains("sbrk of 64 MiB, no page written: lazy 700 instructions, 0 pages; base 28,037,900 instructions, 16,384 pages"),
        "{k}"
    );
    assert!(k.contains("one lazy fault: 2,104 instructions (lazy kernel); one COW fault: 4,729 instructions (cow kernel)"), "{k}");
    assert_eq!(
        clock_note(&runs[..1]),
        "clock check (every kernel): rdtime; a loop of 2,000,001 instructions took 2,000,002 ns"
    );
    // LAZY has no check loop, so each kernel is named.
    assert!(clock_note(&runs).starts_with("clock check: base: rdtime; a loop"));
    assert_eq!(group(-1234567), "-1,234,567");
    assert_eq!(group(999), "999");
}

#[test]
fn from_logs_writes_table_and_csv() {
    let dir = std::env::temp_dir().join(format!("bench-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (set, lines) in [("base", BASE), ("cow", COW)] {
        let d = dir.join("logs").join(set);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("bench.log"), log(lines)).unwrap();
    }
    let args = |sets: &[&str]| -> Vec<String> {
        let mut a = vec!["bench".to_string(), "--from-logs".into()];
        a.push(dir.join("logs").to_string_lossy().into());
        a.push("--out".into());
        a.push(dir.to_string_lossy().into());
        for s in sets {
            a.push("--set".into());
            a.push(s.to_string());
        }
        a
    };
    let mut out = Vec::new();
    assert_eq!(tools::cli::main_with(&args(&["base", "cow"]), &mut out), 0);
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("key figures\n  COW fork of a 32 MiB process"),
        "{text}"
    );
    let results = std::fs::read_to_string(dir.join("results.csv")).unwrap();
    assert!(
        results.starts_with("metric,description,unit,base,cow\n"),
        "{results}"
    );
    assert!(std::fs::read_to_string(dir.join("raw.csv"))
        .unwrap()
        .contains("cow,fork.64M.pages,39,pages"));
    // A kernel whose log is missing leaves an empty column and exit status 1.
    let mut out = Vec::new();
    assert_eq!(tools::cli::main_with(&args(&["base", "lazy"]), &mut out), 1);
    assert!(String::from_utf8(out).unwrap().contains("incomplete: lazy"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn usage() {
    let mut out = Vec::new();
    assert_eq!(
        tools::cli::main_with(&["bench".into(), "--help".into()], &mut out),
        0
    );
    assert!(String::from_utf8(out).unwrap().contains("--kernel-dir DIR"));
    let mut out = Vec::new();
    assert_eq!(
        tools::cli::main_with(&["grade".into(), "-h".into()], &mut out),
        0
    );
    assert!(String::from_utf8(out).unwrap().contains("--lab lazy|cow"));
    let bad = |a: &[&str]| {
        let a: Vec<String> = a.iter().map(|s| s.to_string()).collect();
        tools::cli::main_with(&a, &mut Vec::new())
    };
    assert_eq!(
        bad(&["grade", "--lab", "nope", "--kernel", "k", "--fs", "f"]),
        2
    );
    assert_eq!(bad(&["grade", "--kernel", "/nonexistent"]), 2);
    assert_eq!(bad(&["bench", "--fs", "/nonexistent"]), 2);
    assert_eq!(bad(&["bench", "--bogus"]), 2);
}

/// What a kernel without the mmap lab prints for the mmap figures.
const NO_MMAP: &str = "3 bench: unknown sys call 22\n\
BENCH fault.mmap.first failed mmap\nBENCH mmap256K.16th.pages failed mmap\n\
BENCH mmap256K.read.pages failed mmap\n";

/// A kernel with it: 4 timed faults of 9,000 instructions over a
/// 400-instruction loop; 4 pages read of 64, against all 64 read().
const MMAP: &str = "BENCH clock rdtime\nBENCH boot.free 32400 pages\n\
BENCH fault.lazy.first 4100 ns\nBENCH fault.lazy.again 4100 ns\nBENCH fault.lazy.count 1024 pages\n\
BENCH fault.cow.first 4200 ns\nBENCH fault.cow.again 4100 ns\nBENCH fault.cow.count 1024 pages\n\
BENCH fault.mmap.first 36400 ns\nBENCH fault.mmap.again 400 ns\nBENCH fault.mmap.count 4 pages\n\
BENCH mmap256K.16th.touched 4 pages\nBENCH mmap256K.16th.pages 5 pages\n\
BENCH mmap256K.read.pages 65 pages\nBENCH disk.write1M.time 9000000 ns\n";

#[test]
fn mmap_rows() {
    let broken = MMAP
        .replace(
            "BENCH mmap256K.read.pages 65 pages",
            "BENCH mmap256K.read.pages failed content",
        )
        .replace(
            "BENCH fault.mmap.first 36400 ns",
            "BENCH fault.mmap.first failed mmap",
        );
    let runs = [
        parse("base", &log(&format!("{BASE}{NO_MMAP}"))),
        parse("mmap", &log(MMAP)),
        parse("lazy,cow,mmap", &log(&broken)),
    ];
    let lines = table(&runs);
    let no = || Cell::Text("no mmap".into());
    assert_eq!(
        row(&lines, "fault.mmap.instructions"),
        [no(), Cell::Num(9000.0), Cell::Text("mmap failed".into())]
    );
    assert_eq!(
        row(&lines, "mmap256K.16th.pages"),
        [no(), Cell::Num(5.0), Cell::Num(5.0)]
    );
    assert_eq!(
        row(&lines, "mmap256K.read.pages"),
        [no(), Cell::Num(65.0), Cell::Text("content failed".into())]
    );
    // The pages read are a helper figure, like sbrk's.
    assert!(!lines
        .iter()
        .any(|l| matches!(l, Line::Row { id, .. } if id.contains("touched"))));
    let text = render(&runs, &lines);
    // The mmap fault sits with the other faults, under one head.
    assert_eq!(text.matches("one page fault").count(), 1, "{text}");
    let faults = rows_under(&text, |l| l.starts_with("one page fault"));
    assert_eq!(faults.len(), 3, "{text}");
    assert!(
        faults[2].starts_with("  mmap (file page, cached) fault: instructions"),
        "{text}"
    );
    assert!(
        faults[2].ends_with("no mmap         9,000   mmap failed"),
        "{text}"
    );
    assert!(text.contains("\na 256 KiB file, read\n"), "{text}");
    assert!(text
        .lines()
        .any(|l| l.starts_with("  through mmap, every 16th page: pages")
            && l.ends_with("no mmap             5             5")));
    assert!(text
        .lines()
        .any(|l| l.starts_with("  with read(), all of it into the heap: pages")));
    let c = csv(&runs, &lines);
    assert!(
        c.contains(
            "\nmmap256K.16th.pages,\"a 256 KiB file, read: through mmap, every 16th page: pages\",\
             pages,no mmap,5,5\n"
        ),
        "{c}"
    );
    let k = key_figures(&runs).join("\n");
    assert!(
        k.contains("one mmap fault: 9,000 instructions (mmap kernel)"),
        "{k}"
    );
    assert!(
        k.contains(
            "a 256 KiB file, one page in 16 read: 5 pages through mmap vs 65 read() whole \
             (mmap kernel)"
        ),
        "{k}"
    );
    // Without a kernel that has mmap, no mmap sentence at all.
    let k = key_figures(&runs[..1]).join("\n");
    assert!(!k.contains("mmap"), "{k}");
}

#[test]
fn default_sets_are_the_kernels_there() {
    let dir = std::env::temp_dir().join(format!("bench-sets-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // That SETS are lab-diff sets in its order is checked by labdiff's
    // tests (tests/bench_sets.rs there), which this crate cannot depend on.
    for (set, lines) in [
        ("lazy,cow,mmap", MMAP.to_string()),
        ("base", format!("{BASE}{NO_MMAP}")),
        ("mmap", MMAP.to_string()),
    ] {
        let d = dir.join("logs").join(set);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("bench.log"), log(&lines)).unwrap();
    }
    // Not a set name: not a column.
    std::fs::create_dir_all(dir.join("logs/other")).unwrap();
    std::fs::write(dir.join("logs/other/bench.log"), log(MMAP)).unwrap();
    let args = |logs: &str| -> Vec<String> {
        vec![
            "bench".into(),
            "--from-logs".into(),
            dir.join(logs).to_string_lossy().into(),
            "--out".into(),
            dir.join("out").to_string_lossy().into(),
        ]
    };
    let mut out = Vec::new();
    assert_eq!(tools::cli::main_with(&args("logs"), &mut out), 0);
    let results = std::fs::read_to_string(dir.join("out/results.csv")).unwrap();
    assert!(
        results.starts_with("metric,description,unit,base,mmap,\"lazy,cow,mmap\"\n"),
        "{results}"
    );
    // Nothing there at all is bad usage.
    std::fs::create_dir_all(dir.join("empty")).unwrap();
    assert_eq!(tools::cli::main_with(&args("empty"), &mut Vec::new()), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The exec of the large program and the heap that is only read, as four
/// kernels print them: base reads the whole program at exec and maps all
/// the heap at sbrk; lazy takes a page per read fault; zfod maps the zero
/// page; demand reads 3 data pages of the program.
fn big(time: u64, ticks: u64, pages: u64) -> String {
    format!(
        "BENCH bigexec.time {time} ns\nBENCH bigexec.ticks {ticks} ticks\n\
         BENCH bigexec.touched 3 pages\nBENCH bigexec.pages {pages} pages\n"
    )
}

fn sbrk_read(time: u64, pages: u64) -> String {
    format!(
        "BENCH sbrkread64M.all.time {time} ns\nBENCH sbrkread64M.all.touched 16384 pages\n\
         BENCH sbrkread64M.all.pages {pages} pages\n"
    )
}

#[test]
fn exec_and_read_rows() {
    let runs = [
        parse(
            "base",
            &log(&format!(
                "{BASE}{}{}",
                big(9_703_147_268, 97, 262),
                sbrk_read(27_988_367, 16_384)
            )),
        ),
        parse(
            "lazy",
            &log(&format!(
                "{LAZY}{}{}",
                big(9_700_000_000, 97, 262),
                sbrk_read(55_000_000, 16_416)
            )),
        ),
        parse(
            "zfod",
            &log(&format!(
                "{LAZY}{}{}",
                big(9_700_000_000, 97, 262),
                sbrk_read(16_384_000, 33)
            )),
        ),
        parse(
            "demand",
            &log(&format!(
                "{BASE}{}{}",
                big(1_234_500, 0, 21),
                sbrk_read(27_988_367, 16_384)
            )),
        ),
    ];
    let lines = table(&runs);
    assert_eq!(
        row(&lines, "bigexec.instructions"),
        [
            Cell::Num(9_703_147_268.0),
            Cell::Num(9_700_000_000.0),
            Cell::Num(9_700_000_000.0),
            Cell::Num(1_234_500.0)
        ]
    );
    assert_eq!(row(&lines, "bigexec.ticks")[3], Cell::Num(0.0));
    assert_eq!(row(&lines, "bigexec.pages")[0], Cell::Num(262.0));
    assert_eq!(row(&lines, "bigexec.pages")[3], Cell::Num(21.0));
    assert_eq!(
        row(&lines, "sbrkread64M.all.pages"),
        [
            Cell::Num(16_384.0),
            Cell::Num(16_416.0),
            Cell::Num(33.0),
            Cell::Num(16_384.0)
        ]
    );
    assert_eq!(
        row(&lines, "sbrkread64M.all.instructions_per_page")[2],
        Cell::Num(1000.0)
    );
    // Helper figures make no rows.
    assert!(!lines.iter().any(|l| matches!(l, Line::Row { id, .. }
        if id.contains("touched"))));

    let text = render(&runs, &lines);
    let rows_under = |head: &str| -> Vec<&str> {
        text.lines()
            .skip_while(|l| *l != head)
            .skip(1)
            .take_while(|l| l.starts_with("  "))
            .collect()
    };
    let exec = rows_under(
        "fork + exec + exit + wait of a 1 MiB program that reads 3 of the 48 data pages in its file",
    );
    assert_eq!(exec.len(), 3, "{text}");
    assert!(
        exec[0].starts_with("  instructions (the fastest of 3 runs)")
            && exec[0].ends_with("     1,234,500"),
        "{text}"
    );
    assert!(exec[2].starts_with("  pages while it runs"), "{text}");
    // Reading has a head of its own after writing's.
    let read = rows_under("sbrk of 64 MiB, then reading");
    assert_eq!(read.len(), 3, "{text}");
    assert!(read[1].starts_with("  every page: per page read"), "{text}");
    assert!(
        read[2].starts_with("  every page: pages")
            && read[2].ends_with("16,384        16,416            33        16,384")
    );
    assert_eq!(text.matches("then writing to").count(), 1, "{text}");
    assert!(
        text.find("then writing to").unwrap() < text.find("then reading").unwrap(),
        "{text}"
    );

    let c = csv(&runs, &lines);
    assert!(
        c.contains(
            "\nsbrkread64M.all.pages,\"sbrk of 64 MiB, then reading: every page: pages\",\
             pages,16384,16416,33,16384\n"
        ),
        "{c}"
    );
    assert!(c.contains("\nbigexec.pages,"), "{c}");

    let k = key_figures(&runs).join("\n");
    assert!(
        k.contains(
            "sbrk of 64 MiB, then a read of every page: base 27,988,367 instructions, \
             16,384 pages; lazy 55,000,000 instructions, 16,416 pages; zfod 16,384,000 \
             instructions, 33 pages"
        ),
        "{k}"
    );
    assert!(
        k.contains(
            "exec of a 1 MiB program that reads 3 of its 48 data pages: demand 1,234,500 \
             instructions, 21 pages; base 9,703,147,268 instructions, 262 pages"
        ),
        "{k}"
    );
    // Without a demand kernel, no exec sentence.
    assert!(!key_figures(&runs[..3]).join("\n").contains("exec of"));
}

#[test]
fn exec_failures() {
    let failed = "BENCH bigexec.time failed elf\nBENCH bigexec.pages failed elf\n";
    let dead = "BENCH bigexec.time failed exec\nBENCH bigexec.touched 3 pages\n\
                BENCH bigexec.pages failed exec\n";
    let runs = [parse("base", &log(failed)), parse("demand", &log(dead))];
    let lines = table(&runs);
    assert_eq!(
        row(&lines, "bigexec.instructions"),
        [
            Cell::Text("elf failed".into()),
            Cell::Text("exec failed".into())
        ]
    );
    assert_eq!(
        row(&lines, "bigexec.pages"),
        [
            Cell::Text("elf failed".into()),
            Cell::Text("exec failed".into())
        ]
    );
    let k = key_figures(&runs).join("\n");
    assert!(
        k.contains("3 of its 48 data pages: demand exec failed; base elf failed"),
        "{k}"
    );
}

/// The swap figures of one kernel: sbrk, store pass, two load passes,
/// each with its time and its swapstat deltas (outs, writes, ins).
fn swap_figures(phases: [(u64, u64, u64, u64); 4]) -> String {
    let mut s = String::new();
    for (p, (t, o, w, i)) in ["sbrk", "store", "load1", "load2"].iter().zip(phases) {
        s += &format!(
            "BENCH swap200M.{p}.time {t} ns\nBENCH swap200M.{p}.ticks 2 ticks\n\
             BENCH swap200M.{p}.outs {o} pages\n\
             BENCH swap200M.{p}.writes {w} pages\nBENCH swap200M.{p}.ins {i} pages\n"
        );
    }
    s
}

/// What a kernel without swap (or without its disk) prints instead.
fn swap_failed(what: &str) -> String {
    let mut s = String::new();
    for p in ["sbrk", "store", "load1", "load2"] {
        for f in ["time", "ticks", "outs", "writes", "ins"] {
            s += &format!("BENCH swap200M.{p}.{f} failed {what}\n");
        }
    }
    s
}

#[test]
fn swap_rows() {
    let swap = swap_figures([
        (900_000, 20_000, 0, 0),
        (5_000_000, 1_000, 1_000, 0),
        (100_000_000, 51_000, 50_000, 50_000),
        (60_000_000, 50_000, 10_000, 40_000),
    ]);
    let runs = [
        parse(
            "base",
            &log(&format!(
                "{BASE}4 bench: unknown sys call 24\n{}",
                swap_failed("swap")
            )),
        ),
        parse("swap", &log(&swap)),
        parse("lazy,cow,zfod,demand,swap", &log(&swap_failed("child"))),
    ];
    let lines = table(&runs);
    let no = || Cell::Text("no swap".into());
    assert_eq!(
        row(&lines, "swap200M.load1.ins"),
        [no(), Cell::Num(50_000.0), Cell::Text("child failed".into())]
    );
    assert_eq!(row(&lines, "swap200M.sbrk.outs")[1], Cell::Num(20_000.0));
    assert_eq!(row(&lines, "swap200M.store.writes")[1], Cell::Num(1_000.0));
    assert_eq!(
        row(&lines, "swap200M.store.instructions")[1],
        Cell::Num(5_000_000.0)
    );
    // A swap fault: the load pass over the pages it read back.
    assert_eq!(
        row(&lines, "swap200M.load1.instructions_per_in"),
        [no(), Cell::Num(2_000.0), Cell::Text("child failed".into())]
    );
    assert_eq!(
        row(&lines, "swap200M.load2.instructions_per_in")[1],
        Cell::Num(1_500.0)
    );
    // Only the load passes have a per-fault row.
    assert!(!lines.iter().any(|l| matches!(l, Line::Row { id, .. }
        if id == "swap200M.store.instructions_per_in")));
    let text = render(&runs, &lines);
    let head = "sbrk of 200 MiB on the 128 MiB machine, then a store to every page and two \
                loads of every page (swap disk; includes its waits)";
    assert_eq!(text.matches(head).count(), 1, "{text}");
    let rows = rows_under(&text, |l| l == head);
    assert_eq!(rows.len(), 22, "{text}");
    assert!(rows[0].starts_with("  sbrk: instructions"), "{text}");
    assert!(
        rows[16].starts_with("  2nd load of every page: instructions")
            && rows[17].starts_with("  2nd load of every page: timer ticks")
            && rows[21].starts_with("  2nd load of every page: per page read back")
            && rows[21].ends_with("no swap         1,500  child failed"),
        "{text}"
    );
    let c = csv(&runs, &lines);
    assert!(c.contains(",pages,no swap,50000,child failed\n"), "{c}");
    // A figure wider than a column still has a space before the next.
    let wide = swap.replace("load1.time 100000000 ", "load1.time 529500341852 ");
    let runs = [
        parse("base", &log(&swap_failed("swap"))),
        parse("swap", &log(&wide)),
    ];
    let text = render(&runs, &table(&runs));
    assert!(text.contains(" no swap 529,500,341,852\n"), "{text}");
}

/// The newcomer figures of one kernel: for each run (alone, beside the
/// hog) its first pass and its later passes, each with time, ticks, outs
/// and ins.
fn newcomer_figures(runs: [[(u64, u64, u64, u64); 2]; 2]) -> String {
    let mut s = String::new();
    for (run, phases) in ["alone", "beside150M"].iter().zip(runs) {
        for (p, (t, k, o, i)) in ["first", "later"].iter().zip(phases) {
            s += &format!(
                "BENCH newcomer16M.{run}.{p}.time {t} ns\n\
                 BENCH newcomer16M.{run}.{p}.ticks {k} ticks\n\
                 BENCH newcomer16M.{run}.{p}.outs {o} pages\n\
                 BENCH newcomer16M.{run}.{p}.ins {i} pages\n"
            );
        }
    }
    s
}

/// What a kernel without swap prints for them, or one whose run failed.
fn newcomer_failed(runs: &[&str], what: &str) -> String {
    let mut s = String::new();
    for run in runs {
        for p in ["first", "later"] {
            for f in ["time", "ticks", "outs", "ins"] {
                s += &format!("BENCH newcomer16M.{run}.{p}.{f} failed {what}\n");
            }
        }
    }
    s
}

#[test]
fn newcomer_rows() {
    let swap = newcomer_figures([
        [(2_000_000, 0, 0, 0), (300_000, 0, 0, 0)],
        [(90_000_000, 40, 4_100, 0), (450_000, 0, 0, 0)],
    ]);
    let runs = [
        parse(
            "base",
            &log(&newcomer_failed(&["alone", "beside150M"], "swap")),
        ),
        parse("swap", &log(&swap)),
        parse(
            "lazy,cow,mmap,zfod,demand,swap",
            &log(&format!(
                "{}{}",
                &swap[..swap.find("BENCH newcomer16M.beside").unwrap()],
                newcomer_failed(&["beside150M"], "hog")
            )),
        ),
    ];
    let lines = table(&runs);
    let no = || Cell::Text("no swap".into());
    assert_eq!(
        row(&lines, "newcomer16M.alone.later.instructions"),
        [no(), Cell::Num(300_000.0), Cell::Num(300_000.0)]
    );
    assert_eq!(
        row(&lines, "newcomer16M.beside150M.first.outs")[1],
        Cell::Num(4_100.0)
    );
    assert_eq!(
        row(&lines, "newcomer16M.beside150M.first.ticks")[1],
        Cell::Num(40.0)
    );
    // Passes 2-4 beside the hog against the same alone.
    assert_eq!(
        row(&lines, "newcomer16M.beside150M.later.percent_of_alone"),
        [no(), Cell::Num(150.0), Cell::Text("hog failed".into())]
    );
    assert!(!lines.iter().any(|l| matches!(l, Line::Row { id, .. }
        if id == "newcomer16M.alone.later.percent_of_alone"
            || id == "newcomer16M.beside150M.first.percent_of_alone")));
    let text = render(&runs, &lines);
    let head = "a newcomer of 16 MiB: sbrk and a store to every page (pass 1, timed as one), \
                then passes 2-4, which check and rewrite every page; alone, and beside an idle \
                process that has written all of its pages (swap disk; includes its waits)";
    assert_eq!(text.matches(head).count(), 1, "{text}");
    let rows = rows_under(&text, |l| l == head);
    assert_eq!(rows.len(), 17, "{text}");
    assert!(
        rows[0].starts_with("  alone, pass 1: instructions"),
        "{text}"
    );
    assert!(
        rows[12].starts_with("  beside 150 MiB, passes 2-4: instructions")
            && rows[13].starts_with("  beside 150 MiB, passes 2-4: % of alone")
            && rows[13].ends_with("no swap           150    hog failed")
            && rows[16].starts_with("  beside 150 MiB, passes 2-4: pages read back"),
        "{text}"
    );
    let k = key_figures(&runs).join("\n");
    assert!(
        k.contains(
            "a 16 MiB newcomer's passes 2-4 beside an idle 150 MiB process: \
             swap 450,000 instructions vs 300,000 alone (150%)"
        ),
        "{k}"
    );
}

/// The indented rows of the table's first section whose head line
/// `is_head` picks.
fn rows_under(text: &str, is_head: impl Fn(&str) -> bool) -> Vec<&str> {
    text.lines()
        .skip_while(|l| !is_head(l))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .collect()
}

/// The idle count comes from ^P after the bench, not from a BENCH line:
/// 0 on a sound kernel, the count on one that slept through a wakeup, and
/// no cell at all when the line is missing (a kernel that does not print it).
#[test]
fn idle_row_from_procdump() {
    let with = |n: &str| {
        format!(
            "{}\n1 sleep  init\nidle: {n} times a hart went idle with a process runnable\n$ ",
            log(BASE)
        )
    };
    let runs = [
        parse("base", &with("0")),
        parse("lazy", &with("17")),
        parse("cow", &log(BASE)),
    ];
    let lines = table(&runs);
    assert_eq!(
        row(&lines, "idle.runnable"),
        [Cell::Num(0.0), Cell::Num(17.0), Cell::Missing]
    );
    // The bench step waits for that line after ^P.
    let step = &SUITE.steps[1];
    assert!(matcher::find_pat(&step.expect[0], &with("0"), 0).is_some());
    assert!(matcher::find_pat(&step.expect[0], &log(BASE), 0).is_none());
}
