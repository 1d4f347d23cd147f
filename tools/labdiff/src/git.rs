//! Exports resolved trees as branches of a fresh git repository, all
//! children of one empty root commit, so `git diff base cow` works.

use std::fs;
use std::path::Path;
use std::process::Command;

use super::tree::Tree;

/// A fixed identity and date: the same sources give the same commits.
const ENV: [(&str, &str); 6] = [
    ("GIT_AUTHOR_NAME", "xv6-rs labdiff"),
    ("GIT_AUTHOR_EMAIL", "labdiff@xv6-rs.invalid"),
    ("GIT_AUTHOR_DATE", "2022-09-01T00:00:00Z"),
    ("GIT_COMMITTER_NAME", "xv6-rs labdiff"),
    ("GIT_COMMITTER_EMAIL", "labdiff@xv6-rs.invalid"),
    ("GIT_COMMITTER_DATE", "2022-09-01T00:00:00Z"),
];

/// Runs git in `dir` with extra environment (stdin empty); returns its
/// trimmed stdout.
pub fn git(dir: &Path, args: &[&str], env: &[(&str, &Path)]) -> Result<String, String> {
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(dir).args(args).envs(ENV);
    for k in ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"] {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Creates a repository at `repo` (absent or empty) with one branch per
/// `(name, tree, message)`, then checks out the first branch.
pub fn export(repo: &Path, branches: &[(String, Tree, String)]) -> Result<(), String> {
    if repo.exists()
        && fs::read_dir(repo)
            .map_err(|e| e.to_string())?
            .next()
            .is_some()
    {
        return Err(format!("{} exists and is not empty", repo.display()));
    }
    let Some((first, ..)) = branches.first() else {
        return Err("no branches to export".into());
    };
    fs::create_dir_all(repo).map_err(|e| format!("{}: {e}", repo.display()))?;
    // Absolute: git runs in other directories with GIT_DIR pointing here.
    let repo = &repo
        .canonicalize()
        .map_err(|e| format!("{}: {e}", repo.display()))?;
    git(repo, &["init", "-q"], &[])?;
    git(
        repo,
        &["symbolic-ref", "HEAD", &format!("refs/heads/{first}")],
        &[],
    )?;
    let git_dir = repo.join(".git");
    // mktree with no input writes the empty tree.
    let empty_tree = git(repo, &["mktree"], &[])?;
    let root = git(
        repo,
        &[
            "commit-tree",
            &empty_tree,
            "-m",
            "Empty root: every configuration branches from here",
        ],
        &[],
    )?;
    for (name, tree, message) in branches {
        // Each tree is staged from a scratch work tree with its own index.
        let work = git_dir.join("labdiff-work");
        let index = git_dir.join("labdiff-index");
        let _ = fs::remove_dir_all(&work);
        let _ = fs::remove_file(&index);
        tree.write(&work)?;
        let env = [
            ("GIT_DIR", git_dir.as_path()),
            ("GIT_WORK_TREE", &work),
            ("GIT_INDEX_FILE", &index),
        ];
        git(&work, &["add", "-A", "."], &env)?;
        let t = git(&work, &["write-tree"], &env)?;
        let c = git(repo, &["commit-tree", &t, "-p", &root, "-m", message], &[])?;
        git(
            repo,
            &["update-ref", &format!("refs/heads/{name}"), &c],
            &[],
        )?;
        fs::remove_dir_all(&work).map_err(|e| e.to_string())?;
        fs::remove_file(&index).map_err(|e| e.to_string())?;
    }
    git(repo, &["reset", "-q", "--hard"], &[])?;
    Ok(())
}
