//! The lab diff on the real kernel sources: trees, diffs, the CLI, git.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use labdiff::pred::LAB_CFGS;
use labdiff::tree::{kernel_tree, workspace_tree, Tree};
use labdiff::udiff::{diff_trees, write_summary};
use labdiff::{FeatureSet, IMPLIES, LAB_FEATURES};

mod common;
use common::{root, run_ok};

fn tree(set: &str) -> Tree {
    let (t, warnings) = kernel_tree(&root(), &FeatureSet::parse(set).unwrap()).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    t
}

fn text(t: &Tree, path: &str) -> String {
    String::from_utf8(t.files[path].clone()).unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cfgdiff-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    dir
}

/// Whether any file of the kernel package contains `text`.
fn kernel_mentions(text: &str) -> bool {
    fn walk(dir: &Path, text: &str) -> bool {
        fs::read_dir(dir).unwrap().any(|e| {
            let e = e.unwrap();
            let path = e.path();
            if e.file_type().unwrap().is_dir() {
                e.file_name() != "target" && walk(&path, text)
            } else {
                String::from_utf8_lossy(&fs::read(&path).unwrap()).contains(text)
            }
        })
    }
    walk(&root().join("kernel"), text)
}

#[test]
fn every_set_resolves_every_lab_cfg() {
    for set in FeatureSet::all() {
        let t = tree(&set.features());
        assert!(t.files.contains_key("kernel/src/main.rs"));
        assert!(t.files.contains_key("kernel/abi/lib.rs"));
        assert!(t.files.contains_key("kernel/kernel.ld"));
        for (path, bytes) in &t.files {
            let s = String::from_utf8_lossy(bytes);
            for f in [
                "feature = \"lazy\"",
                "feature = \"cow\"",
                "feature = \"mmap\"",
                "feature = \"zfod\"",
                "feature = \"demand\"",
            ] {
                assert!(!s.contains(f), "{set}: {path} still has {f}");
            }
            // A file the labs do not touch is copied byte for byte; the
            // manifest loses what the lab features turn on (zfod's lazy).
            let orig = fs::read(root().join(path)).unwrap();
            let orig = String::from_utf8_lossy(&orig);
            if path == "kernel/Cargo.toml" {
                let want = orig.replace("zfod = [\"lazy\"]", "zfod = []");
                assert_eq!(s, want, "{set}: {path}");
            } else if !orig.contains("feature = \"")
                && !LAB_CFGS.iter().any(|(name, _)| orig.contains(name))
            {
                assert_eq!(s, orig, "{set}: {path} changed");
            }
        }
    }
}

#[test]
fn the_labs_read_as_expected() {
    let base = tree("");
    let lazy = tree("lazy");
    let cow = tree("cow");
    let both = tree("lazy,cow");
    let vm = text(&base, "kernel/src/vm.rs");
    assert!(!vm.contains("fn uvmfault"));
    // Base needs no `sz` in user_page: the parameter says so by its name.
    assert!(
        vm.contains("\nfn user_page(pagetable: PageTable, _sz: usize, va0: usize, write: bool)")
    );
    assert!(text(&lazy, "kernel/src/vm.rs").contains("fn uvmlazyalloc"));
    assert!(!text(&lazy, "kernel/src/vm.rs").contains("uvmcowcopy"));
    assert!(text(&cow, "kernel/src/cow.rs").contains("pub fn uvmcowcopy"));
    assert!(text(&cow, "kernel/src/cow.rs").contains("pub fn krefinc"));
    assert!(text(&cow, "kernel/src/kalloc.rs").contains("crate::cow::krefdec(pa)"));
    assert!(!base.files.contains_key("kernel/src/cow.rs"));
    assert!(!text(&base, "kernel/src/kalloc.rs").contains("krefdec"));
    let both_vm = text(&both, "kernel/src/vm.rs");
    assert!(both_vm.contains("fn uvmlazyalloc") && both_vm.contains("cow::uvmcowcopy(slot)"));
    // uvmfault uses every parameter (the reason for a kill needs them all).
    assert!(both_vm
        .contains("\npub fn uvmfault(pagetable: PageTable, sz: usize, va: usize, access: Access)"));
    assert!(text(&cow, "kernel/src/vm.rs")
        .contains("\npub fn uvmfault(pagetable: PageTable, sz: usize, va: usize, access: Access)"));
    // No view of one lab keeps what only the cfgs needed: an allow for
    // variables some other configuration uses, the comment about it, or
    // a bare block from a `#[cfg] { ... }` (growproc, kalloc); the
    // syscall list's cfg'd entries read as plain entries.
    for set in ["", "lazy", "cow", "mmap", "zfod", "demand", "swap"] {
        let t = tree(set);
        let vm = text(&t, "kernel/src/vm.rs");
        assert!(!vm.contains("allow(unused_variables)"), "{set}");
        assert!(!vm.contains("matters only to"), "{set}");
        let proc = text(&t, "kernel/src/proc.rs");
        assert!(!proc.contains("        {\n            sz = "), "{set}");
        let kalloc = text(&t, "kernel/src/kalloc.rs");
        assert!(!kalloc.contains("    {\n        kmem.nfree"), "{set}");
    }
    let mmap = tree("mmap");
    let syscall = text(&mmap, "kernel/src/syscall.rs");
    assert!(
        syscall.contains("    (SYS_CLOSE, sys_close),\n    (SYS_MMAP, crate::mmap::sys_mmap),\n")
    );
    assert!(text(&base, "kernel/src/proc.rs").contains("crate::vm::uvmalloc(d.pagetable()"));
    assert!(!text(&lazy, "kernel/src/proc.rs").contains("crate::vm::uvmalloc(d.pagetable()"));
}

/// What zfod adds to lazy is its module and vm.rs's calls of it; the set
/// zfod has lazy in it.
#[test]
fn zfod_reads_as_a_lab_on_lazy() {
    let lazy = tree("lazy");
    let zfod = tree("zfod");
    let changed: Vec<String> = diff_trees(&lazy, &zfod)
        .into_iter()
        .map(|d| d.path)
        .collect();
    assert_eq!(
        changed,
        [
            "kernel/src/main.rs",
            "kernel/src/pftrace.rs",
            "kernel/src/vm.rs",
            "kernel/src/zfod.rs"
        ]
    );
    assert!(diff_trees(&zfod, &tree("lazy,zfod")).is_empty());
    let vm = text(&zfod, "kernel/src/vm.rs");
    assert!(vm.contains("fn uvmlazyalloc") && vm.contains("crate::zfod::uvmzfodalloc(slot)"));
    let own = text(&zfod, "kernel/src/zfod.rs");
    assert!(own.contains("static ZERO_PAGE") && own.contains("pub fn uvmzfodalloc"));
    assert!(!lazy.files.contains_key("kernel/src/zfod.rs"));
    assert!(!text(&lazy, "kernel/src/vm.rs").contains("zero_page"));
    assert!(!text(&tree("lazy,cow,mmap"), "kernel/src/vm.rs").contains("zero_page"));
    // Each lab's words for the trace: zfod's two kinds of fault, not lazy's.
    let words = text(&zfod, "kernel/src/pftrace.rs");
    assert!(words.contains("ZeroPage") && words.contains("Lazy"));
    assert!(!text(&lazy, "kernel/src/pftrace.rs").contains("ZeroPage"));
}

/// demand's diff: its module, exec, the fault path, and the system calls
/// that copy under locks (their buffers made resident step by step, as
/// for mmap).
#[test]
fn demand_reads_as_a_lab() {
    let base = tree("");
    let demand = tree("demand");
    let changed: Vec<String> = diff_trees(&base, &demand)
        .into_iter()
        .map(|d| d.path)
        .collect();
    assert_eq!(
        changed,
        [
            "kernel/src/demand.rs",
            "kernel/src/exec.rs",
            "kernel/src/file.rs",
            "kernel/src/main.rs",
            "kernel/src/memlayout.rs",
            "kernel/src/pftrace.rs",
            "kernel/src/proc.rs",
            "kernel/src/sysfile.rs",
            "kernel/src/sysproc.rs",
            "kernel/src/trap.rs",
            "kernel/src/vm.rs"
        ]
    );
    assert!(!base.files.contains_key("kernel/src/demand.rs"));
    let exec = text(&demand, "kernel/src/exec.rs");
    assert!(exec.contains("demandseg(&mut img.prog, ip, ph, flags2perm(ph), &mut img.sz)"));
    assert!(
        exec.contains("loadseg(pt"),
        "more segments than records still load"
    );
    assert!(!text(&base, "kernel/src/exec.rs").contains("demand"));
    // read and write copy in resident steps; the base calls xv6's own.
    let sysfile = text(&demand, "kernel/src/sysfile.rs");
    assert!(sysfile.contains("use crate::file::steps::{filereadsteps as fileread"));
    assert!(!text(&base, "kernel/src/sysfile.rs").contains("steps"));
    let vm = text(&demand, "kernel/src/vm.rs");
    assert!(vm.contains("crate::demand::demandfault(pagetable, va0, write)"));
    assert!(!vm.contains("uvmlazyalloc") && !vm.contains("uvmcowcopy"));
    // Every other lab's code stays out of the demand view.
    let all = demand
        .files
        .values()
        .map(|b| String::from_utf8_lossy(b))
        .collect::<String>();
    for other in ["mmapfault", "zero_page", "krefinc", "uvmlazyalloc"] {
        assert!(!all.contains(other), "{other}");
    }
}

/// IMPLIES says what kernel/Cargo.toml's features say (`zfod = ["lazy"]`).
#[test]
fn implied_features_are_the_manifests() {
    let manifest = fs::read_to_string(root().join("kernel/Cargo.toml")).unwrap();
    let doc: toml_edit::DocumentMut = manifest.parse().unwrap();
    for f in LAB_FEATURES {
        let got: Vec<&str> = doc["features"][f]
            .as_array()
            .unwrap_or_else(|| panic!("no feature {f}"))
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let want: Vec<&str> = IMPLIES
            .iter()
            .filter(|(a, _)| *a == f)
            .map(|(_, b)| *b)
            .collect();
        assert_eq!(got, want, "{f}");
    }
}

#[test]
fn diff_summaries() {
    let base = tree("");
    let changed =
        |t: &Tree| -> Vec<String> { diff_trees(&base, t).into_iter().map(|d| d.path).collect() };
    assert_eq!(
        changed(&tree("cow")),
        [
            "kernel/src/cow.rs",
            "kernel/src/kalloc.rs",
            "kernel/src/main.rs",
            "kernel/src/pftrace.rs",
            "kernel/src/trap.rs",
            "kernel/src/vm.rs"
        ]
    );
    assert_eq!(
        changed(&tree("lazy")),
        [
            "kernel/src/pftrace.rs",
            "kernel/src/proc.rs",
            "kernel/src/trap.rs",
            "kernel/src/vm.rs"
        ]
    );
    let diffs = diff_trees(&base, &tree("cow"));
    for d in &diffs {
        // A file new in cow (its module) comes from /dev/null.
        let from = match base.files.contains_key(&d.path) {
            true => format!("a/{}", d.path),
            false => "/dev/null".to_string(),
        };
        assert!(d
            .text
            .starts_with(&format!("--- {from}\n+++ b/{}\n@@ -", d.path)));
        assert!(d.added > 0);
    }
    let mut out = Vec::new();
    write_summary(&diffs, false, &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 7);
    assert!(lines[0].starts_with("kernel/src/cow.rs     | +"));
    assert!(lines[1].starts_with("kernel/src/kalloc.rs  | +"));
    assert!(lines[4].starts_with("kernel/src/trap.rs    | +"));
    assert!(lines[6].starts_with("6 files changed, +"));
    assert!(diff_trees(&base, &base).is_empty());
}

#[test]
fn cli_prints_diff_and_summary() {
    let stdout = run_ok(
        Command::new(env!("CARGO_BIN_EXE_labdiff"))
            .args([
                "diff", "--color", "never", "--from=", "--to", "cow", "--root",
            ])
            .arg(root()),
    );
    let s = String::from_utf8(stdout).unwrap();
    assert!(s.starts_with("--- /dev/null\n+++ b/kernel/src/cow.rs\n@@ "));
    assert!(s.contains("\n+pub fn krefinc(pa: usize) {\n"));
    assert!(s.contains("\nkernel/src/vm.rs      | +"));
    assert!(!s.contains('\x1b'));
    // --stat, and colour on request.
    let out = Command::new(env!("CARGO_BIN_EXE_labdiff"))
        .args([
            "diff",
            "--stat",
            "--color=always",
            "lazy",
            "lazy,cow",
            "--root",
        ])
        .arg(root())
        .output()
        .unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(!s.contains("@@"));
    assert!(s.contains("kernel/src/kalloc.rs  | \x1b[32m+"));
    // Bad sets are usage errors.
    let out = Command::new(env!("CARGO_BIN_EXE_labdiff"))
        .args(["diff", "huge"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// `make diff TO=mmap` as the Makefile spells it: an empty FROM, and a
/// feature the kernel may not have cfgs for yet (then the diff is empty).
#[test]
fn cli_diffs_to_mmap() {
    let stdout = run_ok(
        Command::new(env!("CARGO_BIN_EXE_labdiff"))
            .args(["diff", "--from=", "--to=mmap", "--color=never", "--root"])
            .arg(root()),
    );
    let s = String::from_utf8(stdout).unwrap();
    assert!(s.contains("kernel: base -> mmap\n"), "{s}");
    if kernel_mentions("feature = \"mmap\"") {
        assert!(s.starts_with("--- a/kernel/"), "{s}");
        assert!(!s.contains("\n0 files changed"), "{s}");
    } else {
        assert_eq!(s, "kernel: base -> mmap\n0 files changed, +0 -0\n");
    }
    // Every set of three spellings gives the same diff.
    let stat = |from: &str, to: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_labdiff"))
            .args(["diff", "--stat", "--color=never", from, to, "--root"])
            .arg(root())
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let a = stat("cow", "lazy,cow,mmap");
    assert!(a.contains("kernel: cow -> lazy-cow-mmap\n"), "{a}");
    assert_eq!(a, stat("cow", "mmap+cow-lazy"));
    assert_eq!(a, stat("cow", "lazy-cow-mmap"));
}

#[test]
fn workspace_tree_stands_alone() {
    let (t, _) = workspace_tree(&root(), &FeatureSet::parse("cow").unwrap()).unwrap();
    let manifest = text(&t, "Cargo.toml");
    assert!(manifest.contains("members = [\"kernel\"]"));
    assert!(!manifest.contains("uprogs") && !manifest.contains("ulib"));
    let lock = text(&t, "Cargo.lock");
    assert!(lock.contains("name = \"kernel\"") && lock.contains("name = \"spin\""));
    assert!(!lock.contains("name = \"tools\"") && !lock.contains("name = \"syn\""));
    assert!(!lock.contains("name = \"labdiff\""));
    assert!(!text(&t, ".cargo/config.toml").contains("[alias]"));
    assert!(t.files.contains_key("rust-toolchain.toml"));
    let kernel_manifest = text(&t, "kernel/Cargo.toml");
    assert!(kernel_manifest.contains("lazy = []") && kernel_manifest.contains("cow = []"));

    let dir = scratch("tree");
    t.write(&dir).unwrap();
    assert!(dir.join("kernel/src/vm.rs").is_file());
    // An earlier tree is replaced; anything else is not touched.
    t.write(&dir).unwrap();
    let other = scratch("other");
    fs::create_dir_all(&other).unwrap();
    fs::write(other.join("precious"), "x").unwrap();
    assert!(t.write(&other).is_err());
    assert!(other.join("precious").is_file());
    fs::remove_dir_all(&dir).unwrap();
    fs::remove_dir_all(&other).unwrap();
}

#[test]
fn git_branches() {
    if Command::new("git").arg("--version").output().is_err() {
        eprintln!("no git: skipped");
        return;
    }
    let repo = scratch("git");
    let stdout = run_ok(
        Command::new(env!("CARGO_BIN_EXE_labdiff"))
            .arg("git")
            .arg(&repo)
            .arg("--root")
            .arg(root()),
    );
    let git = |args: &[&str]| {
        let o = Command::new("git")
            .arg("-C")
            .arg(&repo)
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    // One branch per configuration (pred.rs's tests pin the 48 names and
    // their order); git lists them sorted.
    let names: Vec<String> = FeatureSet::all().iter().map(|s| s.name()).collect();
    assert_eq!(names.len(), 48);
    let mut sorted = names.clone();
    sorted.sort();
    let branches = git(&["branch", "--format=%(refname:short)"]);
    assert_eq!(
        branches,
        sorted.iter().map(|n| format!("{n}\n")).collect::<String>()
    );
    let said = String::from_utf8_lossy(&stdout);
    assert!(
        said.contains(&format!("branches {}", names.join(", "))),
        "{said}"
    );
    assert!(
        said.contains("branches base, lazy, cow, lazy-cow, mmap,"),
        "{said}"
    );
    assert_eq!(
        git(&["diff", "--name-only", "base", "cow"]),
        "kernel/src/cow.rs\nkernel/src/kalloc.rs\nkernel/src/main.rs\nkernel/src/pftrace.rs\nkernel/src/trap.rs\nkernel/src/vm.rs\n"
    );
    // A set whose features the kernel does not use is its base's twin.
    if !kernel_mentions("feature = \"mmap\"") {
        assert_eq!(git(&["diff", "--name-only", "base", "mmap"]), "");
        assert_eq!(
            git(&["diff", "--name-only", "lazy-cow", "lazy-cow-mmap"]),
            ""
        );
    }
    // One root commit under all twelve.
    let roots = git(&["rev-list", "--max-parents=0", "--all"]);
    assert_eq!(roots.lines().count(), 1);
    // The work tree is the base branch, clean.
    assert!(repo.join("kernel/src/vm.rs").is_file());
    assert_eq!(git(&["status", "--porcelain"]), "");
    // A second export needs --force.
    let again = Command::new(env!("CARGO_BIN_EXE_labdiff"))
        .arg("git")
        .arg(&repo)
        .arg("--root")
        .arg(root())
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    fs::remove_dir_all(&repo).unwrap();
}

/// `make labs` names the repository relative to the workspace root.
#[test]
fn git_takes_a_relative_path() {
    if Command::new("git").arg("--version").output().is_err() {
        eprintln!("no git: skipped");
        return;
    }
    let dir = scratch("git-relative");
    fs::create_dir_all(&dir).unwrap();
    run_ok(
        Command::new(env!("CARGO_BIN_EXE_labdiff"))
            .current_dir(&dir)
            .args(["git", "labs/git", "--root"])
            .arg(root()),
    );
    let o = Command::new("git")
        .arg("-C")
        .arg(dir.join("labs/git"))
        .args(["rev-parse", "--verify", "-q", "cow"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let _ = fs::remove_dir_all(&dir);
}

/// The cfg names kernel/build.rs sets are the ones the lab diff resolves,
/// each with the same labs: its LAB_CFGS table, as syn reads it.
#[test]
fn build_script_cfgs_match() {
    let src = fs::read_to_string(root().join("kernel/build.rs")).unwrap();
    let file = syn::parse_file(&src).unwrap();
    let table = file
        .items
        .iter()
        .find_map(|item| match item {
            syn::Item::Const(c) if c.ident == "LAB_CFGS" => Some(&*c.expr),
            _ => None,
        })
        .expect("kernel/build.rs has no LAB_CFGS");
    // The table's string literals in order: a name, then its labs.
    let mut strings = Vec::new();
    fn lits(e: &syn::Expr, out: &mut Vec<String>) {
        match e {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => out.push(s.value()),
            syn::Expr::Array(a) => a.elems.iter().for_each(|e| lits(e, out)),
            syn::Expr::Tuple(t) => t.elems.iter().for_each(|e| lits(e, out)),
            syn::Expr::Reference(r) => lits(&r.expr, out),
            _ => panic!("LAB_CFGS: unexpected {}", quote::quote!(#e)),
        }
    }
    lits(table, &mut strings);
    let mut want = Vec::new();
    for (name, labs) in labdiff::pred::LAB_CFGS {
        want.push(name.to_string());
        want.extend(labs.iter().map(|l| l.to_string()));
    }
    assert_eq!(strings, want);
}
