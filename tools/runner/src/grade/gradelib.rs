//! The course's gradelib, as its graders use it: items run in order, each
//! running its parent first (once); a failed parent fails its children
//! without checking them; an item that boots replaces the output the
//! items after it look at; the points of every item count in the total,
//! whether it passed or not. The printing is gradelib's, trailing blanks
//! included, so a transcript compares line for line with the course's.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::checks;
use super::labs::{Boot, Check, Item, Lab};

/// How a boot ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The shell prompt came back after the last command.
    Done,
    /// The boot's time ran out; the output so far is graded.
    Timeout,
    /// The kernel panicked. No more output can come, so the boot stops
    /// here instead of waiting out its timeout; the grade is the same.
    Panic,
    /// QEMU exited.
    Exited,
}

/// What one boot printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Console {
    pub output: String,
    pub end: End,
}

/// Something that boots the kernel for an item: QEMU, or recorded text.
pub trait Booter {
    /// Boots for `item` (whose `boot` is set) and returns its console.
    fn boot(&mut self, item: &Item, boot: &Boot) -> Result<Console, String>;

    /// Keeps the console of a failed booting item, as gradelib copies
    /// xv6.out to xv6.out.NAME; returns where it went.
    fn save_failed(&mut self, _item: &Item, _console: &Console) -> Option<PathBuf> {
        None
    }

    /// Removes a console kept by an earlier failure of this item; returns
    /// what it removed.
    fn remove_old(&mut self, _item: &Item) -> Option<PathBuf> {
        None
    }
}

/// gradelib colours OK and FAIL (and GOOD, BAD, MISSING in its line
/// reports) when asked or when writing to a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paint(pub bool);

impl Paint {
    pub fn red(self, s: &str) -> String {
        self.wrap("\x1b[31m", s)
    }

    pub fn green(self, s: &str) -> String {
        self.wrap("\x1b[32m", s)
    }

    fn wrap(self, code: &str, s: &str) -> String {
        if self.0 {
            format!("{code}{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

/// The outcome of one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub title: &'static str,
    pub points: u32,
    /// None when it passed, else gradelib's failure message.
    pub fail: Option<String>,
}

/// Grades `lab`: prints each item and the closing `Score: N/M`; returns
/// every item's outcome in order.
pub fn grade(
    lab: &Lab,
    booter: &mut dyn Booter,
    time_file: &Path,
    paint: Paint,
    out: &mut dyn Write,
) -> io::Result<Vec<Outcome>> {
    let mut g = Grading {
        lab,
        booter,
        time_file,
        paint,
        out,
        done: vec![None; lab.items.len()],
        latest: None,
    };
    for i in 0..lab.items.len() {
        g.run(i)?;
    }
    let outcomes: Vec<Outcome> = g
        .done
        .into_iter()
        .map(|o| o.expect("every item ran"))
        .collect();
    let (got, max) = score(&outcomes);
    writeln!(g.out, "Score: {got}/{max}")?;
    g.out.flush()?;
    Ok(outcomes)
}

/// (points earned, points possible).
pub fn score(outcomes: &[Outcome]) -> (u32, u32) {
    outcomes.iter().fold((0, 0), |(got, max), o| {
        let earned = if o.fail.is_none() { o.points } else { 0 };
        (got + earned, max + o.points)
    })
}

struct Grading<'a> {
    lab: &'a Lab,
    booter: &'a mut dyn Booter,
    time_file: &'a Path,
    paint: Paint,
    out: &'a mut dyn Write,
    done: Vec<Option<Outcome>>,
    /// The output of the latest boot, which checks look at.
    latest: Option<Console>,
}

impl Grading<'_> {
    /// Runs item `i` unless it already ran; true if it passed.
    fn run(&mut self, i: usize) -> io::Result<bool> {
        if let Some(o) = &self.done[i] {
            return Ok(o.fail.is_none());
        }
        let item = &self.lab.items[i];
        let parent_ok = match item.parent {
            Some(p) => self.run(p)?,
            None => true,
        };
        // A child's title is indented, and its header ends the line.
        let title = match item.parent {
            Some(_) => format!("  {}", item.title),
            None => item.title.to_string(),
        };
        write!(self.out, "== Test {title} == ")?;
        if item.parent.is_some() {
            writeln!(self.out)?;
        }
        self.out.flush()?;
        let start = Instant::now();
        let fail = if parent_ok {
            self.attempt(item)?
        } else {
            let p = item.parent.map_or("", |p| self.lab.items[p].func);
            Some(format!("Parent failed: {p}"))
        };
        if item.points > 0 {
            let verdict = match fail {
                Some(_) => self.paint.red("FAIL"),
                None => self.paint.green("OK"),
            };
            write!(self.out, "{title}: {verdict} ")?;
        }
        let secs = start.elapsed().as_secs_f64();
        if secs > 0.1 {
            write!(self.out, "({secs:.1}s) ")?;
        }
        writeln!(self.out)?;
        if let Some(msg) = &fail {
            writeln!(self.out, "    {}", msg.replace('\n', "\n    "))?;
        }
        if item.boot.is_some() {
            self.after_boot(item, fail.is_some())?;
        }
        self.done[i] = Some(Outcome {
            title: item.title,
            points: item.points,
            fail: fail.clone(),
        });
        Ok(fail.is_none())
    }

    /// Boots if the item does, then applies its check; the failure
    /// message if it failed.
    fn attempt(&mut self, item: &Item) -> io::Result<Option<String>> {
        if let Some(boot) = &item.boot {
            match self.booter.boot(item, boot) {
                Ok(console) => {
                    match console.end {
                        End::Timeout => write!(self.out, "Timeout! ")?,
                        End::Panic => write!(self.out, "Panic! ")?,
                        End::Done | End::Exited => {}
                    }
                    self.latest = Some(console);
                }
                Err(e) => {
                    // gradelib gives up on the whole run when QEMU will
                    // not start; here the item fails and grading goes on.
                    self.latest = None;
                    return Ok(Some(format!("cannot boot: {e}")));
                }
            }
        }
        let output = self.latest.as_ref().map_or("", |c| c.output.as_str());
        Ok(match item.check {
            Check::None => None,
            Check::Line(re) => checks::lines_match(output, &[re], self.paint).err(),
            Check::Count { regex, times, what } => checks::count(output, regex, times, what).err(),
            Check::Pair(a, b) => checks::pair(output, a, b).err(),
            Check::Time => {
                // check_time prints an empty line before it looks.
                writeln!(self.out)?;
                checks::time(self.time_file).err()
            }
        })
    }

    /// gradelib's save monitor: a failed booting item keeps its output.
    fn after_boot(&mut self, item: &Item, failed: bool) -> io::Result<()> {
        if failed {
            if let Some(console) = &self.latest {
                if let Some(p) = self.booter.save_failed(item, console) {
                    writeln!(self.out, "    QEMU output saved to {}", p.display())?;
                }
            }
        } else if let Some(p) = self.booter.remove_old(item) {
            writeln!(self.out, "    (Old {} failure log removed)", p.display())?;
        }
        Ok(())
    }
}
