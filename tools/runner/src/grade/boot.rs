//! Booting the kernel for an item the way gradelib's `run_qemu` with a
//! `shell_script` monitor does: each time `$ ` shows up in the output
//! since the last command, the next command is typed; once none is left,
//! the boot ends. A boot that outlives its timeout is cut off and graded
//! on what it printed. Every boot of one lab uses the same copy of the
//! file system image, as the course's runs all use its one fs.img.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::gradelib::{Booter, Console, End};
use super::labs::{Boot, Item};
use crate::qemu::{self, Chunk, Qemu, Recv};

/// After a kernel panic, how long the console must stay quiet before the
/// boot is taken as over.
const PANIC_QUIET: Duration = Duration::from_secs(1);

pub struct QemuBooter {
    pub kernel: PathBuf,
    /// The lab's own copy of fs.img.
    pub fs: PathBuf,
    pub cpus: u32,
    pub qemu: OsString,
    pub timeout_scale: f64,
    /// Holds xv6.out (the latest boot) and xv6.out.NAME (failed ones).
    pub dir: PathBuf,
    /// Echo the console to stderr as it arrives.
    pub verbose: bool,
}

impl QemuBooter {
    fn out_path(&self) -> PathBuf {
        self.dir.join("xv6.out")
    }

    /// gradelib's name for a failed boot's copy: the function's name
    /// without its `test_`.
    fn saved_path(&self, item: &Item) -> PathBuf {
        let name = item.func.strip_prefix("test_").unwrap_or(item.func);
        self.dir.join(format!("xv6.out.{name}"))
    }
}

/// Whether a console line shows a kernel panic. A user program's panic
/// (ulib prints `PID: panic: ...`) is not one: the kernel goes on.
pub fn kernel_panic(line: &str) -> bool {
    let Some(i) = line.find("panic: ") else {
        return false;
    };
    let before = &line[..i];
    let user = before
        .strip_suffix(": ")
        .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()));
    !user
}

#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// No prompt yet.
    Wait,
    /// A prompt: type this line.
    Type(String),
    /// A prompt after the last command: the boot is over.
    Done,
}

/// Feeds the shell the script, one command per `$ `; decides when the
/// boot is over. Kept apart from QEMU so it can be tested on text.
pub struct Script<'a> {
    commands: &'a [&'a str],
    typed: usize,
    /// Output since the last command was typed.
    buf: Vec<u8>,
}

impl<'a> Script<'a> {
    pub fn new(commands: &'a [&'a str]) -> Self {
        Script {
            commands,
            typed: 0,
            buf: Vec::new(),
        }
    }

    /// Takes a piece of output and says what to do next.
    pub fn feed(&mut self, bytes: &[u8]) -> Next {
        self.buf.extend_from_slice(bytes);
        if !self.buf.windows(2).any(|w| w == b"$ ") {
            return Next::Wait;
        }
        self.buf.clear();
        match self.commands.get(self.typed) {
            Some(cmd) => {
                self.typed += 1;
                Next::Type(format!("{cmd}\n"))
            }
            None => Next::Done,
        }
    }
}

impl Booter for QemuBooter {
    fn boot(&mut self, _item: &Item, boot: &Boot) -> Result<Console, String> {
        fs::create_dir_all(&self.dir).map_err(|e| format!("{}: {e}", self.dir.display()))?;
        let path = self.out_path();
        let mut log = File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let args = qemu::runner_args(&self.kernel, &self.fs, self.cpus);
        let mut q = Qemu::spawn(&self.qemu, &args)
            .map_err(|e| format!("cannot start {}: {e}", self.qemu.to_string_lossy()))?;
        let deadline =
            Instant::now() + Duration::from_secs_f64(boot.timeout as f64 * self.timeout_scale);
        let mut script = Script::new(boot.commands);
        let mut bytes: Vec<u8> = Vec::new();
        let mut panicked = false;
        let end = loop {
            let wait = if panicked {
                deadline.min(Instant::now() + PANIC_QUIET)
            } else {
                deadline
            };
            let chunk = match q.recv(wait) {
                Recv::Chunk(Chunk::Console(b) | Chunk::Stderr(b)) => b,
                Recv::Timeout if !panicked || Instant::now() >= deadline => break End::Timeout,
                Recv::Timeout => break End::Panic,
                Recv::Closed => break End::Exited,
            };
            // QEMU's stderr goes in too: the course merges it into stdout.
            let _ = log.write_all(&chunk);
            if self.verbose {
                let _ = std::io::stderr().write_all(&chunk);
            }
            let from = bytes.len().saturating_sub(200);
            bytes.extend_from_slice(&chunk);
            if !panicked {
                let recent = String::from_utf8_lossy(&bytes[from..]);
                panicked = recent.lines().any(kernel_panic);
            }
            match script.feed(&chunk) {
                Next::Wait => {}
                Next::Type(line) => {
                    if q.send(line.as_bytes()).is_err() {
                        break End::Exited;
                    }
                }
                Next::Done => break End::Done,
            }
        };
        // Whatever already arrived belongs to the output too.
        while let Some(Chunk::Console(b) | Chunk::Stderr(b)) = q.try_recv() {
            let _ = log.write_all(&b);
            bytes.extend_from_slice(&b);
        }
        drop(q);
        Ok(Console {
            output: String::from_utf8_lossy(&bytes).into_owned(),
            end,
        })
    }

    fn save_failed(&mut self, item: &Item, _console: &Console) -> Option<PathBuf> {
        let to = self.saved_path(item);
        fs::copy(self.out_path(), &to).ok().map(|_| to)
    }

    fn remove_old(&mut self, item: &Item) -> Option<PathBuf> {
        let old = self.saved_path(item);
        fs::remove_file(&old).ok().map(|_| old)
    }
}

/// Copies the fs image for a lab's boots.
pub fn fresh_fs(fs: &Path, dir: &Path) -> Result<PathBuf, String> {
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let to = dir.join("fs.img");
    fs::copy(fs, &to)
        .map_err(|e| format!("cannot copy {} to {}: {e}", fs.display(), to.display()))?;
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_types_at_each_prompt() {
        let mut s = Script::new(&["cowtest"]);
        assert_eq!(s.feed(b"xv6 kernel is booting\n"), Next::Wait);
        // A prompt split over two reads still counts.
        assert_eq!(s.feed(b"init: starting sh\n$"), Next::Wait);
        assert_eq!(s.feed(b" "), Next::Type("cowtest\n".into()));
        assert_eq!(s.feed(b"cowtest\nsimple: ok\n"), Next::Wait);
        assert_eq!(s.feed(b"ALL COW TESTS PASSED\n$ "), Next::Done);
    }

    #[test]
    fn panics_of_the_kernel_only() {
        assert!(kernel_panic("panic: uvmcopy"));
        assert!(kernel_panic("test copyout: panic: kfree"));
        assert!(!kernel_panic("7: panic: index out of bounds"));
        assert!(!kernel_panic("test copyin: OK"));
    }
}
