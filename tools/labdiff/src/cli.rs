//! The `labdiff` program: `diff`, `tree`, `git`, `start`, `resolve`.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use super::pred::FeatureSet;
use super::tree::{kernel_tree, workspace_tree};
use super::{git, resolve, start, udiff};

pub const USAGE: &str = "\
usage: labdiff <command> [options]

The lab diff: the kernel's `lazy`, `cow`, `mmap`, `zfod`, `demand` and
`swap` features resolved into plain source. A SET is `base` (or empty) or
some lab features joined by `,`, `-` or `+` in any order: `lazy`, `cow`,
`mmap`, `lazy,cow`, `cow-mmap`, `lazy,cow,mmap`, `demand`, ... `zfod`
implies `lazy` (as for cargo): the set `zfod` is `lazy-zfod`, so `lazy` to
`zfod` is the zfod lab alone. `demand` implies nothing: `base` to `demand`
is its lab.

labdiff diff [--root DIR] [--color auto|always|never] [--stat] [FROM] TO
labdiff diff [--root DIR] --from SET --to SET
  the unified diff of kernel/ from FROM to TO (each base if not given),
  then one line per changed file and a total; --stat shows only those
labdiff tree [--root DIR] --out DIR [SET ...]
  writes each SET (default all 48) as DIR/NAME (base, lazy, cow,
  lazy-cow, mmap, lazy-mmap, cow-mmap, lazy-cow-mmap, lazy-zfod,
  lazy-cow-zfod, lazy-mmap-zfod, lazy-cow-mmap-zfod, then each of those
  twelve with demand: demand, lazy-demand, ..., lazy-cow-mmap-zfod-demand,
  then all 24 with swap):
  the resolved kernel in a workspace of its own, which
  `cargo build --release` builds with no --features
labdiff git [--root DIR] [--force] REPO
  a new git repository at REPO with one branch per set (the 48 names
  above) off one empty root commit: `git diff base cow` is the cow lab,
  `git diff base mmap` the mmap lab; --force first deletes an earlier REPO
  (one that has a .git)
labdiff start [--root DIR] [--markers] [--force] --out DIR LAB
  a student's starting tree for LAB (lazy, cow, mmap, zfod, demand or
  swap) as a new git repository DIR, branch LAB, tag start: the whole workspace with
  the kernel as the configuration below the lab (base; lazy for zfod), a
  Makefile and a README for the lab; --markers puts a comment above each
  function the lab's solution changes; --force first deletes an earlier
  DIR (one that has a .git)
labdiff resolve [--features SET] FILE
  prints one Rust file as it reads for SET
labdiff help
  shows this text

--root DIR is the workspace root (default: the current directory).
";

#[derive(Default)]
struct Opts {
    root: Option<PathBuf>,
    color: Option<String>,
    stat: bool,
    force: bool,
    markers: bool,
    out: Option<PathBuf>,
    from: Option<String>,
    to: Option<String>,
    features: Option<String>,
    positional: Vec<String>,
}

fn parse(args: &[String]) -> Result<Opts, String> {
    let mut o = Opts::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--stat" => {
                o.stat = true;
                continue;
            }
            "--force" => {
                o.force = true;
                continue;
            }
            "--markers" => {
                o.markers = true;
                continue;
            }
            _ => {}
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        if !name.starts_with("--") || name == "--" {
            o.positional.push(arg.clone());
            continue;
        }
        let value = inline
            .or_else(|| it.next().cloned())
            .ok_or_else(|| format!("{name} needs a value"))?;
        match name {
            "--root" => o.root = Some(value.into()),
            "--color" | "--colour" => o.color = Some(value),
            "--out" => o.out = Some(value.into()),
            "--from" => o.from = Some(value),
            "--to" => o.to = Some(value),
            "--features" => o.features = Some(value),
            _ => return Err(format!("unknown option {arg:?}")),
        }
    }
    Ok(o)
}

fn root(o: &Opts) -> PathBuf {
    o.root.clone().unwrap_or_else(|| PathBuf::from("."))
}

fn use_color(o: &Opts) -> Result<bool, String> {
    match o.color.as_deref().unwrap_or("auto") {
        "always" => Ok(true),
        "never" => Ok(false),
        "auto" => Ok(std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()),
        c => Err(format!("--color wants auto, always or never, not {c:?}")),
    }
}

fn warn(warnings: &[String]) {
    for w in warnings {
        eprintln!("labdiff: warning: {w}");
    }
}

fn labdiff(o: Opts, out: &mut dyn Write) -> Result<i32, String> {
    // One set alone is the TO of a diff from base.
    let (from, to) = match (o.positional.as_slice(), o.from.clone(), o.to.clone()) {
        ([], f, t) => (f, t),
        ([t], f @ Some(_), None) | ([t], f @ None, None) => (f, Some(t.clone())),
        ([f], None, t @ Some(_)) => (Some(f.clone()), t),
        ([f, t], None, None) => (Some(f.clone()), Some(t.clone())),
        _ => return Err("labdiff takes FROM and TO once each".into()),
    };
    let from = FeatureSet::parse(from.as_deref().unwrap_or(""))?;
    let to = FeatureSet::parse(to.as_deref().unwrap_or(""))?;
    let color = use_color(&o)?;
    let root = root(&o);
    let (a, wa) = kernel_tree(&root, &from)?;
    let (b, wb) = kernel_tree(&root, &to)?;
    warn(&wa);
    warn(&wb);
    let diffs = udiff::diff_trees(&a, &b);
    let io = |e: std::io::Error| e.to_string();
    if !o.stat {
        udiff::write_diffs(&diffs, color, out).map_err(io)?;
        if !diffs.is_empty() {
            writeln!(out).map_err(io)?;
        }
    }
    writeln!(out, "kernel: {from} -> {to}").map_err(io)?;
    udiff::write_summary(&diffs, color, out).map_err(io)?;
    Ok(0)
}

fn sets(names: &[String]) -> Result<Vec<FeatureSet>, String> {
    if names.is_empty() {
        return Ok(FeatureSet::all().to_vec());
    }
    names.iter().map(|n| FeatureSet::parse(n)).collect()
}

fn labtree(o: Opts, out: &mut dyn Write) -> Result<i32, String> {
    let dir = o.out.clone().ok_or("--out DIR is required")?;
    for set in sets(&o.positional)? {
        let (tree, w) = workspace_tree(&root(&o), &set)?;
        warn(&w);
        let path = dir.join(set.name());
        tree.write(&path)?;
        writeln!(out, "{set}: {}", path.display()).map_err(|e| e.to_string())?;
    }
    Ok(0)
}

fn labgit(o: Opts, out: &mut dyn Write) -> Result<i32, String> {
    let [repo] = o.positional.as_slice() else {
        return Err("git wants one REPO path".into());
    };
    let repo = Path::new(repo);
    if o.force && repo.join(".git").is_dir() {
        std::fs::remove_dir_all(repo).map_err(|e| format!("{}: {e}", repo.display()))?;
    }
    let mut branches = Vec::new();
    for set in FeatureSet::all() {
        let (tree, w) = workspace_tree(&root(&o), &set)?;
        warn(&w);
        let msg = match set.features().as_str() {
            "" => "xv6-rs kernel, base: no lab features".to_string(),
            f => format!("xv6-rs kernel with lab features {f} resolved"),
        };
        branches.push((set.name(), tree, msg));
    }
    git::export(repo, &branches)?;
    let names: Vec<&str> = branches.iter().map(|(n, ..)| n.as_str()).collect();
    writeln!(
        out,
        "{}: branches {} (try `git diff base cow`)",
        repo.display(),
        names.join(", ")
    )
    .map_err(|e| e.to_string())?;
    Ok(0)
}

fn labstart(o: Opts, out: &mut dyn Write) -> Result<i32, String> {
    let [name] = o.positional.as_slice() else {
        return Err(format!("start wants one LAB ({})", start::names()));
    };
    let lab = start::find(name).ok_or_else(|| format!("no lab {name:?} ({})", start::names()))?;
    let dir = o.out.clone().ok_or("--out DIR is required")?;
    if o.force && dir.join(".git").is_dir() {
        std::fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let tree = start::start_tree(&root(&o), lab, o.markers)?;
    let msg = format!(
        "The {} lab's starting point (xv6-rs, kernel {})",
        lab.name, lab.from
    );
    git::export(&dir, &[(lab.name.to_string(), tree, msg)])?;
    git::git(&dir, &["tag", "start"], &[])?;
    writeln!(
        out,
        "{}: the {} lab's starting tree, branch {} (see its README.md)",
        dir.display(),
        lab.name,
        lab.name
    )
    .map_err(|e| e.to_string())?;
    Ok(0)
}

fn labresolve(o: Opts, out: &mut dyn Write) -> Result<i32, String> {
    let [file] = o.positional.as_slice() else {
        return Err("resolve wants one FILE".into());
    };
    let set = FeatureSet::parse(o.features.as_deref().unwrap_or(""))?;
    let src = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
    let r = resolve(&src, &set).map_err(|e| format!("{file}:{e}"))?;
    warn(
        &r.warnings
            .iter()
            .map(|w| format!("{file}:{w}"))
            .collect::<Vec<_>>(),
    );
    out.write_all(r.text.as_bytes())
        .map_err(|e| e.to_string())?;
    Ok(0)
}

/// Runs one of the commands; `Err` is bad usage or a failure.
pub fn run(cmd: &str, args: &[String], out: &mut dyn Write) -> Result<i32, String> {
    let help = |out: &mut dyn Write| {
        out.write_all(USAGE.as_bytes())
            .map(|_| 0)
            .map_err(|e| e.to_string())
    };
    if matches!(cmd, "help" | "-h" | "--help") || args.iter().any(|a| a == "--help" || a == "-h") {
        return help(out);
    }
    let o = parse(args)?;
    match cmd {
        "diff" => labdiff(o, out),
        "tree" => labtree(o, out),
        "git" => labgit(o, out),
        "start" => labstart(o, out),
        "resolve" => labresolve(o, out),
        _ => Err(format!("unknown command {cmd:?}")),
    }
}

/// Runs `labdiff` with these arguments; returns the exit status (0, or 2
/// on bad usage or a failure, with the message on stderr).
pub fn main_with(args: &[String], out: &mut dyn Write) -> i32 {
    let (cmd, rest) = match args.split_first() {
        Some((c, r)) => (c.as_str(), r),
        None => ("help", args),
    };
    match run(cmd, rest, out) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("labdiff: {msg}\n(run `labdiff help` for usage)");
            2
        }
    }
}
