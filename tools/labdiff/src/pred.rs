//! Feature sets and the evaluation of `cfg` predicates against one.

use std::fmt;

use syn::punctuated::Punctuated;
use syn::{Expr, Lit, Meta, Token};

/// The kernel's lab features, in the order names are written. A feature
/// set is a subset of these; its bit `i` stands for `LAB_FEATURES[i]`.
pub const LAB_FEATURES: [&str; 6] = ["lazy", "cow", "mmap", "zfod", "demand", "swap"];

/// Lab features that turn on another, as in kernel/Cargo.toml
/// (`zfod = ["lazy"]`): cargo builds a set with the first with the second
/// on too, so a set always holds both.
pub const IMPLIES: [(&str, &str); 1] = [("zfod", "lazy")];

/// Cfg names the kernel's build script sets from the lab features: each
/// is on when any of its labs is. The same table as LAB_CFGS in
/// kernel/build.rs (a test checks that they agree).
pub const LAB_CFGS: [(&str, &[&str]); 2] = [
    ("lab_faults", &["lazy", "cow", "mmap", "demand", "swap"]),
    ("lab_disk_faults", &["mmap", "demand", "swap"]),
];

/// A subset of the lab features: one configuration of the kernel.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FeatureSet {
    /// Bit `i` set: `LAB_FEATURES[i]` is on.
    bits: u8,
}

impl FeatureSet {
    pub const BASE: FeatureSet = FeatureSet { bits: 0 };

    /// Every configuration, in teaching order: counting up in binary with
    /// the first lab feature as the low bit, so each lab comes after all
    /// the sets without it (base, lazy, cow, lazy-cow, mmap, lazy-mmap,
    /// cow-mmap, lazy-cow-mmap, lazy-zfod, ..., lazy-cow-mmap-zfod, then
    /// the same twelve with demand). A set missing a feature that one of
    /// its features implies is no configuration: left out (48 remain).
    pub fn all() -> Vec<FeatureSet> {
        (0..1u8 << LAB_FEATURES.len())
            .map(|bits| FeatureSet { bits })
            .filter(|s| s.implied() == *s)
            .collect()
    }

    /// The set with every feature its features imply turned on too.
    fn implied(&self) -> FeatureSet {
        let mut set = self.clone();
        for (f, g) in IMPLIES {
            if set.get(f) == Some(true) {
                set.bits |= 1 << index(g);
            }
        }
        set
    }

    /// Reads `""` or `base`, or lab feature names such as `lazy`, `cow,mmap`
    /// (any order; `-` and `+` also separate, so a branch name like
    /// `lazy-cow-mmap` works too). Implied features are added: `zfod` is
    /// the set `lazy,zfod`, as cargo builds it.
    pub fn parse(s: &str) -> Result<FeatureSet, String> {
        let mut set = FeatureSet::BASE;
        let s = s.trim();
        if s == "base" {
            return Ok(set);
        }
        for name in s.split([',', '-', '+', ' ']).filter(|n| !n.is_empty()) {
            match LAB_FEATURES.iter().position(|&f| f == name) {
                Some(i) => set.bits |= 1 << i,
                None => {
                    return Err(format!(
                        "unknown feature {name:?} in {s:?} (want base, or some of {} \
                         joined by `,`, `-` or `+`)",
                        LAB_FEATURES.join(", ")
                    ))
                }
            }
        }
        Ok(set.implied())
    }

    /// Whether lab feature `name` is on; `None` if it is no lab feature.
    pub fn get(&self, name: &str) -> Option<bool> {
        let i = LAB_FEATURES.iter().position(|&f| f == name)?;
        Some(self.bits & (1 << i) != 0)
    }

    fn enabled(&self) -> Vec<&'static str> {
        LAB_FEATURES
            .into_iter()
            .filter(|f| self.get(f) == Some(true))
            .collect()
    }

    /// Directory and branch name: `base`, `lazy`, `lazy-cow`, `cow-mmap`, ...
    pub fn name(&self) -> String {
        let on = self.enabled();
        if on.is_empty() {
            "base".into()
        } else {
            on.join("-")
        }
    }

    /// As cargo's `--features` wants it: `""`, `lazy`, `lazy,cow`, `cow,mmap`, ...
    pub fn features(&self) -> String {
        self.enabled().join(",")
    }
}

/// The bit of lab feature `name`.
fn index(name: &str) -> usize {
    LAB_FEATURES
        .iter()
        .position(|&f| f == name)
        .expect("a lab feature")
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
        Meta::Path(p) => match LAB_CFGS.iter().find(|(name, _)| p.is_ident(name)) {
            Some((_, labs)) if labs.iter().any(|lab| set.get(lab) == Some(true)) => Tri::True,
            Some(_) => Tri::False,
            None => Tri::Unknown,
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
            ("mmap", "mmap", "mmap"),
            ("mmap,lazy", "lazy-mmap", "lazy,mmap"),
            ("mmap+cow", "cow-mmap", "cow,mmap"),
            ("mmap-cow,lazy", "lazy-cow-mmap", "lazy,cow,mmap"),
            (" cow mmap ", "cow-mmap", "cow,mmap"),
            ("lazy,lazy", "lazy", "lazy"),
            // zfod implies lazy, as `zfod = ["lazy"]` does for cargo.
            ("zfod", "lazy-zfod", "lazy,zfod"),
            ("zfod,lazy", "lazy-zfod", "lazy,zfod"),
            ("cow,zfod", "lazy-cow-zfod", "lazy,cow,zfod"),
            ("lazy,cow,zfod", "lazy-cow-zfod", "lazy,cow,zfod"),
            ("zfod-mmap", "lazy-mmap-zfod", "lazy,mmap,zfod"),
            (
                "mmap,zfod,cow,lazy",
                "lazy-cow-mmap-zfod",
                "lazy,cow,mmap,zfod",
            ),
            // demand implies nothing, and nothing implies it.
            ("demand", "demand", "demand"),
            ("demand,lazy", "lazy-demand", "lazy,demand"),
            ("demand-cow", "cow-demand", "cow,demand"),
            ("zfod+demand", "lazy-zfod-demand", "lazy,zfod,demand"),
            (
                "demand,cow,zfod",
                "lazy-cow-zfod-demand",
                "lazy,cow,zfod,demand",
            ),
            (
                "demand,mmap,zfod,cow,lazy",
                "lazy-cow-mmap-zfod-demand",
                "lazy,cow,mmap,zfod,demand",
            ),
        ] {
            let set = FeatureSet::parse(s).unwrap();
            assert_eq!(set.name(), name, "{s:?}");
            assert_eq!(set.features(), feats, "{s:?}");
            // Both spellings read back as the same set.
            assert_eq!(FeatureSet::parse(name).unwrap(), set);
            assert_eq!(FeatureSet::parse(feats).unwrap(), set);
        }
        assert!(FeatureSet::parse("lazy,huge").is_err());
        assert!(FeatureSet::parse("base,cow").is_err());
        assert!(FeatureSet::parse("mmap,").is_ok());
        let e = FeatureSet::parse("nmap").unwrap_err();
        assert!(e.contains("lazy, cow, mmap, zfod, demand, swap"), "{e}");
        assert!(FeatureSet::parse("demands").is_err());
    }

    #[test]
    fn all_sets_in_teaching_order() {
        let names: Vec<String> = FeatureSet::all().iter().map(FeatureSet::name).collect();
        // The 24 without swap, then the same 24 with it.
        let first: Vec<&str> = vec![
            "base",
            "lazy",
            "cow",
            "lazy-cow",
            "mmap",
            "lazy-mmap",
            "cow-mmap",
            "lazy-cow-mmap",
            "lazy-zfod",
            "lazy-cow-zfod",
            "lazy-mmap-zfod",
            "lazy-cow-mmap-zfod",
            "demand",
            "lazy-demand",
            "cow-demand",
            "lazy-cow-demand",
            "mmap-demand",
            "lazy-mmap-demand",
            "cow-mmap-demand",
            "lazy-cow-mmap-demand",
            "lazy-zfod-demand",
            "lazy-cow-zfod-demand",
            "lazy-mmap-zfod-demand",
            "lazy-cow-mmap-zfod-demand",
        ];
        let with_swap = first.iter().map(|n| {
            if *n == "base" {
                "swap".into()
            } else {
                format!("{n}-swap")
            }
        });
        let want: Vec<String> = first
            .iter()
            .map(|n| n.to_string())
            .chain(with_swap)
            .collect();
        assert_eq!(names, want);
        assert_eq!(FeatureSet::all().len(), 48);
        assert_eq!(FeatureSet::all()[0], FeatureSet::BASE);
        // Every set reads back as itself, and holds what its features imply.
        for set in FeatureSet::all() {
            assert_eq!(FeatureSet::parse(&set.name()).unwrap(), set);
            for (f, g) in IMPLIES {
                assert!(set.get(f) != Some(true) || set.get(g) == Some(true));
            }
        }
        for set in FeatureSet::all() {
            for f in LAB_FEATURES {
                assert_eq!(set.get(f), Some(set.name().split('-').any(|n| n == f)));
            }
            assert_eq!(set.get("other"), None);
        }
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
        assert_eq!(ev("lab_faults", "cow"), Tri::True);
        assert_eq!(ev("lab_faults", ""), Tri::False);
        assert_eq!(ev("lab_disk_faults", "lazy,cow"), Tri::False);
        assert_eq!(ev("lab_disk_faults", "lazy,swap"), Tri::True);
        assert_eq!(ev("not(lab_disk_faults)", "zfod"), Tri::True);
        assert_eq!(ev("unix", "lazy"), Tri::Unknown);
        assert_eq!(ev(r#"target_os = "none""#, "lazy"), Tri::Unknown);
        // Mixed: decided only when the known part decides alone.
        assert_eq!(ev(r#"all(feature = "lazy", test)"#, "cow"), Tri::False);
        assert_eq!(ev(r#"all(feature = "lazy", test)"#, "lazy"), Tri::Unknown);
        assert_eq!(ev(r#"any(feature = "lazy", test)"#, "lazy"), Tri::True);
        assert_eq!(ev(r#"any(feature = "lazy", test)"#, ""), Tri::Unknown);
        assert_eq!(ev(r#"not(all(feature = "lazy", unix))"#, ""), Tri::True);
        assert_eq!(ev("not(a, b)", ""), Tri::Unknown);
    }

    #[test]
    fn evaluates_zfod() {
        let zfod = r#"feature = "zfod""#;
        assert_eq!(ev(zfod, "zfod"), Tri::True);
        assert_eq!(ev(zfod, "lazy"), Tri::False);
        assert_eq!(ev(zfod, "lazy,cow,mmap"), Tri::False);
        // The set `zfod` has lazy on.
        assert_eq!(ev(r#"feature = "lazy""#, "zfod"), Tri::True);
        assert_eq!(ev(r#"not(feature = "lazy")"#, "cow,zfod"), Tri::False);
        let both = r#"all(feature = "cow", feature = "zfod")"#;
        assert_eq!(ev(both, "zfod"), Tri::False);
        assert_eq!(ev(both, "lazy,cow,zfod"), Tri::True);
    }

    #[test]
    fn evaluates_demand() {
        let demand = r#"feature = "demand""#;
        assert_eq!(ev(demand, "demand"), Tri::True);
        assert_eq!(ev(demand, ""), Tri::False);
        assert_eq!(ev(demand, "lazy,cow,mmap,zfod"), Tri::False);
        assert_eq!(ev(demand, "lazy-cow-mmap-zfod-demand"), Tri::True);
        // demand turns on no other lab.
        for f in ["lazy", "cow", "mmap", "zfod"] {
            let other = format!("feature = {f:?}");
            assert_eq!(ev(&other, "demand"), Tri::False, "{f}");
        }
        assert_eq!(ev(r#"not(feature = "demand")"#, "zfod"), Tri::True);
        assert_eq!(ev(r#"not(feature = "demand")"#, "mmap,demand"), Tri::False);
        let both = r#"all(feature = "lazy", feature = "demand")"#;
        assert_eq!(ev(both, "demand"), Tri::False);
        assert_eq!(ev(both, "zfod,demand"), Tri::True);
        let any = r#"any(feature = "lazy", feature = "demand")"#;
        assert_eq!(ev(any, "cow"), Tri::False);
        assert_eq!(ev(any, "demand"), Tri::True);
        assert_eq!(ev(r#"all(feature = "demand", test)"#, "lazy"), Tri::False);
        assert_eq!(
            ev(r#"all(feature = "demand", test)"#, "demand"),
            Tri::Unknown
        );
    }

    #[test]
    fn evaluates_mmap() {
        let mmap = r#"feature = "mmap""#;
        assert_eq!(ev(mmap, "mmap"), Tri::True);
        assert_eq!(ev(mmap, "lazy-cow-mmap"), Tri::True);
        assert_eq!(ev(mmap, "lazy,cow"), Tri::False);
        assert_eq!(ev(mmap, ""), Tri::False);
        assert_eq!(ev(r#"not(feature = "mmap")"#, "cow"), Tri::True);
        assert_eq!(ev(r#"not(feature = "mmap")"#, "cow,mmap"), Tri::False);
        // The lab that shares the page-fault path with the others.
        let any = r#"any(feature = "lazy", feature = "cow", feature = "mmap")"#;
        assert_eq!(ev(any, ""), Tri::False);
        assert_eq!(ev(any, "mmap"), Tri::True);
        assert_eq!(ev(any, "lazy"), Tri::True);
        let both = r#"all(feature = "cow", feature = "mmap")"#;
        assert_eq!(ev(both, "cow"), Tri::False);
        assert_eq!(ev(both, "mmap"), Tri::False);
        assert_eq!(ev(both, "mmap,cow"), Tri::True);
        let only = r#"all(feature = "mmap", not(feature = "lazy"))"#;
        assert_eq!(ev(only, "mmap"), Tri::True);
        assert_eq!(ev(only, "lazy-mmap"), Tri::False);
        assert_eq!(ev(only, "lazy"), Tri::False);
        let nested = r#"any(all(feature = "lazy", feature = "mmap"), not(any(feature = "cow", feature = "mmap")))"#;
        for (set, want) in [
            ("", Tri::True),
            ("lazy", Tri::True),
            ("cow", Tri::False),
            ("mmap", Tri::False),
            ("lazy,mmap", Tri::True),
            ("lazy,cow,mmap", Tri::True),
            ("cow,mmap", Tri::False),
        ] {
            assert_eq!(ev(nested, set), want, "{set}");
        }
        // Still only decided where the lab features decide.
        assert_eq!(ev(r#"all(feature = "mmap", test)"#, "cow"), Tri::False);
        assert_eq!(ev(r#"all(feature = "mmap", test)"#, "mmap"), Tri::Unknown);
        assert_eq!(ev(r#"any(feature = "mmap", test)"#, "mmap"), Tri::True);
    }
}
