//! `labdiff start`: a student's starting tree for one lab. The whole
//! workspace (kernel, ulib, uprogs, mkfs, the runner and grader, gdb
//! helpers) with the kernel resolved for the configuration below the lab,
//! so the lab's solution is gone, plus a Makefile and a README for the lab.
//! Optionally a marker comment above each function the solution changes.

use std::collections::BTreeMap;
use std::path::Path;

use quote::ToTokens;
use syn::visit::{self, Visit};
use toml_edit::{DocumentMut, Item};

use super::pred::FeatureSet;
use super::tree::{drop_aliases, kernel_tree, list_files, prune_lock, reduce_manifest, Tree};

/// One lab a student can start.
pub struct Lab {
    pub name: &'static str,
    /// The configuration the student starts from, and the one with the lab.
    pub from: &'static str,
    pub to: &'static str,
    /// The course handout it matches, or what it is instead.
    pub handout: &'static str,
    /// The lab's own test suites (and programs), which `make test` runs.
    pub suites: &'static str,
    /// Full marks of the course's grader; `None`: the course has none.
    pub points: Option<u32>,
    /// What to build, in a few sentences.
    pub task: &'static str,
}

pub const LABS: [Lab; 6] = [
    Lab {
        name: "lazy",
        from: "base",
        to: "lazy",
        handout: "the lazy page allocation lab (\"lazy\") of MIT 6.S081, fall 2020",
        suites: "lazytests lazystress",
        points: Some(119),
        task: "Make `sbrk` grow a process without allocating memory, and give a heap \
page its memory when it is first touched: by the program (a page fault) or by a \
system call that copies to or from it. Shrinking, `fork` and `exit` of a process \
whose heap has pages never touched must work, and running out of memory must kill \
the process (or fail the system call), never panic the kernel.",
    },
    Lab {
        name: "cow",
        from: "base",
        to: "cow",
        handout:
            "the copy-on-write fork lab (\"cow\") of MIT 6.S081 fall 2021 and 6.1810 fall 2022",
        suites: "cowtest",
        points: Some(110),
        task: "Make `fork` share the parent's pages with the child instead of copying \
them, both read-only, and copy a page only when one of the two stores to it. A \
physical page then needs a count of its users, so that it is freed by the last one, \
and a system call that stores into a shared page (`copyout`) must copy it first.",
    },
    Lab {
        name: "mmap",
        from: "base",
        to: "mmap",
        handout: "the mmap lab of MIT 6.S081 fall 2020 and 2021 and 6.1810 fall 2022",
        suites: "mmaptest",
        points: Some(140),
        task: "Add the system calls `mmap` (22) and `munmap` (23), with the course's \
arguments: a file appears in memory, each page read from the file when first \
touched; stores to a `MAP_SHARED` mapping go back to the file when it is unmapped; \
`fork` copies the mappings and `exit` ends them. The user side is here already \
(the numbers and flags in kernel/abi, the stubs in ulib); the kernel has neither.",
    },
    Lab {
        name: "zfod",
        from: "lazy",
        to: "zfod",
        handout: "no course handout: zero fill on demand is a technique from the \
course's page-fault lecture, taken one step past the lazy lab",
        suites: "lazytests zfodtest",
        points: None,
        task: "This kernel already allocates heap lazily. Make a load from a heap page \
never touched map one shared, read-only page of zeros that belongs to the kernel, \
and give the process a private zeroed page at its first store. The zero page must \
never be freed or written, by `fork`, `exit`, a shrinking `sbrk` or a system call \
storing into it.",
    },
    Lab {
        name: "demand",
        from: "base",
        to: "demand",
        handout: "no course handout: demand paging of a program is a technique from \
the course's page-fault lecture",
        suites: "demandtest",
        points: None,
        task: "Make `exec` check the program's headers but load none of its pages; \
each page is read from the program file on its first touch (zeros for bss), with \
the segment's permissions, so a store into text still kills. `fork`, `exit`, a \
later `exec` and a shrinking `sbrk` must keep the file and its records right.",
    },
    Lab {
        name: "swap",
        from: "base",
        to: "swap",
        handout: "no course handout: paging to disk is a technique from the course's \
page-fault lecture",
        suites: "swaptest",
        points: None,
        task: "When memory runs out, write pages that have not been used lately to a \
second virtio disk (`make qemu` attaches swap.img) and read them back at the next \
fault, so a process can use more memory than the machine has. `swapstat` (system \
call 24) reports the counts that swaptest checks.",
    },
];

pub fn find(name: &str) -> Option<&'static Lab> {
    LABS.iter().find(|l| l.name == name)
}

/// The lab names for messages: `lazy, cow, mmap, zfod, demand or swap`.
pub fn names() -> String {
    let n: Vec<&str> = LABS.iter().map(|l| l.name).collect();
    format!("{} or {}", n[..n.len() - 1].join(", "), n[n.len() - 1])
}

/// The workspace members a starting tree has: all but labdiff.
const MEMBERS: [&str; 5] = ["kernel", "ulib", "uprogs", "mkfs", "tools/runner"];
/// Their package names, for the lock file.
const PACKAGES: [&str; 5] = ["kernel", "ulib", "uprogs", "mkfs", "tools"];
/// Copied as they are.
const COPIED: [&str; 8] = [
    "ulib",
    "uprogs",
    "mkfs",
    "tools/runner",
    "gdb",
    ".gdbinit.tmpl",
    ".gitignore",
    "rust-toolchain.toml",
];

const MAKEFILE: &str = include_str!("../labstart/Makefile");

/// The starting tree of `lab` from the workspace at `root`; with `markers`,
/// a comment above each function that the lab's solution changes.
pub fn start_tree(root: &Path, lab: &Lab, markers: bool) -> Result<Tree, String> {
    let set = |s| FeatureSet::parse(s).expect("a lab's set");
    let (mut tree, _) = kernel_tree(root, &set(lab.from))?;
    if markers {
        let (solution, _) = kernel_tree(root, &set(lab.to))?;
        mark(&mut tree, &solution, lab.name)?;
    }
    for name in COPIED {
        let path = root.join(name);
        let mut files = Vec::new();
        if path.is_dir() {
            list_files(&path, name, &mut files).map_err(|e| format!("{name}: {e}"))?;
        } else {
            files.push(name.to_string());
        }
        for rel in files {
            let bytes = std::fs::read(root.join(&rel)).map_err(|e| format!("{rel}: {e}"))?;
            tree.files.insert(rel, bytes);
        }
    }
    let read =
        |name: &str| std::fs::read_to_string(root.join(name)).map_err(|e| format!("{name}: {e}"));
    let manifest = reduce_manifest(&read("Cargo.toml")?, &MEMBERS)?;
    tree.add("Cargo.toml", manifest);
    tree.add("Cargo.lock", prune_lock(&read("Cargo.lock")?, &PACKAGES));
    tree.add(
        ".cargo/config.toml",
        keep_aliases(&read(".cargo/config.toml")?)?,
    );
    let makefile = MAKEFILE
        .replace("@LAB@", lab.name)
        .replace("@SUITES@", lab.suites);
    tree.add("Makefile", makefile);
    tree.add("README.md", readme(lab, markers));
    Ok(tree)
}

/// The cargo config with the aliases that run crates the tree has, and
/// without `-p labdiff` in the others.
fn keep_aliases(text: &str) -> Result<String, String> {
    let mut doc: DocumentMut = text.parse().map_err(|e| format!("{e}"))?;
    let Some(aliases) = doc.get_mut("alias").and_then(Item::as_table_like_mut) else {
        return Ok(text.into());
    };
    let mut gone = Vec::new();
    for (name, value) in aliases.iter_mut() {
        let Some(cmd) = value.as_str() else { continue };
        let words: Vec<&str> = cmd.split(' ').collect();
        let mut kept = Vec::new();
        let mut packages = 0;
        let mut i = 0;
        while i < words.len() {
            if words[i] == "-p" && i + 1 < words.len() {
                if words[i + 1] == "labdiff" {
                    i += 2;
                    continue;
                }
                packages += 1;
            }
            kept.push(words[i]);
            i += 1;
        }
        if kept.len() == words.len() {
            continue;
        }
        if packages == 0 {
            gone.push(name.to_string());
        } else {
            *value = toml_edit::value(kept.join(" "));
        }
    }
    for name in gone {
        aliases.remove(&name);
    }
    if aliases.is_empty() {
        return drop_aliases(text);
    }
    Ok(doc.to_string())
}

/// Functions of one file: (path of names, first line, tokens).
#[derive(Default)]
struct Fns {
    path: Vec<String>,
    found: Vec<(String, usize, String)>,
}

impl Fns {
    fn add(&mut self, name: &syn::Ident, attrs: &[syn::Attribute], item: &dyn ToTokens) {
        // Doc comments are attributes: the marker goes above them.
        let line = attrs
            .iter()
            .map(|a| a.pound_token.span.start().line)
            .chain([first_line(item)])
            .min()
            .unwrap_or(1);
        let mut key = self.path.clone();
        key.push(name.to_string());
        self.found
            .push((key.join("::"), line, item.to_token_stream().to_string()));
    }
}

/// The line of an item's first token.
fn first_line(item: &dyn ToTokens) -> usize {
    item.to_token_stream()
        .into_iter()
        .next()
        .map_or(usize::MAX, |t| t.span().start().line)
}

impl<'a> Visit<'a> for Fns {
    fn visit_item_fn(&mut self, f: &'a syn::ItemFn) {
        self.add(&f.sig.ident, &f.attrs, f);
        self.path.push(f.sig.ident.to_string());
        visit::visit_item_fn(self, f);
        self.path.pop();
    }
    fn visit_impl_item_fn(&mut self, f: &'a syn::ImplItemFn) {
        self.add(&f.sig.ident, &f.attrs, f);
        self.path.push(f.sig.ident.to_string());
        visit::visit_impl_item_fn(self, f);
        self.path.pop();
    }
    fn visit_item_impl(&mut self, i: &'a syn::ItemImpl) {
        self.path
            .push(format!("impl {}", i.self_ty.to_token_stream()));
        visit::visit_item_impl(self, i);
        self.path.pop();
    }
    fn visit_item_mod(&mut self, m: &'a syn::ItemMod) {
        self.path.push(m.ident.to_string());
        visit::visit_item_mod(self, m);
        self.path.pop();
    }
}

fn fns(path: &str, text: &str) -> Result<Vec<(String, usize, String)>, String> {
    let file = syn::parse_file(text).map_err(|e| format!("{path}: {e}"))?;
    let mut v = Fns::default();
    v.visit_file(&file);
    Ok(v.found)
}

/// Puts a comment above each function of `tree` that `solution` has
/// changed or removed (tokens compared, so comments do not count).
pub fn mark(tree: &mut Tree, solution: &Tree, lab: &str) -> Result<(), String> {
    for (path, bytes) in tree.files.iter_mut() {
        let Some(after) = solution.files.get(path) else {
            continue;
        };
        if !path.ends_with(".rs") || after == bytes {
            continue;
        }
        let text = String::from_utf8_lossy(bytes).into_owned();
        let theirs: BTreeMap<String, String> = fns(path, &String::from_utf8_lossy(after))?
            .into_iter()
            .map(|(k, _, t)| (k, t))
            .collect();
        let mut lines: Vec<String> = text.split_inclusive('\n').map(String::from).collect();
        let mut at: Vec<usize> = fns(path, &text)?
            .into_iter()
            .filter(|(k, _, t)| theirs.get(k) != Some(t))
            .map(|(_, line, _)| line)
            .collect();
        at.sort_unstable();
        at.dedup();
        for line in at.into_iter().rev() {
            let indent: String = lines[line - 1]
                .chars()
                .take_while(|c| c.is_whitespace() && *c != '\n')
                .collect();
            let note = format!("{indent}// LAB {lab}: the solution changes this function.\n");
            lines.insert(line - 1, note);
        }
        *bytes = lines.concat().into_bytes();
    }
    Ok(())
}

/// Wraps each paragraph of `text` at 76 columns; indented lines (code)
/// stay as they are.
fn wrap(text: &str) -> String {
    let mut out = String::new();
    for para in text.split("\n\n") {
        if para.starts_with("    ") || para.starts_with('#') {
            out.push_str(para);
        } else {
            let mut col = 0;
            for word in para.split_whitespace() {
                if col > 0 && col + 1 + word.len() > 76 {
                    out.push('\n');
                    col = 0;
                } else if col > 0 {
                    out.push(' ');
                    col += 1;
                }
                out.push_str(word);
                col += word.len();
            }
        }
        out.push_str("\n\n");
    }
    format!("{}\n", out.trim_end())
}

/// The tree's README.md.
fn readme(lab: &Lab, markers: bool) -> String {
    let name = lab.name;
    let start = match lab.from {
        "base" => "the plain xv6 kernel (no lab)".to_string(),
        s => format!("the kernel with the `{s}` lab done"),
    };
    let tests = lab
        .suites
        .split(' ')
        .map(|t| format!("`{t}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let grade = match lab.points {
        Some(p) => format!(
            "    make grade           # the course's grader on the kernel this tree builds\n\
             \x20   make grade KERNEL=path   # ... or on another kernel file\n\n\
             `make grade` types what the course's grader types and prints its \
             transcript, ending in `Score: N/{p}`. Its last item, `time`, wants a file \
             `time.txt` here holding the hours you spent (one whole number). The \
             console of the latest boot is in `target/grade-logs/{name}/xv6.out`; on a \
             slow machine `make grade GRADEFLAGS=--timeout-scale=2` doubles the \
             timeouts.\n"
        ),
        None => {
            "    make grade           # no course grader for this lab: runs make test\n".to_string()
        }
    };
    let done = match lab.points {
        Some(p) => {
            format!("`make grade` prints `Score: {p}/{p}`, and `make test` ends with `0 failed`")
        }
        None => "`make test` ends with `0 failed`".to_string(),
    };
    let markers = if markers {
        format!(
            "\nA comment `// LAB {name}: the solution changes this function.` sits \
             above each function that the reference solution changes (it may also \
             add functions and files).\n"
        )
    } else {
        String::new()
    };
    wrap(&format!(
        "# xv6-rs: the {name} lab\n\n\
         This is a starting tree for the `{name}` lab of xv6-rs, MIT's xv6-riscv \
         rewritten in Rust, module by module. The lab matches {handout}. The kernel \
         here is {start}: the lab is yours to write.\n\n\
         ## The task\n\n\
         {task}\n\n\
         Each xv6 C file is a Rust module of the same name in `kernel/src` (vm.c is \
         `vm.rs`, trap.c `trap.rs`, kalloc.c `kalloc.rs`, proc.c `proc.rs`), with \
         the same function names: where a course hint names a C function, look for \
         the same name here.\n{markers}\n\
         ## Commands\n\n\
         \x20   make                 # the kernel, the user programs and fs.img\n\
         \x20   make qemu            # boot xv6 (quit: Ctrl-A x); CPUS=1 for one hart\n\
         \x20   make test            # the lab's suites under QEMU\n\
         {grade}\n\
         The lab's test programs are {tests}: type them at the xv6 shell after \
         `make qemu`, then `usertests -q`. `make test` runs them, a shell check \
         and the attack programs (hostile system calls every kernel must \
         survive){ut}, each on a fresh boot; logs are in `target/test-logs/`. \
         The disk also holds the test programs of the other labs; they fail on \
         this kernel.\n\n\
         For gdb: `make qemu-gdb CPUS=1` here and `gdb-multiarch` in a second \
         terminal; `break uvmcopy` works by xv6's names, `vmprint` shows a page \
         table (gdb/xv6.py).\n\n\
         ## Done\n\n\
         The lab is done when {done}. This tree is a git repository: commit as \
         you go; `git diff start` shows all you have changed since the start.\n",
        handout = lab.handout,
        task = lab.task,
        ut = if lab.name == "swap" {
            ", but not `usertests -q` (too slow there with swap; type it yourself)"
        } else {
            ", then `usertests -q`"
        },
    ))
}
