//! Feature sets and the evaluation of `cfg` predicates against one.

use std::fmt;

use syn::punctuated::Punctuated;
use syn::{Expr, Lit, Meta, Token};

/// The kernel's lab features, in the order names are written.
pub const LAB_FEATURES: [&str; 2] = ["lazy", "cow"];

/// A subset of the lab features: one configuration of the kernel.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FeatureSet {
    lazy: bool,
    cow: bool,
}

impl FeatureSet {
    pub const BASE: FeatureSet = FeatureSet {
        lazy: false,
        cow: false,
    };

    /// The four configurations, in teaching order.
    pub fn all() -> [FeatureSet; 4] {
        [
            FeatureSet::BASE,
            FeatureSet {
                lazy: true,
                cow: false,
            },
            FeatureSet {
                lazy: false,
                cow: true,
            },
            FeatureSet {
                lazy: true,
                cow: true,
            },
        ]
    }

    /// Reads `""` or `base`, `lazy`, `cow`, `lazy,cow` (any order; `-` and
    /// `+` also separate, so a branch name like `lazy-cow` works too).
    pub fn parse(s: &str) -> Result<FeatureSet, String> {
        let mut set = FeatureSet::BASE;
        let s = s.trim();
        if s == "base" {
            return Ok(set);
        }
        for name in s.split([',', '-', '+', ' ']).filter(|n| !n.is_empty()) {
            match name {
                "lazy" => set.lazy = true,
                "cow" => set.cow = true,
                _ => {
                    return Err(format!(
                        "unknown feature {name:?} in {s:?} (want base, lazy, cow or lazy,cow)"
                    ))
                }
            }
        }
        Ok(set)
    }

    /// Whether lab feature `name` is on; `None` if it is no lab feature.
    pub fn get(&self, name: &str) -> Option<bool> {
        match name {
            "lazy" => Some(self.lazy),
            "cow" => Some(self.cow),
            _ => None,
        }
    }

    fn enabled(&self) -> Vec<&'static str> {
        LAB_FEATURES
            .into_iter()
            .filter(|f| self.get(f) == Some(true))
            .collect()
    }

    /// Directory and branch name: `base`, `lazy`, `cow`, `lazy-cow`.
    pub fn name(&self) -> String {
        let on = self.enabled();
        if on.is_empty() {
            "base".into()
        } else {
            on.join("-")
        }
    }

    /// As cargo's `--features` wants it: `""`, `lazy`, `cow`, `lazy,cow`.
    pub fn features(&self) -> String {
        self.enabled().join(",")
    }
}

impl fmt::Display for FeatureSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// A predicate's value: decided, or depending on things we do not model
/// (target, `test`, other features), in which case it is left alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tri {
    True,
    False,
    Unknown,
}

impl Tri {
    fn not(self) -> Tri {
        match self {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
        }
    }
}

/// Evaluates one cfg predicate (the inside of `cfg(...)`).
pub fn eval(pred: &Meta, set: &FeatureSet) -> Tri {
    match pred {
        Meta::NameValue(nv) if nv.path.is_ident("feature") => match &nv.value {
            Expr::Lit(l) => match &l.lit {
                Lit::Str(s) => match set.get(&s.value()) {
                    Some(true) => Tri::True,
                    Some(false) => Tri::False,
                    None => Tri::Unknown,
                },
                _ => Tri::Unknown,
            },
            _ => Tri::Unknown,
        },
        Meta::List(list) => {
            let Ok(args) = list.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
            else {
                return Tri::Unknown;
            };
            let vals = args.iter().map(|m| eval(m, set));
            if list.path.is_ident("not") {
                match args.len() {
                    1 => eval(&args[0], set).not(),
                    _ => Tri::Unknown,
                }
            } else if list.path.is_ident("all") {
                fold(vals, Tri::False, Tri::True)
            } else if list.path.is_ident("any") {
                fold(vals, Tri::True, Tri::False)
            } else {
                Tri::Unknown
            }
        }
        _ => Tri::Unknown,
    }
}

/// `all` and `any`: one `decisive` value decides; all `neutral` (or none at
/// all) gives `neutral`; otherwise the result is unknown.
fn fold(vals: impl Iterator<Item = Tri>, decisive: Tri, neutral: Tri) -> Tri {
    let mut out = neutral;
    for v in vals {
        if v == decisive {
            return decisive;
        }
        if v == Tri::Unknown {
            out = Tri::Unknown;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(pred: &str, set: &str) -> Tri {
        let m: Meta = syn::parse_str(pred).unwrap();
        eval(&m, &FeatureSet::parse(set).unwrap())
    }

    #[test]
    fn parses_sets() {
        for (s, name, feats) in [
            ("", "base", ""),
            ("base", "base", ""),
            ("lazy", "lazy", "lazy"),
            ("cow", "cow", "cow"),
            ("lazy,cow", "lazy-cow", "lazy,cow"),
            ("cow,lazy", "lazy-cow", "lazy,cow"),
            ("lazy-cow", "lazy-cow", "lazy,cow"),
        ] {
            let set = FeatureSet::parse(s).unwrap();
            assert_eq!(set.name(), name);
            assert_eq!(set.features(), feats);
        }
        assert!(FeatureSet::parse("lazy,huge").is_err());
        assert!(FeatureSet::parse("base,cow").is_err());
    }

    #[test]
    fn evaluates() {
        assert_eq!(ev(r#"feature = "lazy""#, "lazy"), Tri::True);
        assert_eq!(ev(r#"feature = "lazy""#, "cow"), Tri::False);
        assert_eq!(ev(r#"not(feature = "cow")"#, ""), Tri::True);
        assert_eq!(
            ev(r#"all(feature = "lazy", feature = "cow")"#, "lazy"),
            Tri::False
        );
        assert_eq!(
            ev(r#"any(feature = "lazy", feature = "cow")"#, "cow"),
            Tri::True
        );
        assert_eq!(ev("all()", ""), Tri::True);
        assert_eq!(ev("any()", ""), Tri::False);
        assert_eq!(ev("test", "lazy"), Tri::Unknown);
        assert_eq!(ev(r#"feature = "other""#, "lazy"), Tri::Unknown);
        assert_eq!(ev(r#"target_os = "none""#, "lazy"), Tri::Unknown);
        // Mixed: decided only when the known part decides alone.
        assert_eq!(ev(r#"all(feature = "lazy", test)"#, "cow"), Tri::False);
        assert_eq!(ev(r#"all(feature = "lazy", test)"#, "lazy"), Tri::Unknown);
        assert_eq!(ev(r#"any(feature = "lazy", test)"#, "lazy"), Tri::True);
        assert_eq!(ev(r#"any(feature = "lazy", test)"#, ""), Tri::Unknown);
        assert_eq!(ev(r#"not(all(feature = "lazy", unix))"#, ""), Tri::True);
        assert_eq!(ev("not(a, b)", ""), Tri::Unknown);
    }
}
