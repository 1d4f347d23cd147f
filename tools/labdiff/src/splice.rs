//! Byte ranges on the original text: from span positions to offsets, how far
//! a removal reaches (its comments, its lines, a blank line left doubled),
//! and applying the edits.

use proc_macro2::LineColumn;

/// Line starts of a text, to turn (line, char column) into byte offsets.
pub struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Lines<'a> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { text, starts }
    }

    /// Byte offset of a position; lines count from 1 and columns in chars,
    /// as proc-macro2 reports them.
    pub fn offset(&self, lc: LineColumn) -> usize {
        let Some(&start) = self.starts.get(lc.line.saturating_sub(1)) else {
            return self.text.len();
        };
        let rest = &self.text[start..];
        rest.char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(rest.len()))
            .nth(lc.column)
            .map_or(self.text.len(), |i| start + i)
    }
}

/// What an edit does to its range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A node whose cfg is false, with its comments and lines.
    RemoveNode,
    /// An attribute that goes away while its node stays.
    RemoveAttr,
    /// An attribute rewritten (a true `cfg_attr`).
    Replace(String),
}

#[derive(Clone, Debug)]
pub struct Edit {
    pub start: usize,
    pub end: usize,
    pub kind: Kind,
}

fn is_hspace(c: char) -> bool {
    c == ' ' || c == '\t'
}

pub fn is_blank(s: &str) -> bool {
    s.chars().all(|c| is_hspace(c) || c == '\r')
}

pub fn line_start(t: &str, pos: usize) -> usize {
    t[..pos].rfind('\n').map_or(0, |i| i + 1)
}

pub fn line_end(t: &str, pos: usize) -> usize {
    t[pos..].find('\n').map_or(t.len(), |i| pos + i)
}

/// Start of the next line after the one holding `pos` (or the text's end).
pub fn next_line(t: &str, pos: usize) -> usize {
    (line_end(t, pos) + 1).min(t.len())
}

/// The line before the one starting at `ls` (which must be > 0), without
/// its newline: (start, text).
fn prev_line(t: &str, ls: usize) -> (usize, &str) {
    let s = line_start(t, ls - 1);
    (s, t[s..ls - 1].trim_end_matches('\r'))
}

/// A plain `//` comment line at exactly this indentation (doc comments
/// are attributes and belong to the node already).
fn is_own_comment(line: &str, indent: &str) -> bool {
    let Some(body) = line.strip_prefix(indent) else {
        return false;
    };
    body.starts_with("//") && !body.starts_with("///") && !body.starts_with("//!")
}

/// How far the removal of `[s, e)` reaches.
///
/// A node that has its lines to itself takes them whole, plus a trailing
/// `//` comment on its last line and the `//` comment lines right above it
/// at the same indentation (no blank line between). If that leaves two
/// blank lines together, or a blank line just inside a bracket, one blank
/// line goes too. A node sharing its line with other code takes only
/// itself and the spaces that would be left doubled.
pub fn node_extent(t: &str, s: usize, e: usize) -> (usize, usize) {
    let ls = line_start(t, s);
    let le = line_end(t, e);
    let owns_start = is_blank(&t[ls..s]);
    let after = &t[e..le];
    let owns_end = is_blank(after) || (owns_start && after.trim_start().starts_with("//"));
    if !(owns_start && owns_end) {
        return partial_extent(t, s, e, owns_start);
    }
    let indent = &t[ls..s];
    let mut start = ls;
    while start > 0 {
        let (p, line) = prev_line(t, start);
        if !is_own_comment(line, indent) {
            break;
        }
        start = p;
    }
    let end = next_line(t, e);
    collapse_blank(t, start, end)
}

/// As `attr_extent`, taking along the `//` comment lines right above the
/// attribute when they sit inside its node (after `node_start`, so below
/// another attribute or a doc comment): such a comment speaks of the
/// attribute, not of the node.
pub fn attr_extent_with_comment(t: &str, s: usize, e: usize, node_start: usize) -> (usize, usize) {
    let (mut start, end) = attr_extent(t, s, e);
    if start != line_start(t, s) {
        return (start, end);
    }
    let indent = &t[start..s];
    while start > node_start {
        let (p, line) = prev_line(t, start);
        if p < node_start || !is_own_comment(line, indent) {
            break;
        }
        start = p;
    }
    (start, end)
}

/// An attribute going away: its whole line when it is alone there.
pub fn attr_extent(t: &str, s: usize, e: usize) -> (usize, usize) {
    let ls = line_start(t, s);
    let le = line_end(t, e);
    let owns_start = is_blank(&t[ls..s]);
    if owns_start && is_blank(&t[e..le]) {
        (ls, next_line(t, e))
    } else {
        partial_extent(t, s, e, owns_start)
    }
}

/// Removal inside a line: take the spaces after it, or before it when
/// only a line end or a closing bracket follows.
fn partial_extent(t: &str, mut s: usize, mut e: usize, owns_start: bool) -> (usize, usize) {
    let ws_after = t[e..].len() - t[e..].trim_start_matches(is_hspace).len();
    let next = t[e + ws_after..].chars().next();
    let closes = matches!(next, None | Some('\n' | '\r' | ')' | ']' | '}'));
    if closes && !owns_start {
        s -= t[..s].len() - t[..s].trim_end_matches(is_hspace).len();
        if matches!(next, None | Some('\n' | '\r')) {
            e += ws_after;
        }
    } else {
        e += ws_after;
    }
    (s, e)
}

/// Whole lines `[s, e)` are going: avoid leaving a doubled blank line, or a
/// blank line right after an opening or before a closing bracket.
fn collapse_blank(t: &str, s: usize, e: usize) -> (usize, usize) {
    let next = &t[e..line_end(t, e)];
    let next_blank = e < t.len() && is_blank(next);
    let next_closes = matches!(next.trim_start().chars().next(), Some(')' | ']' | '}'));
    if s == 0 {
        // At the top of the file a blank line after the removal is a gap.
        return (s, if next_blank { next_line(t, e) } else { e });
    }
    let (p, prev) = prev_line(t, s);
    if is_blank(prev) && (next_blank || next_closes || e == t.len()) {
        return (p, e);
    }
    let prev_opens = matches!(prev.trim_end().chars().last(), Some('(' | '[' | '{'));
    if prev_opens && next_blank {
        return (s, next_line(t, e));
    }
    (s, e)
}

/// Applies the edits. Overlapping removals merge; an edit inside a
/// removal is dropped with it.
pub fn apply(t: &str, edits: Vec<Edit>) -> String {
    apply_marked(t, edits, &[]).0
}

/// Where an edit left its trace in the new text: `[at, end)` is what a
/// `Replace` put there, or an empty range where something went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mark {
    pub at: usize,
    pub end: usize,
    /// Set for the text of a `Replace`.
    pub replaced: bool,
}

/// As `apply`, also returning a mark for each edit applied and `old`
/// (marks on `t`) carried over to the new text; an old mark inside an
/// edit moves to that edit's place.
pub fn apply_marked(t: &str, mut edits: Vec<Edit>, old: &[Mark]) -> (String, Vec<Mark>) {
    edits.sort_by_key(|e| (e.start, std::cmp::Reverse(e.end)));
    let mut out = String::with_capacity(t.len());
    let mut marks = Vec::new();
    // (old start, old end, new start, new end) of each applied edit.
    let mut moved: Vec<(usize, usize, usize, usize)> = Vec::new();
    let mut pos = 0;
    for ed in edits {
        if ed.end <= pos && ed.start < pos {
            continue; // inside what is already gone
        }
        let start = ed.start.max(pos);
        out.push_str(&t[pos..start]);
        let at = out.len();
        let replaced = if let Kind::Replace(text) = &ed.kind {
            out.push_str(text);
            true
        } else {
            false
        };
        marks.push(Mark {
            at,
            end: out.len(),
            replaced,
        });
        pos = pos.max(ed.end);
        moved.push((start, pos, at, out.len()));
    }
    out.push_str(&t[pos..]);
    let map = |p: usize| -> usize {
        let mut shift: isize = 0;
        for &(s, e, ns, ne) in &moved {
            if p < s {
                break;
            }
            if p < e || (p == e && s == e) {
                return ns;
            }
            shift = ne as isize - e as isize;
        }
        (p as isize + shift) as usize
    };
    for m in old {
        let (at, end) = (map(m.at), map(m.end));
        marks.push(Mark {
            at,
            end: end.max(at),
            replaced: m.replaced && end - at == m.end - m.at,
        });
    }
    (out, marks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_count_chars() {
        let t = "aé\n→ b\n";
        let l = Lines::new(t);
        assert_eq!(l.offset(LineColumn { line: 1, column: 2 }), 3);
        assert_eq!(l.offset(LineColumn { line: 2, column: 2 }), 8);
        assert_eq!(&t[l.offset(LineColumn { line: 2, column: 2 })..], "b\n");
    }

    #[test]
    fn extents() {
        let t = "a\n\n  // why\n  x;\n\nb\n";
        let s = t.find("x;").unwrap();
        let (s, e) = node_extent(t, s, s + 2);
        assert_eq!(apply(t, vec![edit(s, e)]), "a\n\nb\n");
        let t = "f(x, y)";
        let (s, e) = node_extent(t, 2, 4);
        assert_eq!(apply(t, vec![edit(s, e)]), "f(y)");
        let (s, e) = node_extent(t, 5, 6);
        assert_eq!(apply(t, vec![edit(s, e)]), "f(x,)");
    }

    fn edit(start: usize, end: usize) -> Edit {
        Edit {
            start,
            end,
            kind: Kind::RemoveNode,
        }
    }
}
