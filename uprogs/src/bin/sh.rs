//! sh: the xv6 shell. Reads commands from standard input and runs them,
//! with pipes (`|`), redirection (`<`, `>`, `>>`), sequencing (`;`),
//! background jobs (`&`), grouping with parentheses, and a `cd` builtin.
//!
//! Each command line is parsed and run in a forked child; the parser builds
//! a tree of [`Cmd`] nodes and [`runcmd`] executes it, forking further for
//! pipes, lists and background jobs.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::boxed::Box;
use alloc::ffi::CString;
use alloc::vec::Vec;
use ulib::{
    chdir, close, dup, eprint, exec, exit, fork, gets, open, pipe, strlen, wait, write, Args, CStr,
    Out, O_CREATE, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY,
};

ulib::entry!(main);

/// Most words one simple command may have (the last slot stays empty, so
/// at most MAXARGS - 1 are accepted).
const MAXARGS: usize = 10;

/// A parsed command.
enum Cmd {
    /// A program and its arguments (empty when the command had no words).
    Exec(Vec<CString>),
    /// Run `cmd` with `fd` replaced by `file` opened with `mode`.
    Redir {
        cmd: Box<Cmd>,
        file: CString,
        mode: i32,
        fd: i32,
    },
    /// `left | right`
    Pipe(Box<Cmd>, Box<Cmd>),
    /// `left ; right`
    List(Box<Cmd>, Box<Cmd>),
    /// `cmd &`
    Back(Box<Cmd>),
}

/// Prints `s` and gives up; in xv6's shell this ends only the child that
/// was parsing or running a command (or the shell itself if fork fails).
fn panic(s: &str) -> ! {
    eprint!("{s}\n");
    exit(1);
}

/// fork, with failure fatal.
fn fork1() -> i32 {
    let pid = fork();
    if pid == -1 {
        panic("fork");
    }
    pid
}

/// Runs `cmd` in this process, then exits; never returns.
fn runcmd(cmd: &Cmd) -> ! {
    match cmd {
        Cmd::Exec(argv) => {
            let Some(prog) = argv.first() else {
                exit(1);
            };
            let args: Vec<&CStr> = argv.iter().map(|a| a.as_c_str()).collect();
            exec(prog, &args);
            Out::new(2)
                .str("exec ")
                .bytes(prog.to_bytes())
                .str(" failed\n");
        }
        Cmd::Redir {
            cmd,
            file,
            mode,
            fd,
        } => {
            // open returns the lowest free descriptor, which is now `fd`.
            close(*fd);
            if open(file, *mode) < 0 {
                Out::new(2)
                    .str("open ")
                    .bytes(file.to_bytes())
                    .str(" failed\n");
                exit(1);
            }
            runcmd(cmd);
        }
        Cmd::List(left, right) => {
            if fork1() == 0 {
                runcmd(left);
            }
            wait(None);
            runcmd(right);
        }
        Cmd::Pipe(left, right) => {
            let mut p = [0i32; 2];
            if pipe(&mut p) < 0 {
                panic("pipe");
            }
            if fork1() == 0 {
                // Standard output becomes the pipe's write end.
                close(1);
                dup(p[1]);
                close(p[0]);
                close(p[1]);
                runcmd(left);
            }
            if fork1() == 0 {
                // Standard input becomes the pipe's read end.
                close(0);
                dup(p[0]);
                close(p[0]);
                close(p[1]);
                runcmd(right);
            }
            close(p[0]);
            close(p[1]);
            wait(None);
            wait(None);
        }
        Cmd::Back(cmd) => {
            if fork1() == 0 {
                runcmd(cmd);
            }
        }
    }
    exit(0);
}

/// Prompts on standard error and reads a line into `buf`; -1 at end of input.
fn getcmd(buf: &mut [u8]) -> i32 {
    write(2, b"$ ");
    buf.fill(0);
    gets(buf);
    if buf[0] == 0 {
        return -1;
    }
    0
}

fn main(_args: Args) {
    let mut buf = [0u8; 100];

    // Make sure fds 0, 1 and 2 are open (on the console if they were not).
    loop {
        let fd = open(c"console", O_RDWR);
        if fd < 0 {
            break;
        }
        if fd >= 3 {
            close(fd);
            break;
        }
    }

    while getcmd(&mut buf) >= 0 {
        if buf.starts_with(b"cd ") {
            // cd must change the shell's own directory, so no fork. The
            // last byte of the line (normally its newline) is dropped.
            let len = strlen(&buf);
            buf[len - 1] = 0;
            if let Ok(dir) = CStr::from_bytes_until_nul(&buf[3..]) {
                if chdir(dir) < 0 {
                    Out::new(2)
                        .str("cannot cd ")
                        .bytes(dir.to_bytes())
                        .str("\n");
                }
            }
            continue;
        }
        if fork1() == 0 {
            let line = &buf[..strlen(&buf)];
            runcmd(&parsecmd(line));
        }
        wait(None);
    }
    exit(0);
}

// Parsing. The grammar, as in xv6:
//   line  = pipe { "&" } [ ";" line ]
//   pipe  = exec [ "|" pipe ]
//   exec  = "(" line ")" redirs | redirs { word redirs }
//   redirs = { ("<" | ">" | ">>") word }

const WHITESPACE: &[u8] = b" \t\r\n\x0b";
const SYMBOLS: &[u8] = b"<|>&;()";

/// Token kinds returned by [`Parser::gettoken`]: the symbol itself, `+` for
/// `>>`, `a` for a word, and 0 at the end of the line.
const WORD: u8 = b'a';
const APPEND: u8 = b'+';

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    /// The byte at `i`, or 0 at and past the end (the C string's NUL).
    fn at(&self, i: usize) -> u8 {
        self.s.get(i).copied().unwrap_or(0)
    }

    fn skip_whitespace(&mut self) {
        while self.pos < self.s.len() && WHITESPACE.contains(&self.s[self.pos]) {
            self.pos += 1;
        }
    }

    /// Consumes the next token; returns its kind and where its text lies.
    fn gettoken(&mut self) -> (u8, usize, usize) {
        self.skip_whitespace();
        let start = self.pos;
        let mut tok = self.at(self.pos);
        match tok {
            0 => {}
            b'|' | b'(' | b')' | b';' | b'&' | b'<' => self.pos += 1,
            b'>' => {
                self.pos += 1;
                if self.at(self.pos) == b'>' {
                    tok = APPEND;
                    self.pos += 1;
                }
            }
            _ => {
                tok = WORD;
                while self.pos < self.s.len()
                    && !WHITESPACE.contains(&self.s[self.pos])
                    && !SYMBOLS.contains(&self.s[self.pos])
                {
                    self.pos += 1;
                }
            }
        }
        let end = self.pos;
        self.skip_whitespace();
        (tok, start, end)
    }

    /// Skips blanks; is the next byte one of `toks`?
    fn peek(&mut self, toks: &[u8]) -> bool {
        self.skip_whitespace();
        let c = self.at(self.pos);
        c != 0 && toks.contains(&c)
    }

    /// The text of a word token as a C string, for exec and open.
    fn word(&self, start: usize, end: usize) -> CString {
        // The line was cut at its first NUL, so this cannot fail.
        CString::new(&self.s[start..end]).unwrap_or_else(|_| panic("syntax"))
    }

    fn parseline(&mut self) -> Box<Cmd> {
        let mut cmd = self.parsepipe();
        while self.peek(b"&") {
            self.gettoken();
            cmd = Box::new(Cmd::Back(cmd));
        }
        if self.peek(b";") {
            self.gettoken();
            cmd = Box::new(Cmd::List(cmd, self.parseline()));
        }
        cmd
    }

    fn parsepipe(&mut self) -> Box<Cmd> {
        let mut cmd = self.parseexec();
        if self.peek(b"|") {
            self.gettoken();
            cmd = Box::new(Cmd::Pipe(cmd, self.parsepipe()));
        }
        cmd
    }

    /// Wraps `cmd` in each redirection that follows, innermost first.
    fn parseredirs(&mut self, mut cmd: Box<Cmd>) -> Box<Cmd> {
        while self.peek(b"<>") {
            let (tok, _, _) = self.gettoken();
            let (kind, start, end) = self.gettoken();
            if kind != WORD {
                panic("missing file for redirection");
            }
            let file = self.word(start, end);
            // xv6 (2022) opens for `>>` without truncating, but also without
            // seeking to the end: writing starts at offset 0.
            let (mode, fd) = match tok {
                b'<' => (O_RDONLY, 0),
                b'>' => (O_WRONLY | O_CREATE | O_TRUNC, 1),
                _ => (O_WRONLY | O_CREATE, 1),
            };
            cmd = Box::new(Cmd::Redir {
                cmd,
                file,
                mode,
                fd,
            });
        }
        cmd
    }

    fn parseblock(&mut self) -> Box<Cmd> {
        if !self.peek(b"(") {
            panic("parseblock");
        }
        self.gettoken();
        let cmd = self.parseline();
        if !self.peek(b")") {
            panic("syntax - missing )");
        }
        self.gettoken();
        self.parseredirs(cmd)
    }

    fn parseexec(&mut self) -> Box<Cmd> {
        if self.peek(b"(") {
            return self.parseblock();
        }

        // Redirections may come before, between and after the words; they
        // all wrap the one exec node, whose words are filled in at the end.
        let mut argv = Vec::new();
        let mut ret = self.parseredirs(Box::new(Cmd::Exec(Vec::new())));
        while !self.peek(b"|)&;") {
            let (tok, start, end) = self.gettoken();
            if tok == 0 {
                break;
            }
            if tok != WORD {
                panic("syntax");
            }
            argv.push(self.word(start, end));
            if argv.len() >= MAXARGS {
                panic("too many args");
            }
            ret = self.parseredirs(ret);
        }
        set_argv(&mut ret, argv);
        ret
    }
}

/// Stores `argv` in the exec node at the bottom of a chain of redirections.
fn set_argv(mut cmd: &mut Cmd, argv: Vec<CString>) {
    loop {
        match cmd {
            Cmd::Redir { cmd: inner, .. } => cmd = inner,
            Cmd::Exec(words) => {
                *words = argv;
                return;
            }
            _ => return,
        }
    }
}

/// Parses a whole command line (without its NUL); a syntax error ends the
/// process after saying what was left over.
fn parsecmd(line: &[u8]) -> Box<Cmd> {
    let mut ps = Parser { s: line, pos: 0 };
    let cmd = ps.parseline();
    ps.peek(b"");
    if ps.pos != line.len() {
        Out::new(2)
            .str("leftovers: ")
            .bytes(&line[ps.pos..])
            .str("\n");
        panic("syntax");
    }
    cmd
}
