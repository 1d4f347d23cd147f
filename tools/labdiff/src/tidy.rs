//! After the cfgs are resolved: shapes that only make sense while several
//! configurations share the code, rewritten the way code for this one
//! configuration would read.
//!
//! - a flag `let x = false;` (or `true`) whose only uses left are `if`
//!   conditions: the flag goes, each condition is simplified, and an `if`
//!   that became constant is replaced by the branch that runs (or goes);
//! - a bare block `{ ... }` (what a true `#[cfg] { ... }` leaves): its
//!   statements move out into the enclosing block;
//! - an `#[allow(unused_variables)]` from a true `cfg_attr` on a function:
//!   its unused parameters get a `_` name instead, and the allow goes
//!   (also where nothing is unused in this configuration).
//!
//! Only code the resolution changed is looked at (the marks it left), so
//! code written this way on purpose stays byte for byte. Each rewrite
//! keeps the meaning: a block's statements move out only when no `let`
//! or item in it could outlive it differently, and an operand that would
//! still run is never dropped from a condition.

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{Attribute, BinOp, Block, Expr, ExprIf, Lit, Pat, Signature, Stmt, UnOp};

use super::splice::{self, Edit, Kind, Lines, Mark};

/// Rewrites `text` (a resolved file that parses) until no shape is left;
/// `marks` are the places the resolution changed.
pub fn tidy(mut text: String, mut marks: Vec<Mark>) -> String {
    // Each round rewrites non-overlapping places; nested shapes (a bare
    // block inside a branch that was folded) take another round.
    for _ in 0..16 {
        let Ok(file) = syn::parse_file(&text) else {
            break;
        };
        let mut t = Tidy {
            src: &text,
            lines: Lines::new(&text),
            marks: &marks,
            edits: Vec::new(),
        };
        t.visit_file(&file);
        if t.edits.is_empty() {
            break;
        }
        let (next, next_marks) = splice::apply_marked(&text, t.edits, &marks);
        // A rewrite must never break the file; keep the last good text.
        if syn::parse_file(&next).is_err() {
            break;
        }
        text = next;
        marks = next_marks;
    }
    text
}

struct Tidy<'a> {
    src: &'a str,
    lines: Lines<'a>,
    marks: &'a [Mark],
    edits: Vec<Edit>,
}

/// A condition with the flag's value put in.
enum Fold {
    /// It is always this.
    Const(bool),
    /// It does not mention the flag: as written.
    Keep,
    /// Simplified to this text; `true` if its top is a binary operator.
    Text(String, bool),
}

impl Tidy<'_> {
    fn range(&self, span: Span) -> (usize, usize) {
        (
            self.lines.offset(span.start()),
            self.lines.offset(span.end()),
        )
    }

    fn text(&self, span: Span) -> &str {
        let (s, e) = self.range(span);
        &self.src[s..e]
    }

    /// Whether the resolution changed something in `[s, e]`.
    fn touched(&self, s: usize, e: usize) -> bool {
        self.marks.iter().any(|m| m.at >= s && m.at <= e)
    }

    /// One function; one kind of rewrite per round, so edits never overlap.
    fn function(&mut self, attrs: &[Attribute], sig: &Signature, block: &Block, start: usize) {
        if let Some(edits) = self.unused_allow(attrs, sig, block, start) {
            self.edits.extend(edits);
            return;
        }
        let (s, e) = self.range(block.span());
        if !self.touched(s, e) {
            return;
        }
        if let Some(edits) = self.dead_flag(block) {
            self.edits.extend(edits);
            return;
        }
        let mut b = BareBlocks {
            t: self,
            edits: Vec::new(),
        };
        b.visit_block(block);
        let edits = b.edits;
        self.edits.extend(edits);
    }

    /// An `#[allow(unused_variables)]` that a true `cfg_attr` put on this
    /// function, where only parameters are unused: `_` names instead.
    fn unused_allow(
        &self,
        attrs: &[Attribute],
        sig: &Signature,
        block: &Block,
        start: usize,
    ) -> Option<Vec<Edit>> {
        let attr = attrs.iter().find(|a| {
            let (s, e) = self.range(a.span());
            self.src[s..e] == *"#[allow(unused_variables)]"
                && self
                    .marks
                    .iter()
                    .any(|m| m.replaced && m.at == s && m.end == e)
        })?;
        let body = self.text(block.span());
        // Every local binding must be used, or the allow still serves it.
        let mut locals = Bindings(Vec::new());
        locals.visit_block(block);
        if locals.0.iter().any(|n| uses(body, n) < 2) {
            return None;
        }
        let mut edits = Vec::new();
        for arg in &sig.inputs {
            let syn::FnArg::Typed(t) = arg else { continue };
            let Pat::Ident(p) = &*t.pat else { continue };
            let name = p.ident.to_string();
            if p.by_ref.is_some() || p.subpat.is_some() || name.starts_with('_') {
                continue;
            }
            if uses(body, &name) == 0 {
                let (s, e) = self.range(p.ident.span());
                edits.push(Edit {
                    start: s,
                    end: e,
                    kind: Kind::Replace(format!("_{name}")),
                });
            }
        }
        // With no parameter unused either, the allow serves nothing.
        let (a, b) = self.range(attr.span());
        let (s, e) = splice::attr_extent_with_comment(self.src, a, b, start);
        edits.push(Edit {
            start: s,
            end: e,
            kind: Kind::RemoveAttr,
        });
        Some(edits)
    }

    /// The first `let x = false;` (or `true`) in the function that lost
    /// its cfg and whose every later use is in an `if` condition that folds.
    fn dead_flag(&self, body: &Block) -> Option<Vec<Edit>> {
        let mut blocks = Blocks(Vec::new());
        blocks.visit_block(body);
        let body_text = self.text(body.span());
        for block in blocks.0 {
            for (i, stmt) in block.stmts.iter().enumerate() {
                let Some((name, value)) = flag(stmt) else {
                    continue;
                };
                // Only a `let` that lost its cfg: one of several versions.
                let (ls, le) = self.range(stmt.span());
                if !self.touched(splice::line_start(self.src, ls), le) {
                    continue;
                }
                let mut finder = Ifs {
                    t: self,
                    name: &name,
                    value,
                    uses: 0,
                    found: Vec::new(),
                    bad: false,
                };
                finder.stmts(&block.stmts[i + 1..]);
                if finder.bad || finder.found.is_empty() {
                    continue;
                }
                if uses(body_text, &name) != finder.uses + 1 {
                    continue;
                }
                let found = std::mem::take(&mut finder.found);
                if let Some(edits) = self.flag_edits(stmt, &found) {
                    return Some(edits);
                }
            }
        }
        None
    }

    /// The flag's `let` removed and each of its `if`s rewritten.
    fn flag_edits(&self, flag: &Stmt, ifs: &[FoundIf]) -> Option<Vec<Edit>> {
        let (s, e) = self.range(flag.span());
        let (s, e) = splice::node_extent(self.src, s, e);
        let mut edits = vec![Edit {
            start: s,
            end: e,
            kind: Kind::RemoveNode,
        }];
        for f in ifs {
            let (ss, se) = f.range;
            let edit = match &f.fold {
                Fold::Keep => return None,
                Fold::Text(t, _) => {
                    let (cs, ce) = self.range(f.expr.cond.span());
                    Edit {
                        start: cs,
                        end: ce,
                        kind: Kind::Replace(t.clone()),
                    }
                }
                Fold::Const(true) => self.fold_block(ss, se, &f.expr.then_branch, f.last, false)?,
                Fold::Const(false) => match f.expr.else_branch.as_ref().map(|(_, e)| &**e) {
                    None => {
                        let (s, e) = splice::node_extent(self.src, ss, se);
                        Edit {
                            start: s,
                            end: e,
                            kind: Kind::RemoveNode,
                        }
                    }
                    Some(Expr::Block(b)) if b.attrs.is_empty() && b.label.is_none() => {
                        self.fold_block(ss, se, &b.block, f.last, false)?
                    }
                    // `else if`: the chain goes on from there.
                    Some(other) => {
                        let (os, _) = self.range(other.span());
                        Edit {
                            start: ss,
                            end: se,
                            kind: Kind::Replace(self.src[os..se].to_string()),
                        }
                    }
                },
            };
            edits.push(edit);
        }
        // Rewrites inside one another would collide.
        let mut spans: Vec<(usize, usize)> = edits.iter().map(|e| (e.start, e.end)).collect();
        spans.sort();
        if spans.windows(2).any(|w| w[0].1 > w[1].0) {
            return None;
        }
        Some(edits)
    }

    /// The statement `[ss, se)` replaced by the statements of `block`, one
    /// indent level out. `last`: it is the last statement of its block;
    /// `semi`: a `;` follows the block.
    fn fold_block(
        &self,
        ss: usize,
        se: usize,
        block: &Block,
        last: bool,
        semi: bool,
    ) -> Option<Edit> {
        let t = self.src;
        let ls = splice::line_start(t, ss);
        if !splice::is_blank(&t[ls..ss]) || !splice::is_blank(&t[se..splice::line_end(t, se)]) {
            return None; // shares its lines with other code
        }
        // A let or an item lives to the end of its block; moved out, it
        // would live longer, unless nothing follows anyway.
        let scoped = block.stmts.iter().any(|s| match s {
            Stmt::Local(_) | Stmt::Item(_) => true,
            Stmt::Macro(m) => !plain_macro(&m.mac),
            Stmt::Expr(..) => false,
        });
        if scoped && !last {
            return None;
        }
        // `{ ...; value };` would hand its value on once the braces go.
        if semi && matches!(block.stmts.last(), Some(Stmt::Expr(_, None))) {
            return None;
        }
        let (bs, be) = self.range(block.span());
        let inner = &t[bs + 1..be - 1];
        let indent = &t[ls..ss];
        let body: Vec<&str> = if inner.contains('\n') {
            let mut lines: Vec<&str> = inner.split('\n').collect();
            // The rest of the `{` line and the `}` line's indent must be empty.
            if !splice::is_blank(lines[0]) || !splice::is_blank(lines[lines.len() - 1]) {
                return None;
            }
            lines.remove(0);
            lines.pop();
            lines
        } else if inner.trim().is_empty() {
            Vec::new()
        } else {
            return None;
        };
        let min = body
            .iter()
            .filter(|l| !splice::is_blank(l))
            .map(|l| l.len() - l.trim_start_matches([' ', '\t']).len())
            .min();
        let Some(min) = min else {
            // Nothing inside: the statement just goes.
            let (s, e) = splice::node_extent(t, ss, se);
            return Some(Edit {
                start: s,
                end: e,
                kind: Kind::RemoveNode,
            });
        };
        if min < indent.len() {
            return None;
        }
        let cut = min - indent.len();
        let mut out = String::new();
        for l in body {
            if !splice::is_blank(l) {
                out.push_str(&l[cut..]);
            }
            out.push('\n');
        }
        Some(Edit {
            start: ls,
            end: splice::next_line(t, se),
            kind: Kind::Replace(out),
        })
    }

    /// `e` with the flag `name` set to `value`; `None` where it cannot
    /// be simplified without changing what runs.
    fn fold(&self, e: &Expr, name: &str, value: bool, n: &mut usize) -> Option<Fold> {
        Some(match e {
            Expr::Path(p) if p.attrs.is_empty() && p.qself.is_none() && p.path.is_ident(name) => {
                *n += 1;
                Fold::Const(value)
            }
            Expr::Unary(u) if matches!(u.op, UnOp::Not(_)) => {
                match self.fold(&u.expr, name, value, n)? {
                    Fold::Const(b) => Fold::Const(!b),
                    Fold::Keep => Fold::Keep,
                    Fold::Text(t, _) => Fold::Text(format!("!{t}"), false),
                }
            }
            Expr::Paren(p) => match self.fold(&p.expr, name, value, n)? {
                Fold::Text(t, true) => Fold::Text(format!("({t})"), false),
                f => f,
            },
            Expr::Binary(b) if matches!(b.op, BinOp::And(_) | BinOp::Or(_)) => {
                let and = matches!(b.op, BinOp::And(_));
                let l = self.fold(&b.left, name, value, n)?;
                let r = self.fold(&b.right, name, value, n)?;
                let text = |f: Fold, e: &Expr| match f {
                    Fold::Keep => Fold::Text(self.text(e.span()).to_string(), binary(e)),
                    f => f,
                };
                match (l, r) {
                    (Fold::Keep, Fold::Keep) => Fold::Keep,
                    // `false && x`, `true || x`: x never runs.
                    (Fold::Const(c), _) if c != and => Fold::Const(c),
                    (Fold::Const(_), r) => text(r, &b.right),
                    (l, Fold::Const(c)) if c == and => text(l, &b.left),
                    // `x && false`: x would still run; leave it be.
                    (_, Fold::Const(_)) => return None,
                    (l, r) => {
                        let op = if and { "&&" } else { "||" };
                        let (Fold::Text(lt, _), Fold::Text(rt, _)) =
                            (text(l, &b.left), text(r, &b.right))
                        else {
                            return None;
                        };
                        Fold::Text(format!("{lt} {op} {rt}"), true)
                    }
                }
            }
            _ => Fold::Keep,
        })
    }
}

/// A macro that binds no names where it is called (printing, panics,
/// assertions); any other might expand to a `let`.
fn plain_macro(m: &syn::Macro) -> bool {
    const PLAIN: [&str; 12] = [
        "print",
        "println",
        "eprint",
        "eprintln",
        "panic",
        "assert",
        "assert_eq",
        "assert_ne",
        "debug_assert",
        "unreachable",
        "write",
        "writeln",
    ];
    m.path
        .segments
        .last()
        .is_some_and(|s| PLAIN.contains(&s.ident.to_string().as_str()))
}

/// Whether an expression's top is an operator that binds looser than `!`.
fn binary(e: &Expr) -> bool {
    matches!(
        e,
        Expr::Binary(_) | Expr::Cast(_) | Expr::Range(_) | Expr::Assign(_) | Expr::Let(_)
    )
}

/// `let name = false;` (or `true`, or `: bool`): the flag and its value.
fn flag(stmt: &Stmt) -> Option<(String, bool)> {
    let Stmt::Local(l) = stmt else { return None };
    if !l.attrs.is_empty() {
        return None;
    }
    let pat = match &l.pat {
        Pat::Type(t) if matches!(&*t.ty, syn::Type::Path(p) if p.path.is_ident("bool")) => &*t.pat,
        p => p,
    };
    let Pat::Ident(p) = pat else { return None };
    if p.by_ref.is_some() || p.mutability.is_some() || p.subpat.is_some() || !p.attrs.is_empty() {
        return None;
    }
    let init = l.init.as_ref()?;
    if init.diverge.is_some() {
        return None;
    }
    let Expr::Lit(lit) = &*init.expr else {
        return None;
    };
    let Lit::Bool(b) = &lit.lit else { return None };
    Some((p.ident.to_string(), b.value))
}

/// How often `name` occurs in `text` as an identifier, or in a format
/// string (`{name}`, `{name:?}`); many if the text does not lex.
fn uses(text: &str, name: &str) -> usize {
    fn count(ts: TokenStream, name: &str) -> usize {
        ts.into_iter()
            .map(|tt| match tt {
                TokenTree::Group(g) => count(g.stream(), name),
                TokenTree::Ident(i) => usize::from(i == name),
                TokenTree::Literal(l) => {
                    let l = l.to_string();
                    usize::from(
                        l.contains(&format!("{{{name}}}")) || l.contains(&format!("{{{name}:")),
                    )
                }
                TokenTree::Punct(_) => 0,
            })
            .sum()
    }
    text.parse::<TokenStream>()
        .map_or(usize::MAX / 2, |ts| count(ts, name))
}

/// Every block of a function body, outermost first.
struct Blocks<'ast>(Vec<&'ast Block>);

impl<'ast> Visit<'ast> for Blocks<'ast> {
    fn visit_block(&mut self, b: &'ast Block) {
        self.0.push(b);
        visit::visit_block(self, b);
    }
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// Every name a pattern binds in a body.
struct Bindings(Vec<String>);

impl<'ast> Visit<'ast> for Bindings {
    fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
        // `None` and constants parse as names too; they bind nothing.
        let name = p.ident.to_string();
        if !name.starts_with(|c: char| c == '_' || c.is_uppercase()) {
            self.0.push(name);
        }
        visit::visit_pat_ident(self, p);
    }
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// An `if` statement whose condition mentions the flag.
struct FoundIf<'ast> {
    expr: &'ast ExprIf,
    range: (usize, usize),
    last: bool,
    fold: Fold,
}

/// Finds the `if` statements after a flag's `let` that use it.
struct Ifs<'t, 'ast> {
    t: &'t Tidy<'t>,
    name: &'t str,
    value: bool,
    uses: usize,
    found: Vec<FoundIf<'ast>>,
    bad: bool,
}

impl<'ast> Ifs<'_, 'ast> {
    /// Statements that end their block (the last one is its last).
    fn stmts(&mut self, stmts: &'ast [Stmt]) {
        for (i, stmt) in stmts.iter().enumerate() {
            let last = i + 1 == stmts.len();
            if let Stmt::Expr(Expr::If(e), _) = stmt {
                let mut n = 0;
                match self.t.fold(&e.cond, self.name, self.value, &mut n) {
                    None => self.bad = true,
                    Some(_) if n == 0 => {}
                    Some(fold) => {
                        self.uses += n;
                        self.found.push(FoundIf {
                            expr: e,
                            range: self.t.range(stmt.span()),
                            last,
                            fold,
                        });
                    }
                }
            }
            self.visit_stmt(stmt);
        }
    }
}

impl<'ast> Visit<'ast> for Ifs<'_, 'ast> {
    fn visit_block(&mut self, b: &'ast Block) {
        self.stmts(&b.stmts);
    }
}

/// Bare blocks the resolution touched, outermost first.
struct BareBlocks<'t> {
    t: &'t Tidy<'t>,
    edits: Vec<Edit>,
}

impl<'ast> Visit<'ast> for BareBlocks<'_> {
    fn visit_block(&mut self, b: &'ast Block) {
        for (i, stmt) in b.stmts.iter().enumerate() {
            if let Stmt::Expr(Expr::Block(eb), semi) = stmt {
                let (ss, se) = self.t.range(stmt.span());
                let ls = splice::line_start(self.t.src, ss);
                if eb.attrs.is_empty() && eb.label.is_none() && self.t.touched(ls, se) {
                    let last = i + 1 == b.stmts.len();
                    if let Some(edit) = self.t.fold_block(ss, se, &eb.block, last, semi.is_some()) {
                        self.edits.push(edit);
                        continue;
                    }
                }
            }
            self.visit_stmt(stmt);
        }
    }
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

impl<'ast> Visit<'ast> for Tidy<'_> {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        let start = self.range(f.span()).0;
        self.function(&f.attrs, &f.sig, &f.block, start);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        let start = self.range(f.span()).0;
        self.function(&f.attrs, &f.sig, &f.block, start);
    }

    /// A block outside any function (a `const` or `static` initialiser):
    /// only bare blocks to fold there.
    fn visit_block(&mut self, block: &'ast Block) {
        let (s, e) = self.range(block.span());
        if !self.touched(s, e) {
            return;
        }
        let mut b = BareBlocks {
            t: self,
            edits: Vec::new(),
        };
        b.visit_block(block);
        let edits = b.edits;
        self.edits.extend(edits);
    }
}
