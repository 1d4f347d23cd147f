//! The kernel package resolved for one feature set, in memory, and the
//! mini-workspace around it that builds on its own.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::fs;
use std::path::Path;

use toml_edit::{Array, DocumentMut, Item};

use super::pred::{FeatureSet, LAB_FEATURES};
use super::resolve::resolve;

/// Files by path relative to the tree's root, `/`-separated.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tree {
    pub files: BTreeMap<String, Vec<u8>>,
}

/// The package that holds the labs.
pub const KERNEL: &str = "kernel";

/// Reads every file of the kernel package under workspace `root`, with
/// each `.rs` file resolved for `set`. Returns the tree and any warnings.
pub fn kernel_tree(root: &Path, set: &FeatureSet) -> Result<(Tree, Vec<String>), String> {
    let dir = root.join(KERNEL);
    if !dir.join("Cargo.toml").is_file() {
        return Err(format!(
            "{} has no kernel/Cargo.toml: run from the workspace root or pass --root",
            root.display()
        ));
    }
    let mut files = Vec::new();
    list_files(&dir, KERNEL, &mut files).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut tree = Tree::default();
    let mut warnings = Vec::new();
    for rel in files {
        let path = root.join(&rel);
        let bytes = fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let out = if rel.ends_with(".rs") {
            let src = String::from_utf8(bytes).map_err(|_| format!("{rel}: not UTF-8"))?;
            let r = resolve(&src, set).map_err(|e| format!("{rel}:{e}"))?;
            warnings.extend(r.warnings.iter().map(|w| format!("{rel}:{w}")));
            r.text.into_bytes()
        } else if rel == format!("{KERNEL}/Cargo.toml") {
            let text = String::from_utf8(bytes).map_err(|_| format!("{rel}: not UTF-8"))?;
            empty_lab_features(&text).map_err(|e| format!("{rel}: {e}"))?
        } else {
            bytes
        };
        tree.files.insert(rel, out);
    }
    let main = format!("{KERNEL}/src/main.rs");
    if let Ok(original) = fs::read_to_string(root.join(&main)) {
        drop_cfg_modules(&mut tree, &main, &original);
    }
    Ok((tree, warnings))
}

/// Leaves out the file of every module whose `mod` line in main.rs a cfg
/// removed: it is not part of this configuration, and a lab's own module
/// (mmap.rs) should show up in the diff as a new file.
fn drop_cfg_modules(tree: &mut Tree, main: &str, original: &str) {
    let declares = |src: &str, name: &str| {
        src.lines().any(|l| {
            let l = l.trim();
            l == format!("mod {name};") || l == format!("pub mod {name};")
        })
    };
    let Some(resolved) = tree
        .files
        .get(main)
        .map(|b| String::from_utf8_lossy(b).into_owned())
    else {
        return;
    };
    let dir = format!("{KERNEL}/src/");
    tree.files.retain(|rel, _| {
        let name = rel.strip_prefix(&dir).and_then(|r| r.strip_suffix(".rs"));
        match name {
            Some(name) if !name.contains('/') => {
                !declares(original, name) || declares(&resolved, name)
            }
            _ => true,
        }
    });
}

/// The kernel tree plus what makes it a workspace of its own: the root
/// manifest with only the kernel as member, the toolchain file, the cargo
/// config without its aliases, the lock file cut down to the kernel's
/// dependencies, and a .gitignore.
pub fn workspace_tree(root: &Path, set: &FeatureSet) -> Result<(Tree, Vec<String>), String> {
    let (mut tree, warnings) = kernel_tree(root, set)?;
    let read = |name: &str| -> Result<Option<String>, String> {
        match fs::read_to_string(root.join(name)) {
            Ok(t) => Ok(Some(t)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{name}: {e}")),
        }
    };
    let manifest = read("Cargo.toml")?.ok_or("no Cargo.toml at the workspace root")?;
    // The same in every set, so trees differ only in kernel/.
    let header = "# The kernel with its lab features resolved into plain source (written\n\
                  # by `labdiff tree`): `cargo build --release` builds it as it reads.\n";
    let manifest = reduce_manifest(&manifest, &[KERNEL]).map_err(|e| format!("Cargo.toml: {e}"))?;
    tree.add("Cargo.toml", format!("{header}{manifest}"));
    if let Some(t) = read("rust-toolchain.toml")? {
        tree.add("rust-toolchain.toml", t);
    }
    if let Some(t) = read(".cargo/config.toml")? {
        let t = drop_aliases(&t).map_err(|e| format!(".cargo/config.toml: {e}"))?;
        tree.add(".cargo/config.toml", t);
    }
    if let Some(t) = read("Cargo.lock")? {
        tree.add("Cargo.lock", prune_lock(&t, &[KERNEL]));
    }
    tree.add(".gitignore", "/target\n".into());
    Ok((tree, warnings))
}

impl Tree {
    pub fn add(&mut self, rel: &str, text: String) {
        self.files.insert(rel.into(), text.into_bytes());
    }

    /// Writes the tree into `dir`, replacing an earlier tree there. A
    /// non-empty directory that is no such tree is left alone (an error).
    pub fn write(&self, dir: &Path) -> Result<(), String> {
        let err = |e: std::io::Error| format!("{}: {e}", dir.display());
        if dir.exists() {
            let empty = fs::read_dir(dir).map_err(err)?.next().is_none();
            if !empty && !dir.join(KERNEL).join("Cargo.toml").is_file() {
                return Err(format!(
                    "{} is not empty and holds no earlier tree: not replacing it",
                    dir.display()
                ));
            }
            fs::remove_dir_all(dir).map_err(err)?;
        }
        for (rel, bytes) in &self.files {
            let path = dir.join(rel);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).map_err(err)?;
            }
            fs::write(&path, bytes).map_err(err)?;
        }
        Ok(())
    }
}

/// Relative paths of all files under `dir`, sorted, skipping build output.
pub fn list_files(dir: &Path, rel: &str, out: &mut Vec<String>) -> std::io::Result<()> {
    let mut entries: Vec<_> = fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let path = format!("{rel}/{name}");
        if e.file_type()?.is_dir() {
            if name != "target" {
                list_files(&e.path(), &path, out)?;
            }
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// The lab features become empty: the resolved code no longer has them,
/// but `--features cow` should still be accepted (and change nothing).
fn empty_lab_features(text: &str) -> Result<Vec<u8>, String> {
    let mut doc: DocumentMut = text.parse().map_err(|e| format!("{e}"))?;
    if let Some(feats) = doc.get_mut("features").and_then(Item::as_table_like_mut) {
        for f in LAB_FEATURES {
            if let Some(v) = feats.get_mut(f).and_then(Item::as_array_mut) {
                v.clear();
            }
        }
    }
    Ok(doc.to_string().into_bytes())
}

/// The workspace manifest with only the members `keep` (paths, as in
/// `members`); workspace dependencies and profile overrides naming the
/// other members go. The default member stays the kernel.
pub fn reduce_manifest(text: &str, keep: &[&str]) -> Result<String, String> {
    let mut doc: DocumentMut = text.parse().map_err(|e| format!("{e}"))?;
    let ws = doc
        .get_mut("workspace")
        .and_then(Item::as_table_like_mut)
        .ok_or("no [workspace] table")?;
    let others: HashSet<String> = ws
        .get("members")
        .and_then(Item::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str())
        .filter(|m| !keep.contains(m))
        .filter_map(|m| m.rsplit('/').next())
        .map(String::from)
        .collect();
    if ws.contains_key("members") {
        ws.insert(
            "members",
            toml_edit::value(Array::from_iter(keep.iter().copied())),
        );
    }
    if ws.contains_key("default-members") {
        ws.insert(
            "default-members",
            toml_edit::value(Array::from_iter([KERNEL])),
        );
    }
    if let Some(deps) = ws.get_mut("dependencies").and_then(Item::as_table_like_mut) {
        remove_keys(deps, |k| others.contains(k));
    }
    if let Some(profiles) = doc.get_mut("profile").and_then(Item::as_table_like_mut) {
        for (_, profile) in profiles.iter_mut() {
            let Some(pkgs) = profile.get_mut("package").and_then(Item::as_table_like_mut) else {
                continue;
            };
            remove_keys(pkgs, |k| others.contains(k));
            if pkgs.is_empty() {
                if let Some(p) = profile.as_table_like_mut() {
                    p.remove("package");
                }
            }
        }
    }
    Ok(doc.to_string())
}

fn remove_keys(t: &mut dyn toml_edit::TableLike, drop: impl Fn(&str) -> bool) {
    let gone: Vec<String> = t
        .iter()
        .map(|(k, _)| k.to_string())
        .filter(|k| drop(k))
        .collect();
    for k in gone {
        t.remove(&k);
    }
}

/// The cargo config without `[alias]`: its aliases run the host crates,
/// which the tree does not have.
pub fn drop_aliases(text: &str) -> Result<String, String> {
    let mut doc: DocumentMut = text.parse().map_err(|e| format!("{e}"))?;
    doc.remove("alias");
    Ok(doc.to_string())
}

/// One `[[package]]` entry of a lock file, as text.
struct LockEntry<'a> {
    text: &'a str,
    name: &'a str,
    version: &'a str,
    deps: Vec<&'a str>,
}

fn quoted<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let rest = line.strip_prefix(key)?.trim_start().strip_prefix('=')?;
    rest.trim().strip_prefix('"')?.strip_suffix('"')
}

fn lock_entry(text: &str) -> LockEntry<'_> {
    let mut e = LockEntry {
        text,
        name: "",
        version: "",
        deps: Vec::new(),
    };
    let mut in_deps = false;
    for line in text.lines() {
        if in_deps {
            match line.trim().trim_end_matches(',') {
                "]" => in_deps = false,
                dep => e
                    .deps
                    .extend(dep.strip_prefix('"').and_then(|d| d.strip_suffix('"'))),
            }
        } else if let Some(v) = quoted(line, "name") {
            e.name = v;
        } else if let Some(v) = quoted(line, "version") {
            e.version = v;
        } else if line.starts_with("dependencies = [") {
            in_deps = true;
        }
    }
    e
}

/// Keeps only the entries `roots` depend on, directly or not. Cargo writes
/// lock files in one fixed layout, so plain text is enough here.
pub fn prune_lock(text: &str, roots: &[&str]) -> String {
    const MARK: &str = "[[package]]\n";
    let mut starts: Vec<usize> = text.match_indices(MARK).map(|(i, _)| i).collect();
    if starts.is_empty() {
        return text.to_string();
    }
    let header = &text[..starts[0]];
    starts.push(text.len());
    let entries: Vec<LockEntry> = starts
        .windows(2)
        .map(|w| lock_entry(text[w[0]..w[1]].trim_end()))
        .collect();
    // A dependency reads "name", "name version" or "name version (source)".
    let find = |dep: &str| {
        let mut it = dep.split(' ');
        let (name, version) = (it.next().unwrap_or(""), it.next());
        entries
            .iter()
            .position(|e| e.name == name && version.is_none_or(|v| v == e.version))
    };
    let mut keep = vec![false; entries.len()];
    let mut todo: VecDeque<usize> = entries
        .iter()
        .enumerate()
        .filter(|(_, e)| roots.contains(&e.name))
        .map(|(i, _)| i)
        .collect();
    while let Some(i) = todo.pop_front() {
        if std::mem::replace(&mut keep[i], true) {
            continue;
        }
        todo.extend(entries[i].deps.iter().filter_map(|d| find(d)));
    }
    let kept: Vec<&str> = entries
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(e, _)| e.text)
        .collect();
    format!("{header}{}\n", kept.join("\n\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_modules_a_cfg_removed() {
        let main = "kernel/src/main.rs";
        let original = "mod vm;\n#[cfg(feature = \"mmap\")]\nmod mmap;\n";
        let mut tree = Tree::default();
        tree.add(main, "mod vm;\n".into());
        tree.add("kernel/src/vm.rs", String::new());
        tree.add("kernel/src/mmap.rs", String::new());
        tree.add("kernel/src/extra.rs", String::new());
        drop_cfg_modules(&mut tree, main, original);
        let names: Vec<_> = tree.files.keys().cloned().collect();
        assert_eq!(
            names,
            [
                "kernel/src/extra.rs",
                "kernel/src/main.rs",
                "kernel/src/vm.rs"
            ]
        );
    }

    #[test]
    fn prunes_lock() {
        let lock = "# gen\nversion = 4\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n\
                    dependencies = [\n \"c 2.0.0\",\n]\n\n[[package]]\nname = \"b\"\n\
                    version = \"0.1.0\"\n\n[[package]]\nname = \"c\"\nversion = \"1.0.0\"\n\n\
                    [[package]]\nname = \"c\"\nversion = \"2.0.0\"\n";
        let out = prune_lock(lock, &["a"]);
        assert_eq!(
            out,
            "# gen\nversion = 4\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n\
             dependencies = [\n \"c 2.0.0\",\n]\n\n[[package]]\nname = \"c\"\n\
             version = \"2.0.0\"\n"
        );
    }

    #[test]
    fn reduces_manifest() {
        let m = "[workspace]\nmembers = [\"kernel\", \"ulib\", \"tools\"]\n\
                 default-members = [\"kernel\"]\n\n[workspace.dependencies]\n\
                 kernel = { path = \"kernel\" }\nulib = { path = \"ulib\" }\n\n\
                 # keep me\n[profile.release]\nopt-level = 2\n\n\
                 [profile.release.package.ulib]\ndebug = false\n";
        let out = reduce_manifest(m, &["kernel"]).unwrap();
        assert!(out.contains("members = [\"kernel\"]\n"));
        assert!(!out.contains("ulib"));
        assert!(out.contains("# keep me\n[profile.release]\nopt-level = 2\n"));
    }

    #[test]
    fn empties_features() {
        let m = "[features]\n# Lab one.\nlazy = [\"dep:x\"]\ncow = []\n\
                 # Lab three.\nmmap = [\"cow\"]\nother = [\"y\"]\n";
        let out = String::from_utf8(empty_lab_features(m).unwrap()).unwrap();
        assert_eq!(
            out,
            "[features]\n# Lab one.\nlazy = []\ncow = []\n# Lab three.\nmmap = []\n\
             other = [\"y\"]\n"
        );
        // An empty lab feature stays as it is, still a feature.
        let m = "[features]\nlazy = []\ncow = []\nmmap = []\n";
        let out = String::from_utf8(empty_lab_features(m).unwrap()).unwrap();
        assert_eq!(out, m);
    }
}
