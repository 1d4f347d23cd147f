//! Starting QEMU and talking to the xv6 console over its stdin/stdout.

use std::ffi::{OsStr, OsString};
use std::io::{self, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

pub const DEFAULT_QEMU: &str = "qemu-system-riscv64";

/// The machine xv6 expects (as in xv6's Makefile), without console options.
pub fn machine_args(kernel: &Path, fs: &Path, cpus: u32) -> Vec<OsString> {
    // QEMU reads a comma in an option value as a separator unless doubled.
    let mut drive = OsString::from("file=");
    drive.push(fs.to_string_lossy().replace(',', ",,"));
    drive.push(",if=none,format=raw,id=x0");
    let mut args: Vec<OsString> = ["-machine", "virt", "-bios", "none", "-kernel"]
        .iter()
        .map(OsString::from)
        .collect();
    args.push(kernel.as_os_str().to_owned());
    for a in ["-m", "128M", "-smp"] {
        args.push(a.into());
    }
    args.push(cpus.to_string().into());
    for a in ["-global", "virtio-mmio.force-legacy=false", "-drive"] {
        args.push(a.into());
    }
    args.push(drive);
    for a in [
        "-device",
        "virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0",
    ] {
        args.push(a.into());
    }
    args
}

/// Makes `path` a sparse file of `mb` MiB, for the swap disk.
pub fn make_swap(path: &Path, mb: u64) -> Result<(), String> {
    let fail = |e: io::Error| format!("{}: {e}", path.display());
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let f = std::fs::File::create(path).map_err(fail)?;
    f.set_len(mb << 20).map_err(fail)
}

/// A swap disk (lab `swap`) at the next virtio slot, after the file system's.
pub fn swap_args(swap: &Path) -> Vec<OsString> {
    let mut drive = OsString::from("file=");
    drive.push(swap.to_string_lossy().replace(',', ",,"));
    drive.push(",if=none,format=raw,id=x1");
    vec![
        "-drive".into(),
        drive,
        "-device".into(),
        "virtio-blk-device,drive=x1,bus=virtio-mmio-bus.1".into(),
    ]
}

/// For a person at a terminal: the serial console and QEMU's monitor on stdio (Ctrl-A x quits).
pub fn interactive_args(kernel: &Path, fs: &Path, cpus: u32) -> Vec<OsString> {
    let mut args = machine_args(kernel, fs, cpus);
    args.push("-nographic".into());
    args
}

/// For the runner: the serial console alone on stdio, so no byte is taken as a monitor key.
pub fn runner_args(kernel: &Path, fs: &Path, cpus: u32) -> Vec<OsString> {
    let mut args = machine_args(kernel, fs, cpus);
    for a in ["-nographic", "-serial", "stdio", "-monitor", "none"] {
        args.push(a.into());
    }
    args
}

/// A command line as a shell would take it.
pub fn shell_line(program: &OsStr, args: &[OsString]) -> String {
    std::iter::once(program)
        .chain(args.iter().map(OsString::as_os_str))
        .map(|a| quote(&a.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn quote(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./=,:+@%".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// A piece of QEMU output.
#[derive(Debug)]
pub enum Chunk {
    Console(Vec<u8>),
    Stderr(Vec<u8>),
}

pub enum Recv {
    Chunk(Chunk),
    Timeout,
    /// QEMU closed both outputs: it has exited.
    Closed,
}

/// A running QEMU. Dropping it kills QEMU.
pub struct Qemu {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Chunk>,
}

/// Forwards everything a pipe yields to the channel until it closes.
fn pump(mut pipe: impl Read + Send + 'static, tx: Sender<Chunk>, wrap: fn(Vec<u8>) -> Chunk) {
    thread::spawn(move || {
        let mut buf = [0u8; 4096];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    if tx.send(wrap(buf[..n].to_vec())).is_err() {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
    });
}

impl Qemu {
    pub fn spawn(program: &OsStr, args: &[OsString]) -> io::Result<Qemu> {
        let start = || {
            Command::new(program)
                .args(args)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
        };
        // A program file just written (the tests' fake QEMU) is "busy" while
        // another thread's fork still holds it open for writing, until that
        // child execs: try again a few times.
        let mut tries = 0;
        let mut child = loop {
            match start() {
                Err(e) if e.raw_os_error() == Some(26) && tries < 20 => {
                    tries += 1;
                    thread::sleep(Duration::from_millis(20));
                }
                r => break r?,
            }
        };
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        pump(stdout, tx.clone(), Chunk::Console);
        pump(stderr, tx, Chunk::Stderr);
        let stdin = child.stdin.take().expect("piped stdin");
        Ok(Qemu { child, stdin, rx })
    }

    /// Types bytes on the console.
    pub fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stdin.write_all(bytes)?;
        self.stdin.flush()
    }

    /// Waits for output until `deadline`.
    pub fn recv(&self, deadline: Instant) -> Recv {
        let wait = deadline.saturating_duration_since(Instant::now());
        match self.rx.recv_timeout(wait) {
            Ok(c) => Recv::Chunk(c),
            Err(RecvTimeoutError::Timeout) => Recv::Timeout,
            Err(RecvTimeoutError::Disconnected) => Recv::Closed,
        }
    }

    /// Output that is already waiting, without blocking.
    pub fn try_recv(&self) -> Option<Chunk> {
        self.rx.try_recv().ok()
    }

    /// How QEMU ended, once its outputs have closed.
    pub fn exit_status(&mut self) -> String {
        for _ in 0..20 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.to_string();
            }
            thread::sleep(Duration::from_millis(50));
        }
        "still running, outputs closed".to_string()
    }
}

impl Drop for Qemu {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_match_xv6_makefile() {
        let args = runner_args(Path::new("k"), Path::new("/tmp/a,b.img"), 3);
        let line = shell_line(OsStr::new(DEFAULT_QEMU), &args);
        assert_eq!(
            line,
            "qemu-system-riscv64 -machine virt -bios none -kernel k -m 128M -smp 3 \
             -global virtio-mmio.force-legacy=false \
             -drive file=/tmp/a,,b.img,if=none,format=raw,id=x0 \
             -device virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0 \
             -nographic -serial stdio -monitor none"
        );
        assert_eq!(quote("a b'c"), r"'a b'\''c'");
    }
}
