//! `tools crash`: does xv6's log keep the file system consistent when the
//! machine dies at any moment?
//!
//! Each round boots a fresh copy of fs.img, starts `fsstress` and kills
//! QEMU at a seeded random moment. The image as the crash left it must
//! pass `fsck --replay` (the committed log installed, as recovery will).
//! Then the same image boots again, the kernel's recovery runs, `fscheck`
//! checks in xv6 what fsstress guarantees (every file absent or one of its
//! complete versions), and after that boot the image must pass plain
//! `fsck`. A dirty round keeps its images and console log for study.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::grade::parse_opts;
use crate::matcher::{self, Clock, Verdict};
use crate::qemu::{self, Chunk, Qemu, Recv};
use crate::runner::{self, BOOT_TIMEOUT};

pub const USAGE: &str = "\
tools crash --kernel PATH --fs PATH [--rounds N] [--first R] [--seed S]
           [--max-ms MS] [--cpus N] [--label NAME] [--out DIR] [--qemu PROGRAM]
  rounds R..R+N-1 (default 0..99) of: boot a copy of the fs image, run
  `fsstress`, kill QEMU after a random time below MS milliseconds (default
  3000), fsck --replay the image, boot it again and run `fscheck`, fsck it.
  The times and fsstress seeds follow from S (from the clock unless given,
  and printed) and the round number. Dirty rounds keep their images and
  console log in DIR/LABEL (default target/crash/LABEL).
  Exit status 0 only if every round was clean.
";

/// One round's random choices, a function of the seed and round number only.
#[derive(Debug, PartialEq, Eq)]
pub struct Plan {
    pub kill_ms: u64,
    pub workload_seed: u64,
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

pub fn plan(seed: u64, round: u64, max_ms: u64) -> Plan {
    let a = splitmix(seed ^ splitmix(round));
    let b = splitmix(a);
    Plan {
        kill_ms: a % max_ms.max(1),
        // fsstress reads it with atoi: keep it a small positive number.
        workload_seed: b % 1_000_000 + 1,
    }
}

/// fscheck's verdict in the console text: Ok or Err with its problem
/// lines, once its closing line and the prompt after it are there.
pub fn fscheck_verdict(text: &str) -> Option<Result<(), String>> {
    let end = text
        .find("fscheck: OK")
        .or_else(|| text.find("fscheck: FAILED"))?;
    let after = &text[end..];
    let line_end = after.find('\n')?;
    matcher::find_prompt(&after[line_end + 1..])?;
    if after.starts_with("fscheck: OK") {
        return Some(Ok(()));
    }
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("fscheck: ") && !l.starts_with("fscheck: FAILED"))
        .collect();
    if lines.is_empty() {
        return Some(Err(after[..line_end].to_string()));
    }
    Some(Err(lines.join("; ")))
}

/// The console text without the other harts' `hart N starting` lines.
/// They are printed while init and sh already write, and can land inside
/// `init: starting sh` or between `$` and its space (seen in 2 of 200 boots
/// on a busy host), which is no reason to fail a round.
pub fn without_hart_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("hart ") {
        out.push_str(&rest[..i]);
        let tail = &rest[i + 5..];
        let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
        match tail[digits..].strip_prefix(" starting\n") {
            Some(after) if digits > 0 => rest = after,
            _ => {
                out.push_str("hart ");
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

/// An fsck report as one reason line: the first problem and how many more.
fn fsck_reason(what: &str, r: &mkfs::fsck::Report) -> String {
    let more = match r.problems.len() {
        0 | 1 => String::new(),
        n => format!(" (and {} more)", n - 1),
    };
    format!("{what}: {}{more}", r.problems.first().map_or("", |s| s))
}

struct Config {
    kernel: PathBuf,
    fs: PathBuf,
    cpus: u32,
    label: String,
    dir: PathBuf,
    qemu: std::ffi::OsString,
    max_ms: u64,
}

/// A booted kernel, its console text so far, and the round's log.
struct Console<'a> {
    qemu: Qemu,
    text: String,
    log: &'a mut File,
}

impl<'a> Console<'a> {
    fn boot(cfg: &Config, image: &Path, log: &'a mut File) -> Result<Console<'a>, String> {
        let args = qemu::runner_args(&cfg.kernel, image, cfg.cpus);
        let _ = writeln!(log, "# crash: {}", qemu::shell_line(&cfg.qemu, &args));
        let qemu = Qemu::spawn(&cfg.qemu, &args)
            .map_err(|e| format!("cannot start {}: {e}", cfg.qemu.to_string_lossy()))?;
        let mut c = Console {
            qemu,
            text: String::new(),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(BOOT_TIMEOUT);
        match c.watch(deadline, |text, clock| {
            matcher::judge_boot(&without_hart_lines(text), clock)
        })? {
            Verdict::Pass => Ok(c),
            v => Err(format!("boot: {v:?}")),
        }
    }

    /// Feeds the console text to `judge` until it decides; a kernel panic
    /// ends the wait at once. `Pending` means the deadline came first.
    fn watch(
        &mut self,
        deadline: Instant,
        judge: impl Fn(&str, &Clock) -> Verdict,
    ) -> Result<Verdict, String> {
        loop {
            let clock = match self.qemu.recv(deadline) {
                Recv::Chunk(chunk) => {
                    self.take(chunk);
                    while let Some(more) = self.qemu.try_recv() {
                        self.take(more);
                    }
                    Clock::Running
                }
                Recv::Timeout => Clock::Deadline,
                Recv::Closed => Clock::Exited(self.qemu.exit_status()),
            };
            if let Some(i) = self.text.find(matcher::PANIC) {
                let line = self.text[i..].lines().next().unwrap_or("");
                return Err(format!("{line:?}"));
            }
            let v = judge(&self.text, &clock);
            if v != Verdict::Pending {
                return Ok(v);
            }
            match clock {
                Clock::Running => {}
                Clock::Deadline => return Ok(Verdict::Pending),
                Clock::Exited(how) => return Err(format!("QEMU exited ({how})")),
            }
        }
    }

    fn take(&mut self, chunk: Chunk) {
        match chunk {
            Chunk::Console(bytes) => {
                let _ = self.log.write_all(&bytes);
                self.text.push_str(&matcher::normalize(&bytes));
            }
            Chunk::Stderr(bytes) => {
                let _ = self.log.write_all(b"\n[qemu stderr] ");
                let _ = self.log.write_all(&bytes);
            }
        }
    }

    fn type_line(&mut self, line: &str) -> Result<(), String> {
        self.text.clear();
        self.qemu
            .send(format!("{line}\n").as_bytes())
            .map_err(|e| format!("cannot type on the console: {e}"))
    }
}

/// The first boot: fsstress until the kill. Returns when QEMU is gone.
fn crash_boot(cfg: &Config, image: &Path, log: &mut File, p: &Plan) -> Result<(), String> {
    let mut c = Console::boot(cfg, image, log)?;
    c.type_line(&format!("fsstress {} 0", p.workload_seed))?;
    let started = c.watch(Instant::now() + Duration::from_secs(30), |text, _| {
        if text.contains("fsstress: started") {
            Verdict::Pass
        } else {
            Verdict::Pending
        }
    })?;
    if started != Verdict::Pass {
        return Err("fsstress did not start".into());
    }
    let kill_at = Instant::now() + Duration::from_millis(p.kill_ms);
    let failed = c.watch(kill_at, |text, _| match text.find("fsstress: FAILED") {
        Some(i) => Verdict::Fail(text[i..].lines().next().unwrap_or("").into()),
        None => Verdict::Pending,
    })?;
    match failed {
        Verdict::Fail(why) => Err(format!("before the kill: {why}")),
        // Dropping the console kills QEMU (SIGKILL): the crash.
        _ => Ok(()),
    }
}

/// The second boot: recovery, then fscheck.
fn check_boot(cfg: &Config, image: &Path, log: &mut File) -> Result<(), String> {
    let mut c = Console::boot(cfg, image, log).map_err(|e| format!("reboot: {e}"))?;
    c.type_line("fscheck")?;
    let verdict = std::cell::RefCell::new(None);
    let v = c.watch(
        Instant::now() + Duration::from_secs(120),
        |text, _| match fscheck_verdict(text) {
            Some(r) => {
                *verdict.borrow_mut() = Some(r);
                Verdict::Pass
            }
            None => Verdict::Pending,
        },
    )?;
    match verdict.into_inner() {
        Some(r) => r,
        None => Err(format!("fscheck gave no verdict within 120 s ({v:?})")),
    }
}

fn fsck(image: &Path, replay: bool, log: &mut File) -> Result<mkfs::fsck::Report, String> {
    let bytes = fs::read(image).map_err(|e| format!("{}: {e}", image.display()))?;
    let r = mkfs::fsck::check(&bytes, replay);
    let _ = writeln!(
        log,
        "\n# crash: fsck{}:",
        if replay { " --replay" } else { "" }
    );
    for line in r.notes.iter().chain(&r.warnings).chain(&r.problems) {
        let _ = writeln!(log, "#   {line}");
    }
    Ok(r)
}

/// What a clean round saw: blocks the log held at the kill (0: none committed).
fn round(cfg: &Config, files: &RoundFiles, p: &Plan) -> Result<usize, String> {
    fs::copy(&cfg.fs, &files.image).map_err(|e| format!("copy fs image: {e}"))?;
    let mut log = File::create(&files.log).map_err(|e| format!("{}: {e}", files.log.display()))?;
    let _ = writeln!(log, "# crash: {p:?}");
    crash_boot(cfg, &files.image, &mut log, p)?;
    // Kept until the round is known clean: the state the crash left.
    fs::copy(&files.image, &files.crashed).map_err(|e| format!("copy crashed image: {e}"))?;
    let r = fsck(&files.image, true, &mut log)?;
    if !r.clean() {
        return Err(fsck_reason("fsck --replay after the crash", &r));
    }
    check_boot(cfg, &files.image, &mut log)?;
    let after = fsck(&files.image, false, &mut log)?;
    if !after.clean() {
        return Err(fsck_reason("fsck after recovery", &after));
    }
    Ok(r.logged)
}

struct RoundFiles {
    image: PathBuf,
    crashed: PathBuf,
    log: PathBuf,
}

impl RoundFiles {
    fn new(dir: &Path, seed: u64, round: u64) -> Self {
        let base = format!("seed-{seed}-round-{round}");
        RoundFiles {
            image: dir.join(format!("{base}.img")),
            crashed: dir.join(format!("{base}.crashed.img")),
            log: dir.join(format!("{base}.log")),
        }
    }

    fn remove(&self) {
        for p in [&self.image, &self.crashed, &self.log] {
            let _ = fs::remove_file(p);
        }
    }
}

pub fn run(args: &[String], out: &mut dyn Write) -> Result<i32, String> {
    let o = parse_opts(
        args,
        &[
            "--kernel", "--fs", "--rounds", "--first", "--seed", "--max-ms", "--cpus", "--label",
            "--out", "--qemu",
        ],
    )?;
    if o.help {
        out.write_all(USAGE.as_bytes()).map_err(|e| e.to_string())?;
        return Ok(0);
    }
    let num = |name: &str, default: u64| -> Result<u64, String> {
        o.get(name).map_or(Ok(default), |v| {
            v.parse()
                .map_err(|_| format!("{name} wants a number, not {v:?}"))
        })
    };
    let clock_seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| d.as_secs() % 1_000_000);
    let seed = num("--seed", clock_seed)?;
    let rounds = num("--rounds", 100)?;
    let first = num("--first", 0)?;
    let label = o.get("--label").unwrap_or("base").to_string();
    let dir = o.get("--out").map_or_else(
        || {
            runner::default_log_dir()
                .with_file_name("crash")
                .join(&label)
        },
        PathBuf::from,
    );
    let cfg = Config {
        kernel: o.file("--kernel")?,
        fs: o.file("--fs")?,
        cpus: o.cpus(3)?,
        label,
        dir,
        qemu: o.qemu(),
        max_ms: num("--max-ms", 3000)?.max(1),
    };
    fs::create_dir_all(&cfg.dir).map_err(|e| format!("{}: {e}", cfg.dir.display()))?;
    let io = |e: io::Error| e.to_string();
    let last = (first + rounds).saturating_sub(1);
    writeln!(
        out,
        "[{}] crash: seed {seed}, rounds {first}..{last}, kill within {} ms",
        cfg.label, cfg.max_ms
    )
    .map_err(io)?;
    let (mut clean, mut dirty, mut logged) = (0, 0, 0);
    for r in first..first + rounds {
        let p = plan(seed, r, cfg.max_ms);
        let files = RoundFiles::new(&cfg.dir, seed, r);
        let t0 = Instant::now();
        let result = round(&cfg, &files, &p);
        let took = t0.elapsed().as_secs_f64();
        let head = format!(
            "[{}] round {r}: kill at {} ms, fsstress {}",
            cfg.label, p.kill_ms, p.workload_seed
        );
        match result {
            Ok(n) => {
                clean += 1;
                let held = if n > 0 {
                    logged += 1;
                    format!(", log held {n} blocks")
                } else {
                    String::new()
                };
                writeln!(out, "{head}{held}: clean ({took:.1} s)").map_err(io)?;
                files.remove();
            }
            Err(why) => {
                dirty += 1;
                writeln!(
                    out,
                    "{head}: DIRTY ({took:.1} s): {why}\n    kept {}, {} (as crashed), {}",
                    files.image.display(),
                    files.crashed.display(),
                    files.log.display()
                )
                .map_err(io)?;
            }
        }
        out.flush().map_err(io)?;
    }
    writeln!(
        out,
        "[{}] crash: seed {seed}: {clean} clean, {dirty} dirty \
         (a committed transaction was in the log at {logged} of the kills)",
        cfg.label
    )
    .map_err(io)?;
    Ok(if dirty == 0 { 0 } else { 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_follow_seed_and_round() {
        assert_eq!(plan(7, 3, 3000), plan(7, 3, 3000));
        assert_ne!(plan(7, 3, 3000), plan(7, 4, 3000));
        assert_ne!(plan(7, 3, 3000), plan(8, 3, 3000));
        for r in 0..200 {
            let p = plan(42, r, 500);
            assert!(p.kill_ms < 500);
            assert!((1..=1_000_000).contains(&p.workload_seed));
        }
        // The kill times spread over the window, not bunched at one end.
        let early = (0..200).filter(|&r| plan(1, r, 1000).kill_ms < 500).count();
        assert!((60..140).contains(&early), "{early}");
    }

    #[test]
    fn boot_lines_split_by_other_harts() {
        // Both seen on real boots; each made the runner's boot check time out.
        let split_prompt =
            "xv6 kernel is booting\n\nhart 2 starting\ninit: starting sh\n$hart 1 starting\n ";
        let split_init =
            "xv6 kernel is booting\n\nhart 2 starting\nihart 1 starting\nnit: starting sh\n$ ";
        for text in [split_prompt, split_init] {
            assert_eq!(matcher::judge_boot(text, &Clock::Running), Verdict::Pending);
            assert_eq!(
                without_hart_lines(text),
                "xv6 kernel is booting\n\ninit: starting sh\n$ "
            );
            assert_eq!(
                matcher::judge_boot(&without_hart_lines(text), &Clock::Running),
                Verdict::Pass
            );
        }
        assert_eq!(
            without_hart_lines("a hart is 3 starting\n"),
            "a hart is 3 starting\n"
        );
    }

    #[test]
    fn reads_fscheck_verdicts() {
        assert_eq!(fscheck_verdict("fscheck\nfscheck: OK: 3 files"), None);
        assert_eq!(fscheck_verdict("fscheck: OK: 3 files\n"), None);
        assert_eq!(
            fscheck_verdict("fscheck\nfscheck: OK: 3 files, 1 records\n$ "),
            Some(Ok(()))
        );
        let text = "fscheck\nfscheck: /fss/p0/f1: version 2 is 5 bytes, header says 9 (torn)\n\
                    fscheck: /fss/p0/a: record 1 at 40: torn header\nfscheck: FAILED: 2 problems\n$ ";
        assert_eq!(
            fscheck_verdict("fscheck: FAILED: 0 problems\n$ "),
            Some(Err("fscheck: FAILED: 0 problems".into()))
        );
        assert_eq!(
            fscheck_verdict(text),
            Some(Err(
                "fscheck: /fss/p0/f1: version 2 is 5 bytes, header says 9 \
                      (torn); fscheck: /fss/p0/a: record 1 at 40: torn header"
                    .into()
            ))
        );
    }

    /// A fake QEMU: boots, answers `fsstress` by starting and waiting to be
    /// killed, and `fscheck` with `answer` (bash), which may also change
    /// the image (`$img`).
    fn fake_qemu(dir: &Path, answer: &str) -> PathBuf {
        let script = format!(
            r#"#!/bin/bash
for a in "$@"; do case "$a" in file=*) img=${{a#file=}}; img=${{img%%,if=none*}};; esac; done
printf 'xv6 kernel is booting\n\ninit: starting sh\n$ '
line=
while IFS= read -r -N 1 c; do
  if [ "$c" != $'\n' ]; then line+=$c; continue; fi
  printf '%s\n' "$line"
  case "$line" in
    'fsstress '*) printf 'fsstress: started seed 1 ops 0 procs 4\n'; exec sleep 60;;
    fscheck) {answer};;
  esac
  printf '$ '
  line=
done
"#
        );
        let path = dir.join("fake-qemu");
        fs::write(&path, script).unwrap();
        // chmod rather than std::os::unix's PermissionsExt: rust-analyzer reads
        // the host crates with the kernel's target, which has no `unix` (README, Editor).
        let chmod = std::process::Command::new("chmod")
            .arg("755")
            .arg(&path)
            .status();
        assert!(chmod.unwrap().success(), "chmod {}", path.display());
        path
    }

    /// Runs `tools crash` against the fake on a real (empty) image; returns
    /// the exit status, the output and the names left in the output dir.
    fn crash_with(name: &str, answer: &str) -> (i32, String, Vec<String>) {
        // One at a time: a script being written while another test forks
        // could not be executed ("text file busy").
        static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let dir = std::env::temp_dir().join(format!("tools-crash-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let img = mkfs::build(&mkfs::LAYOUT, &[]).unwrap();
        fs::write(dir.join("fs.img"), img.bytes()).unwrap();
        fs::write(dir.join("kernel"), "not a kernel").unwrap();
        fake_qemu(&dir, answer);
        let p = |f: &str| dir.join(f).display().to_string();
        let args: Vec<String> = [
            "--kernel",
            &p("kernel"),
            "--fs",
            &p("fs.img"),
            "--qemu",
            &p("fake-qemu"),
            "--out",
            &p("out"),
            "--rounds",
            "2",
            "--seed",
            "5",
            "--max-ms",
            "50",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut out = Vec::new();
        let code = run(&args, &mut out).unwrap();
        let mut left: Vec<String> = fs::read_dir(dir.join("out"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        fs::remove_dir_all(&dir).unwrap();
        (code, String::from_utf8(out).unwrap(), left)
    }

    #[test]
    fn clean_rounds_leave_nothing() {
        let (code, out, left) = crash_with("clean", "printf 'fscheck: OK: 0 files\\n'");
        assert_eq!(code, 0, "{out}");
        assert!(
            out.contains("[base] crash: seed 5: 2 clean, 0 dirty"),
            "{out}"
        );
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn fscheck_failure_is_dirty_and_kept() {
        let (code, out, left) = crash_with(
            "torn",
            "printf 'fscheck: /fss/p0/f1: version 3 is 9 bytes, header says 99 (torn)\\n\
             fscheck: FAILED: 1 problems\\n'",
        );
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("0 clean, 2 dirty"), "{out}");
        assert!(
            out.contains(": DIRTY (")
                && out.contains("): fscheck: /fss/p0/f1: version 3 is 9 bytes"),
            "{out}"
        );
        let want: Vec<String> = ["seed-5-round-0", "seed-5-round-1"]
            .iter()
            .flat_map(|r| {
                [
                    format!("{r}.crashed.img"),
                    format!("{r}.img"),
                    format!("{r}.log"),
                ]
            })
            .collect();
        assert_eq!(left, want);
    }

    #[test]
    fn damage_after_recovery_is_caught_by_fsck() {
        // The "kernel" marks blocks 1600-1607 used in the bitmap (block 45).
        let (code, out, _) = crash_with(
            "leak",
            "printf '\\xff' | dd of=\"$img\" bs=1 seek=$((45*1024+200)) conv=notrunc 2>/dev/null; \
             printf 'fscheck: OK: 0 files\\n'",
        );
        assert_eq!(code, 1, "{out}");
        assert!(
            out.contains(
                "fsck after recovery: blocks 1600-1607: marked in use in the bitmap, \
                 but no inode uses it (leaked)"
            ),
            "{out}"
        );
    }
}
