//! The resolver: parses a file with syn, decides every `cfg`/`cfg_attr`
//! for one feature set, and splices the original text; then `tidy`
//! cleans up what the removals left.

use std::collections::HashSet;
use std::fmt;

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{AttrStyle, Attribute, Expr, Meta};

use super::pred::{eval, FeatureSet, Tri, LAB_FEATURES};
use super::splice::{self, Edit, Kind, Lines};
use super::tidy;

/// A file as it reads for one feature set.
#[derive(Debug)]
pub struct Resolved {
    pub text: String,
    /// Things left unresolved, e.g. a lab cfg inside a macro call.
    pub warnings: Vec<String>,
}

/// A file syn cannot parse (or, for a bug here, a result it cannot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column + 1, self.message)
    }
}

impl std::error::Error for ParseError {}

fn parse_error(e: syn::Error, what: &str) -> ParseError {
    let at = e.span().start();
    ParseError {
        line: at.line,
        column: at.column,
        message: format!("{what}: {e}"),
    }
}

const BOM: &str = "\u{feff}";

/// Resolves Rust source `src` for `set`.
pub fn resolve(src: &str, set: &FeatureSet) -> Result<Resolved, ParseError> {
    // syn drops a byte-order mark before parsing; keep it out of the offsets.
    let (bom, body) = match src.strip_prefix(BOM) {
        Some(rest) => (BOM, rest),
        None => ("", src),
    };
    let file = syn::parse_file(body).map_err(|e| parse_error(e, "not valid Rust"))?;
    let mut r = Resolver {
        set,
        src: body,
        lines: Lines::new(body),
        edits: Vec::new(),
        handled: HashSet::new(),
        warnings: Vec::new(),
    };
    r.visit_file(&file);
    let (text, marks) = splice::apply_marked(body, r.edits, &[]);
    syn::parse_file(&text).map_err(|e| parse_error(e, "the resolved text does not parse"))?;
    // What the cfgs leave behind that no one would write for this
    // configuration alone: dead flags, bare blocks, allows for nothing.
    let text = tidy::tidy(text, marks);
    Ok(Resolved {
        text: format!("{bom}{text}"),
        warnings: r.warnings,
    })
}

struct Resolver<'a> {
    set: &'a FeatureSet,
    src: &'a str,
    lines: Lines<'a>,
    edits: Vec<Edit>,
    /// Start offsets of attributes already decided (a statement's
    /// attributes sit on an inner expression in syn's tree).
    handled: HashSet<usize>,
    warnings: Vec<String>,
}

/// What one attribute becomes.
enum Outcome {
    /// Not decided by the lab features: stays as written.
    Keep,
    /// A true `cfg`, or a `cfg_attr` whose predicate is false.
    Drop,
    /// A false `cfg`: the node goes.
    RemoveNode,
    /// A true `cfg_attr`: these attributes' source text.
    Replace(Vec<String>),
}

impl Resolver<'_> {
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

    /// Decides a node with these attributes spanning `span`; children are
    /// visited by `recurse` only if the node stays.
    fn node(&mut self, attrs: &[Attribute], span: Span, recurse: impl FnOnce(&mut Self)) {
        let range = self.range(span);
        self.node_at(attrs, range, recurse);
    }

    /// As `node`, for a node at byte range `(s, e)`.
    fn node_at(
        &mut self,
        attrs: &[Attribute],
        (mut s, mut e): (usize, usize),
        recurse: impl FnOnce(&mut Self),
    ) {
        let mut attr_edits = Vec::new();
        let mut remove = false;
        for attr in attrs {
            let (a, b) = self.range(attr.span());
            if !self.handled.insert(a) {
                continue;
            }
            let Meta::List(list) = &attr.meta else {
                continue;
            };
            let Some(name) = list.path.get_ident().map(|i| i.to_string()) else {
                continue;
            };
            match self.outcome(&name, list.tokens.clone()) {
                Outcome::Keep => {}
                Outcome::RemoveNode => remove = true,
                Outcome::Drop => {
                    // A comment between the node's attributes, just above a
                    // cfg_attr that goes, was about that cfg_attr.
                    let node_start = attrs.first().map_or(s, |f| self.range(f.span()).0.min(s));
                    let (start, end) = if name == "cfg_attr" {
                        splice::attr_extent_with_comment(self.src, a, b, node_start)
                    } else {
                        splice::attr_extent(self.src, a, b)
                    };
                    attr_edits.push(Edit {
                        start,
                        end,
                        kind: Kind::RemoveAttr,
                    });
                }
                Outcome::Replace(parts) => {
                    let text = self.rewrite(attr, a, &parts);
                    attr_edits.push(Edit {
                        start: a,
                        end: b,
                        kind: Kind::Replace(text),
                    });
                }
            }
        }
        if remove {
            if let Some(first) = attrs.first() {
                s = s.min(self.range(first.span()).0);
            }
            // A list element takes its comma along.
            let rest = &self.src[e..];
            let trimmed = rest.trim_start_matches([' ', '\t']);
            if trimmed.starts_with(',') {
                e += rest.len() - trimmed.len() + 1;
            }
            let (s, e) = splice::node_extent(self.src, s, e);
            self.edits.push(Edit {
                start: s,
                end: e,
                kind: Kind::RemoveNode,
            });
        } else {
            self.edits.extend(attr_edits);
            recurse(self);
        }
    }

    /// Evaluates `name(args)`, an attribute's or one inside a `cfg_attr`.
    fn outcome(&self, name: &str, args: TokenStream) -> Outcome {
        match name {
            "cfg" => match syn::parse2::<Meta>(args) {
                Ok(pred) => match eval(&pred, self.set) {
                    Tri::True => Outcome::Drop,
                    Tri::False => Outcome::RemoveNode,
                    Tri::Unknown => Outcome::Keep,
                },
                Err(_) => Outcome::Keep,
            },
            "cfg_attr" => {
                let parts = split_commas(args);
                let Some(Ok(pred)) = parts
                    .first()
                    .map(|p| syn::parse2::<Meta>(p.iter().cloned().collect()))
                else {
                    return Outcome::Keep;
                };
                match eval(&pred, self.set) {
                    Tri::Unknown => Outcome::Keep,
                    Tri::False => Outcome::Drop,
                    Tri::True => self.expand(&parts[1..]),
                }
            }
            _ => Outcome::Keep,
        }
    }

    /// The attributes of a true `cfg_attr`, themselves resolved.
    fn expand(&self, parts: &[Vec<TokenTree>]) -> Outcome {
        let mut keep = Vec::new();
        for part in parts.iter().filter(|p| !p.is_empty()) {
            let inner = match part.as_slice() {
                [TokenTree::Ident(i), TokenTree::Group(g)]
                    if g.delimiter() == Delimiter::Parenthesis =>
                {
                    self.outcome(&i.to_string(), g.stream())
                }
                _ => Outcome::Keep,
            };
            match inner {
                Outcome::Keep => {
                    let span = part[0].span().join(part[part.len() - 1].span());
                    keep.push(self.text(span.unwrap_or(part[0].span())).to_string());
                }
                Outcome::Drop => {}
                Outcome::RemoveNode => return Outcome::RemoveNode,
                Outcome::Replace(more) => keep.extend(more),
            }
        }
        if keep.is_empty() {
            Outcome::Drop
        } else {
            Outcome::Replace(keep)
        }
    }

    /// `#[cfg_attr(p, a, b)]` as `#[a]` and `#[b]`: on lines of their own
    /// if the original was alone on its line, else side by side.
    fn rewrite(&self, attr: &Attribute, start: usize, parts: &[String]) -> String {
        let bang = if matches!(attr.style, AttrStyle::Inner(_)) {
            "!"
        } else {
            ""
        };
        let ls = self.src[..start].rfind('\n').map_or(0, |i| i + 1);
        let before = &self.src[ls..start];
        let sep = if before.trim().is_empty() {
            format!("\n{before}")
        } else {
            " ".to_string()
        };
        let attrs: Vec<String> = parts.iter().map(|p| format!("#{bang}[{p}]")).collect();
        attrs.join(&sep)
    }

    fn warn_macro(&mut self, mac: &syn::Macro) {
        if mentions_lab_feature(mac.tokens.clone()) {
            let at = mac.span().start();
            self.warnings.push(format!(
                "{}:{}: a lab feature inside a macro call is left as written",
                at.line,
                at.column + 1
            ));
        }
    }
}

/// Splits a token stream at its top-level commas.
fn split_commas(ts: TokenStream) -> Vec<Vec<TokenTree>> {
    let mut parts = vec![Vec::new()];
    for tt in ts {
        match &tt {
            TokenTree::Punct(p) if p.as_char() == ',' => parts.push(Vec::new()),
            _ => parts.last_mut().unwrap().push(tt),
        }
    }
    parts
}

/// Whether tokens contain `feature = "<lab feature>"` anywhere.
fn mentions_lab_feature(ts: TokenStream) -> bool {
    let tts: Vec<TokenTree> = ts.into_iter().collect();
    tts.iter().enumerate().any(|(i, tt)| match tt {
        TokenTree::Group(g) => mentions_lab_feature(g.stream()),
        TokenTree::Ident(id) if id == "feature" => match (tts.get(i + 1), tts.get(i + 2)) {
            (Some(TokenTree::Punct(p)), Some(TokenTree::Literal(l))) if p.as_char() == '=' => {
                LAB_FEATURES
                    .iter()
                    .any(|f| l.to_string() == format!("{f:?}"))
            }
            _ => false,
        },
        _ => false,
    })
}

/// An expression's own attributes.
fn expr_attrs(e: &Expr) -> &[Attribute] {
    macro_rules! of {
        ($($v:ident),*) => {
            match e {
                $(Expr::$v(x) => &x.attrs,)*
                _ => &[],
            }
        };
    }
    of!(
        Array, Assign, Async, Await, Binary, Block, Break, Call, Cast, Closure, Const, Continue,
        Field, ForLoop, Group, If, Index, Infer, Let, Lit, Loop, Macro, Match, MethodCall, Paren,
        Path, Range, RawAddr, Reference, Repeat, Return, Struct, Try, TryBlock, Tuple, Unary,
        Unsafe, While, Yield
    )
}

/// A statement's attributes: syn hangs them on the leftmost operand of a
/// binary, assignment or cast expression, as it parses them.
fn stmt_expr_attrs(mut e: &Expr) -> &[Attribute] {
    loop {
        e = match e {
            Expr::Assign(x) => &x.left,
            Expr::Binary(x) => &x.left,
            Expr::Cast(x) => &x.expr,
            _ => return expr_attrs(e),
        };
    }
}

fn item_attrs(i: &syn::Item) -> &[Attribute] {
    use syn::Item::*;
    match i {
        Const(x) => &x.attrs,
        Enum(x) => &x.attrs,
        ExternCrate(x) => &x.attrs,
        Fn(x) => &x.attrs,
        ForeignMod(x) => &x.attrs,
        Impl(x) => &x.attrs,
        Macro(x) => &x.attrs,
        Mod(x) => &x.attrs,
        Static(x) => &x.attrs,
        Struct(x) => &x.attrs,
        Trait(x) => &x.attrs,
        TraitAlias(x) => &x.attrs,
        Type(x) => &x.attrs,
        Union(x) => &x.attrs,
        Use(x) => &x.attrs,
        _ => &[],
    }
}

fn impl_item_attrs(i: &syn::ImplItem) -> &[Attribute] {
    use syn::ImplItem::*;
    match i {
        Const(x) => &x.attrs,
        Fn(x) => &x.attrs,
        Type(x) => &x.attrs,
        Macro(x) => &x.attrs,
        _ => &[],
    }
}

fn trait_item_attrs(i: &syn::TraitItem) -> &[Attribute] {
    use syn::TraitItem::*;
    match i {
        Const(x) => &x.attrs,
        Fn(x) => &x.attrs,
        Type(x) => &x.attrs,
        Macro(x) => &x.attrs,
        _ => &[],
    }
}

fn foreign_item_attrs(i: &syn::ForeignItem) -> &[Attribute] {
    use syn::ForeignItem::*;
    match i {
        Fn(x) => &x.attrs,
        Static(x) => &x.attrs,
        Type(x) => &x.attrs,
        Macro(x) => &x.attrs,
        _ => &[],
    }
}

fn pat_attrs(p: &syn::Pat) -> &[Attribute] {
    use syn::Pat::*;
    match p {
        Const(x) => &x.attrs,
        Ident(x) => &x.attrs,
        Lit(x) => &x.attrs,
        Macro(x) => &x.attrs,
        Or(x) => &x.attrs,
        Paren(x) => &x.attrs,
        Path(x) => &x.attrs,
        Range(x) => &x.attrs,
        Reference(x) => &x.attrs,
        Rest(x) => &x.attrs,
        Slice(x) => &x.attrs,
        Struct(x) => &x.attrs,
        Tuple(x) => &x.attrs,
        TupleStruct(x) => &x.attrs,
        Type(x) => &x.attrs,
        Wild(x) => &x.attrs,
        _ => &[],
    }
}

impl<'ast> Visit<'ast> for Resolver<'_> {
    fn visit_file(&mut self, f: &'ast syn::File) {
        // A false inner `#![cfg]` empties the whole file.
        self.node_at(&f.attrs, (0, self.src.len()), |v| {
            for item in &f.items {
                v.visit_item(item);
            }
        });
    }

    fn visit_item(&mut self, i: &'ast syn::Item) {
        self.node(item_attrs(i), i.span(), |v| visit::visit_item(v, i));
    }

    fn visit_impl_item(&mut self, i: &'ast syn::ImplItem) {
        self.node(impl_item_attrs(i), i.span(), |v| {
            visit::visit_impl_item(v, i)
        });
    }

    fn visit_trait_item(&mut self, i: &'ast syn::TraitItem) {
        self.node(trait_item_attrs(i), i.span(), |v| {
            visit::visit_trait_item(v, i)
        });
    }

    fn visit_foreign_item(&mut self, i: &'ast syn::ForeignItem) {
        self.node(foreign_item_attrs(i), i.span(), |v| {
            visit::visit_foreign_item(v, i)
        });
    }

    fn visit_stmt(&mut self, s: &'ast syn::Stmt) {
        let attrs = match s {
            syn::Stmt::Local(l) => &l.attrs[..],
            syn::Stmt::Macro(m) => &m.attrs[..],
            syn::Stmt::Expr(e, _) => stmt_expr_attrs(e),
            syn::Stmt::Item(i) => return self.visit_item(i),
        };
        self.node(attrs, s.span(), |v| visit::visit_stmt(v, s));
    }

    fn visit_expr(&mut self, e: &'ast Expr) {
        self.node(expr_attrs(e), e.span(), |v| visit::visit_expr(v, e));
    }

    fn visit_arm(&mut self, a: &'ast syn::Arm) {
        self.node(&a.attrs, a.span(), |v| visit::visit_arm(v, a));
    }

    fn visit_field(&mut self, f: &'ast syn::Field) {
        self.node(&f.attrs, f.span(), |v| visit::visit_field(v, f));
    }

    fn visit_variant(&mut self, x: &'ast syn::Variant) {
        self.node(&x.attrs, x.span(), |v| visit::visit_variant(v, x));
    }

    fn visit_field_value(&mut self, x: &'ast syn::FieldValue) {
        self.node(&x.attrs, x.span(), |v| visit::visit_field_value(v, x));
    }

    fn visit_field_pat(&mut self, x: &'ast syn::FieldPat) {
        self.node(&x.attrs, x.span(), |v| visit::visit_field_pat(v, x));
    }

    fn visit_fn_arg(&mut self, x: &'ast syn::FnArg) {
        let attrs = match x {
            syn::FnArg::Receiver(r) => &r.attrs,
            syn::FnArg::Typed(t) => &t.attrs,
        };
        self.node(attrs, x.span(), |v| visit::visit_fn_arg(v, x));
    }

    fn visit_generic_param(&mut self, x: &'ast syn::GenericParam) {
        let attrs = match x {
            syn::GenericParam::Lifetime(p) => &p.attrs,
            syn::GenericParam::Type(p) => &p.attrs,
            syn::GenericParam::Const(p) => &p.attrs,
        };
        self.node(attrs, x.span(), |v| visit::visit_generic_param(v, x));
    }

    fn visit_pat(&mut self, p: &'ast syn::Pat) {
        self.node(pat_attrs(p), p.span(), |v| visit::visit_pat(v, p));
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.warn_macro(m);
        visit::visit_macro(self, m);
    }
}
