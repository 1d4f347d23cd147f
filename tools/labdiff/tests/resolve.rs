//! The resolver on small sources: what goes, what stays, byte for byte.

use labdiff::{resolve, FeatureSet};

/// Resolves `src` for the set named `set` ("", "lazy", "cow,mmap", ...).
fn res(src: &str, set: &str) -> String {
    resolve(src, &FeatureSet::parse(set).unwrap())
        .unwrap_or_else(|e| panic!("{e}"))
        .text
}

const SETS: [&str; 13] = [
    "",
    "lazy",
    "cow",
    "lazy,cow",
    "mmap",
    "lazy,mmap",
    "cow,mmap",
    "lazy,cow,mmap",
    "zfod",
    "lazy,cow,zfod",
    "demand",
    "lazy,demand",
    "lazy,cow,mmap,zfod,demand",
];

/// Whether feature `f` is on in the set named `set`; `zfod` turns on
/// `lazy` too (`demand` turns on nothing).
fn on(set: &str, f: &str) -> bool {
    let names: Vec<&str> = set.split(',').collect();
    names.contains(&f) || (f == "lazy" && names.contains(&"zfod"))
}

#[test]
fn items_true_and_false() {
    let src = "\
use a::b;
#[cfg(feature = \"cow\")]
use a::refs;
use a::c;

fn f() {}
";
    assert_eq!(
        res(src, "cow"),
        "use a::b;\nuse a::refs;\nuse a::c;\n\nfn f() {}\n"
    );
    assert_eq!(res(src, ""), "use a::b;\nuse a::c;\n\nfn f() {}\n");
}

#[test]
fn removed_item_takes_doc_comments_and_one_blank_line() {
    let src = "\
static A: u8 = 0;

/// Counts → pages.
#[cfg(feature = \"cow\")]
static B: u8 = 1;

/// Only lazy.
#[cfg(feature = \"lazy\")]
fn lazy() {}

fn c() {}
";
    assert_eq!(res(src, ""), "static A: u8 = 0;\n\nfn c() {}\n");
    assert_eq!(
        res(src, "lazy"),
        "static A: u8 = 0;\n\n/// Only lazy.\nfn lazy() {}\n\nfn c() {}\n"
    );
}

#[test]
fn not_all_any() {
    let src = "\
#[cfg(not(feature = \"lazy\"))]
fn a() {}
#[cfg(all(feature = \"lazy\", feature = \"cow\"))]
fn b() {}
#[cfg(any(feature = \"lazy\", feature = \"cow\"))]
fn c() {}
#[cfg(not(any(feature = \"lazy\", feature = \"cow\")))]
fn d() {}
";
    assert_eq!(res(src, ""), "fn a() {}\nfn d() {}\n");
    assert_eq!(res(src, "lazy"), "fn c() {}\n");
    assert_eq!(res(src, "cow"), "fn a() {}\nfn c() {}\n");
    assert_eq!(res(src, "lazy,cow"), "fn b() {}\nfn c() {}\n");
}

#[test]
fn mmap_with_the_others() {
    // The shapes the mmap lab needs: its own items, a fault path shared
    // with lazy and cow, and code for a combination.
    let src = "\
#[cfg(feature = \"mmap\")]
mod vma;
fn usertrap() {
    #[cfg(any(feature = \"lazy\", feature = \"cow\", feature = \"mmap\"))]
    fault();
    #[cfg(not(feature = \"mmap\"))]
    plain();
}
#[cfg(all(feature = \"cow\", feature = \"mmap\"))]
fn share_private() {}
#[cfg(all(feature = \"mmap\", not(feature = \"lazy\")))]
fn eager_heap() {}
";
    for set in SETS {
        let out = res(src, set);
        assert!(!out.contains("cfg("), "{set:?}: {out}");
        assert_eq!(out.contains("mod vma;"), on(set, "mmap"), "{set:?}");
        assert_eq!(
            out.contains("fault();"),
            on(set, "lazy") || on(set, "cow") || on(set, "mmap"),
            "{set:?}"
        );
        assert_eq!(out.contains("plain();"), !on(set, "mmap"), "{set:?}");
        assert_eq!(
            out.contains("fn share_private"),
            on(set, "cow") && on(set, "mmap"),
            "{set:?}"
        );
        assert_eq!(
            out.contains("fn eager_heap"),
            on(set, "mmap") && !on(set, "lazy"),
            "{set:?}"
        );
    }
    assert_eq!(
        res(src, "mmap"),
        "mod vma;\nfn usertrap() {\n    fault();\n}\nfn eager_heap() {}\n"
    );
    assert_eq!(res(src, ""), "fn usertrap() {\n    plain();\n}\n");
    assert_eq!(
        res(src, "lazy-cow-mmap"),
        "mod vma;\nfn usertrap() {\n    fault();\n}\nfn share_private() {}\n"
    );
}

#[test]
fn nested_cfgs() {
    let src = "\
#[cfg(feature = \"lazy\")]
mod lazy {
    #[cfg(feature = \"cow\")]
    fn both() {}
    fn only() {
        #[cfg(not(feature = \"cow\"))]
        {
            #[cfg(feature = \"lazy\")]
            x();
        }
    }
}
";
    assert_eq!(res(src, ""), "");
    assert_eq!(res(src, "cow"), "");
    assert_eq!(
        res(src, "lazy"),
        "mod lazy {\n    fn only() {\n        x();\n    }\n}\n"
    );
    assert_eq!(
        res(src, "lazy,cow"),
        "mod lazy {\n    fn both() {}\n    fn only() {\n    }\n}\n"
    );
}

#[test]
fn statements_blocks_and_lets() {
    let src = "\
fn f() {
    a();
    // Why the block is here.
    #[cfg(feature = \"lazy\")]
    {
        b();
    }
    #[cfg(not(feature = \"lazy\"))]
    let x = 1;
    #[cfg(feature = \"lazy\")] let x = 2;
    #[cfg(feature = \"cow\")]
    r.store(1, Ordering::Release);
    #[cfg(feature = \"cow\")]
    n = n + 1;
    #[cfg(feature = \"cow\")]
    if x > 0 {
        return;
    }
    c(x);
}
";
    assert_eq!(
        res(src, ""),
        "fn f() {\n    a();\n    let x = 1;\n    c(x);\n}\n"
    );
    assert_eq!(
        res(src, "lazy"),
        "fn f() {\n    a();\n    // Why the block is here.\n    b();\n    \
         let x = 2;\n    c(x);\n}\n"
    );
    assert_eq!(
        res(src, "cow"),
        "fn f() {\n    a();\n    let x = 1;\n    r.store(1, Ordering::Release);\n    \
         n = n + 1;\n    if x > 0 {\n        return;\n    }\n    c(x);\n}\n"
    );
}

#[test]
fn fields_variants_and_literals() {
    let src = "\
struct S {
    a: u8,
    #[cfg(feature = \"cow\")]
    refs: u16,
    #[cfg(not(feature = \"cow\"))] plain: u8, b: u8,
}
struct T(u8, #[cfg(feature = \"lazy\")] u16);
enum E {
    A,
    #[cfg(feature = \"lazy\")]
    L,
    B, #[cfg(feature = \"lazy\")] C
}
fn f() -> S {
    g(1, #[cfg(feature = \"lazy\")] 2, 3);
    S { a: 1, #[cfg(feature = \"cow\")] refs: 2, b: 3 }
}
";
    assert_eq!(
        res(src, ""),
        "struct S {\n    a: u8,\n    plain: u8, b: u8,\n}\nstruct T(u8,);\nenum E {\n    A,\n    B,\n}\n\
         fn f() -> S {\n    g(1, 3);\n    S { a: 1, b: 3 }\n}\n"
    );
    assert_eq!(
        res(src, "lazy,cow"),
        "struct S {\n    a: u8,\n    refs: u16,\n    b: u8,\n}\nstruct T(u8, u16);\nenum E {\n    A,\n    L,\n    B, C\n}\n\
         fn f() -> S {\n    g(1, 2, 3);\n    S { a: 1, refs: 2, b: 3 }\n}\n"
    );
}

#[test]
fn match_arms_params_generics_impl_items() {
    let src = "\
impl<#[cfg(feature = \"lazy\")] 'a, T> S<T> {
    #[cfg(feature = \"cow\")]
    fn cow(&self) {}

    fn f(&self, #[cfg(feature = \"lazy\")] sz: usize, va: usize) -> u8 {
        match va {
            #[cfg(feature = \"cow\")]
            0 => 1,
            // Lazily grown heap.
            #[cfg(feature = \"lazy\")]
            1 if va < sz => 2,
            _ => 0,
        }
    }
}
";
    assert_eq!(
        res(src, ""),
        "impl<T> S<T> {\n    fn f(&self, va: usize) -> u8 {\n        match va {\n            \
         _ => 0,\n        }\n    }\n}\n"
    );
    assert_eq!(
        res(src, "cow"),
        "impl<T> S<T> {\n    fn cow(&self) {}\n\n    fn f(&self, va: usize) -> u8 {\n        \
         match va {\n            0 => 1,\n            _ => 0,\n        }\n    }\n}\n"
    );
    assert_eq!(
        res(src, "lazy"),
        "impl<'a, T> S<T> {\n    fn f(&self, sz: usize, va: usize) -> u8 {\n        match va {\n            \
         // Lazily grown heap.\n            1 if va < sz => 2,\n            _ => 0,\n        }\n    }\n}\n"
    );
}

#[test]
fn cfg_attr() {
    let src = "\
#![cfg_attr(feature = \"lazy\", allow(dead_code))]
#[cfg_attr(not(any(feature = \"lazy\", feature = \"cow\")), allow(unused_variables))]
fn f(x: u8) {}
#[cfg_attr(feature = \"cow\", derive(Debug, Clone), repr(C))]
struct A;
#[cfg_attr(feature = \"cow\", cfg(feature = \"lazy\"))]
struct B;
#[cfg_attr(feature = \"cow\", cfg_attr(feature = \"lazy\", derive(Copy)))]
struct C;
#[derive(Default)] #[cfg_attr(feature = \"lazy\", derive(Eq))] struct D;
#[cfg_attr(test, derive(Debug))]
struct E;
";
    assert_eq!(
        res(src, ""),
        "fn f(_x: u8) {}\nstruct A;\nstruct B;\nstruct C;\n\
         #[derive(Default)] struct D;\n#[cfg_attr(test, derive(Debug))]\nstruct E;\n"
    );
    assert_eq!(
        res(src, "lazy"),
        "#![allow(dead_code)]\nfn f(x: u8) {}\nstruct A;\nstruct B;\nstruct C;\n\
         #[derive(Default)] #[derive(Eq)] struct D;\n#[cfg_attr(test, derive(Debug))]\nstruct E;\n"
    );
    assert_eq!(
        res(src, "cow"),
        "fn f(x: u8) {}\n#[derive(Debug, Clone)]\n#[repr(C)]\nstruct A;\nstruct C;\n\
         #[derive(Default)] struct D;\n#[cfg_attr(test, derive(Debug))]\nstruct E;\n"
    );
    assert_eq!(
        res(src, "lazy,cow"),
        "#![allow(dead_code)]\nfn f(x: u8) {}\n#[derive(Debug, Clone)]\n#[repr(C)]\nstruct A;\n\
         struct B;\n#[derive(Copy)]\nstruct C;\n#[derive(Default)] #[derive(Eq)] struct D;\n\
         #[cfg_attr(test, derive(Debug))]\nstruct E;\n"
    );
}

#[test]
fn comments_next_to_removed_code() {
    let src = "\
fn f() {
    a();
    // Belongs to b: same indentation, no blank line.
    // Two lines of it.
    #[cfg(feature = \"lazy\")]
    b(); // and its trailing comment

    // Separated by a blank line: stays.

    #[cfg(feature = \"lazy\")]
    c();
// Other indentation: stays.
    #[cfg(feature = \"lazy\")]
    d();
    /* Block comments stay. */
    #[cfg(feature = \"lazy\")]
    e();
    f(); // trailing comment of a kept line
    #[cfg(feature = \"lazy\")]
    // Between the attribute and the node: part of it.
    g();
}
";
    assert_eq!(
        res(src, ""),
        "fn f() {\n    a();\n\n    // Separated by a blank line: stays.\n\n\
         // Other indentation: stays.\n    /* Block comments stay. */\n    \
         f(); // trailing comment of a kept line\n}\n"
    );
    // A true cfg leaves its comments where they are.
    let lazy = res(src, "lazy");
    assert_eq!(lazy.lines().count(), src.lines().count() - 5);
    assert!(lazy.contains("    // Two lines of it.\n    b(); // and its trailing comment\n"));
    assert!(lazy.contains("    // Between the attribute and the node: part of it.\n    g();\n"));
}

#[test]
fn blank_lines_do_not_double() {
    let src = "\
fn a() {}

#[cfg(feature = \"cow\")]
fn b() {}

fn c() {
    x();

    #[cfg(feature = \"cow\")]
    y();
}

#[cfg(feature = \"cow\")]
fn d() {}
";
    assert_eq!(res(src, ""), "fn a() {}\n\nfn c() {\n    x();\n}\n");
    // At the top of a file, too.
    let src = "#[cfg(feature = \"cow\")]\nuse a;\n\nfn f() {}\n";
    assert_eq!(res(src, ""), "fn f() {}\n");
}

#[test]
fn other_cfgs_are_left_alone() {
    let src = "\
#[cfg(target_os = \"none\")]
fn kernel_only() {}
#[cfg(all(feature = \"lazy\", test))]
fn mixed() {}
#[cfg(any(feature = \"cow\", unix))]
fn either() {}
#[cfg(feature = \"unrelated\")]
fn other_feature() {}

#[cfg(test)]
mod tests {
    #[test]
    fn t() {}
}
";
    // With lazy alone every one of them depends on something unknown.
    assert_eq!(res(src, "lazy"), src);
    // `all(lazy, test)` is false without lazy; `any(cow, unix)` is true with cow.
    assert!(!res(src, "").contains("fn mixed"));
    assert!(res(src, "cow").contains("\nfn either() {}\n"));
    assert!(!res(src, "cow").contains("cfg(any(feature = \"cow\", unix))"));
    for set in SETS {
        assert!(
            res(src, set).ends_with("#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() {}\n}\n")
        );
        assert!(res(src, set).starts_with("#[cfg(target_os = \"none\")]\nfn kernel_only() {}\n"));
    }
}

#[test]
fn everything_else_is_byte_exact() {
    let src = "//! Crate doc → “unicode”, tabs\tand trailing spaces   \r\n\
               \r\n\
               /* block\n   comment */ fn  weird ( ) -> u8 {\t1 }   // x\r\n\
               #[cfg(feature = \"lazy\")]\r\n\
               fn lazy() {}\r\n\
               const S: &str = \"#[cfg(feature = \\\"lazy\\\")] in a string\";\n\
               \n\n\n\
               fn tail() {}";
    for set in SETS {
        let out = res(src, set);
        let expect = if on(set, "lazy") {
            src.replace("#[cfg(feature = \"lazy\")]\r\n", "")
        } else {
            src.replace("#[cfg(feature = \"lazy\")]\r\nfn lazy() {}\r\n", "")
        };
        assert_eq!(out, expect, "set {set:?}");
    }
    // No cfg at all: nothing changes.
    let plain = "fn main() {\n\n\n    let é = 1; // ü\n}\n\n";
    for set in SETS {
        assert_eq!(res(plain, set), plain);
    }
}

#[test]
fn non_ascii_before_removed_code() {
    let src = "fn f() { let s = \"αβγ→\"; #[cfg(feature = \"cow\")] g(\"ü\"); h(); }\n";
    assert_eq!(res(src, ""), "fn f() { let s = \"αβγ→\"; h(); }\n");
    assert_eq!(
        res(src, "cow"),
        "fn f() { let s = \"αβγ→\"; g(\"ü\"); h(); }\n"
    );
    let bom = "\u{feff}// ünïcode\n\n#[cfg(feature = \"cow\")]\nfn g() {}\nfn h() {}\n";
    assert_eq!(res(bom, ""), "\u{feff}// ünïcode\n\nfn h() {}\n");
}

#[test]
fn inner_cfg_empties_the_file() {
    let src = "//! Only with cow.\n#![cfg(feature = \"cow\")]\n\nfn f() {}\n";
    assert_eq!(res(src, ""), "");
    assert_eq!(res(src, "cow"), "//! Only with cow.\n\nfn f() {}\n");
}

#[test]
fn macros_are_warned_about() {
    let src = "fn f() { let v = vec![1, #[cfg(feature = \"cow\")] 2]; }\n";
    let r = resolve(src, &FeatureSet::BASE).unwrap();
    assert_eq!(r.text, src);
    assert_eq!(r.warnings.len(), 1);
    assert!(r.warnings[0].starts_with("1:18:"), "{:?}", r.warnings);
}

#[test]
fn invalid_rust_is_an_error() {
    let err = resolve("fn f( {\n", &FeatureSet::BASE).unwrap_err();
    assert_eq!(err.line, 1);
    assert!(err.to_string().contains("not valid Rust"), "{err}");
    let err = resolve(
        "fn ok() {}\nstruct S {\n  a: u8\n  b: u8,\n}\n",
        &FeatureSet::BASE,
    )
    .unwrap_err();
    assert_eq!(err.line, 4, "{err}");
}

#[test]
fn zfod_brings_lazy() {
    let src = "\
#[cfg(feature = \"lazy\")]
fn lazy() {}
#[cfg(feature = \"zfod\")]
fn zfod() {}
#[cfg(all(feature = \"lazy\", not(feature = \"zfod\")))]
fn lazy_only() {}
";
    assert_eq!(res(src, "lazy"), "fn lazy() {}\nfn lazy_only() {}\n");
    // The set zfod is lazy,zfod: the zfod lab alone is lazy -> zfod.
    assert_eq!(res(src, "zfod"), "fn lazy() {}\nfn zfod() {}\n");
    assert_eq!(res(src, "lazy,zfod"), res(src, "zfod"));
    assert_eq!(res(src, "cow"), "");
}

#[test]
fn demand_stands_alone() {
    let src = "\
#[cfg(feature = \"demand\")]
fn demand() {}
#[cfg(not(feature = \"demand\"))]
fn eager_exec() {}
#[cfg(all(feature = \"lazy\", feature = \"demand\"))]
fn lazy_demand() {}
";
    assert_eq!(res(src, ""), "fn eager_exec() {}\n");
    // The demand lab alone: base -> demand.
    assert_eq!(res(src, "demand"), "fn demand() {}\n");
    assert_eq!(res(src, "zfod"), "fn eager_exec() {}\n");
    assert_eq!(
        res(src, "zfod,demand"),
        "fn demand() {}\nfn lazy_demand() {}\n"
    );
    for set in SETS {
        let out = res(src, set);
        assert_eq!(out.contains("fn demand()"), on(set, "demand"), "{set:?}");
        assert_eq!(
            out.contains("fn lazy_demand()"),
            on(set, "lazy") && on(set, "demand"),
            "{set:?}"
        );
    }
}

// What the cfgs leave behind, tidied: each of these shapes once came out
// of the resolver as it is in the source, minus the cfg lines.

/// usertrap's old base view: `let resolved = false;` and a condition
/// `which == Intr::None && !resolved`.
#[test]
fn dead_flag_in_a_condition_goes() {
    let src = "\
fn usertrap() {
    which = devintr();
    // The labs map pages on demand: a fault they resolve is no error.
    #[cfg(feature = \"lazy\")]
    let resolved = which == Intr::None && pagefault(p, scause);
    #[cfg(not(feature = \"lazy\"))]
    let resolved = false;
    if which == Intr::None && !resolved {
        report();
    }
}
";
    assert_eq!(
        res(src, ""),
        "fn usertrap() {\n    which = devintr();\n    if which == Intr::None {\n        \
         report();\n    }\n}\n"
    );
    assert_eq!(
        res(src, "lazy"),
        "fn usertrap() {\n    which = devintr();\n    \
         // The labs map pages on demand: a fault they resolve is no error.\n    \
         let resolved = which == Intr::None && pagefault(p, scause);\n    \
         if which == Intr::None && !resolved {\n        report();\n    }\n}\n"
    );
}

/// A constant `if` becomes the branch that runs, or goes.
#[test]
fn dead_flag_branches_fold() {
    let src = "\
fn f() {
    #[cfg(not(feature = \"cow\"))]
    let shared = false;
    #[cfg(feature = \"cow\")]
    let shared = share();
    if shared {
        a();
    } else {
        b();
    }
    if !shared {
        c();
    }
    if shared {
        d();
    }
    if shared || ready() {
        e();
    }
}
";
    assert_eq!(
        res(src, ""),
        "fn f() {\n    b();\n    c();\n    if ready() {\n        e();\n    }\n}\n"
    );
    // Where the flag's operand is not the one that decides, the flag stays.
    let src = "\
fn f() {
    #[cfg(not(feature = \"cow\"))]
    let shared = false;
    #[cfg(feature = \"cow\")]
    let shared = share();
    if ready() && shared {
        a();
    }
}
";
    assert_eq!(
        res(src, ""),
        "fn f() {\n    let shared = false;\n    if ready() && shared {\n        a();\n    }\n}\n"
    );
}

/// A flag with another use, or one the author wrote, is not touched.
#[test]
fn flags_used_otherwise_stay() {
    let src = "\
fn f() {
    let done = false;
    if !done {
        a();
    }
    #[cfg(feature = \"cow\")]
    b();
    let quiet = false;
    log(quiet);
    if !quiet {
        c();
    }
}
";
    assert_eq!(
        res(src, ""),
        "fn f() {\n    let done = false;\n    if !done {\n        a();\n    }\n    \
         let quiet = false;\n    log(quiet);\n    if !quiet {\n        c();\n    }\n}\n"
    );
}

/// uvmcopy's old cow view: a `#[cfg] { ... }` block left bare.
#[test]
fn bare_block_from_a_true_cfg_folds() {
    let src = "\
fn uvmcopy() {
    for i in 0..n {
        let pa = pte.pa();
        // Share the page instead of copying it.
        #[cfg(feature = \"cow\")]
        {
            let mut flags = pte.flags();
            if flags.contains(W) {
                flags = flags - W;
            }
            share(pa, flags);
        }
        #[cfg(not(feature = \"cow\"))]
        let copied = copy(pa);
        #[cfg(not(feature = \"cow\"))]
        if copied.is_err() {
            return;
        }
    }
}
";
    assert_eq!(
        res(src, "cow"),
        "fn uvmcopy() {\n    for i in 0..n {\n        let pa = pte.pa();\n        \
         // Share the page instead of copying it.\n        let mut flags = pte.flags();\n        \
         if flags.contains(W) {\n            flags = flags - W;\n        }\n        \
         share(pa, flags);\n    }\n}\n"
    );
    // Also in a static's initialiser.
    let src = "\
static T: [u8; 2] = {
    let mut t = [0; 2];
    #[cfg(feature = \"mmap\")]
    {
        t[1] = 1;
    }
    t
};
";
    assert_eq!(
        res(src, "mmap"),
        "static T: [u8; 2] = {\n    let mut t = [0; 2];\n    t[1] = 1;\n    t\n};\n"
    );
}

/// A block whose `let` would outlive it, and the author's own blocks, stay.
#[test]
fn bare_blocks_that_scope_stay() {
    let src = "\
fn f() {
    #[cfg(feature = \"cow\")]
    {
        let g = lock();
        work(&g);
    }
    after();
    {
        let g = lock();
    }
    {
        a();
    }
    #[cfg(feature = \"lazy\")]
    z();
}
";
    let cow = res(src, "cow");
    assert_eq!(
        cow,
        "fn f() {\n    {\n        let g = lock();\n        work(&g);\n    }\n    after();\n    \
         {\n        let g = lock();\n    }\n    {\n        a();\n    }\n}\n"
    );
}

/// An allow from a true cfg_attr: unused parameters get `_` names, the
/// allow and the comment about it go. An allow the author wrote stays.
#[test]
fn allow_unused_from_cfg_attr_becomes_underscores() {
    let src = "\
/// Resolves a fault.
#[cfg(any(feature = \"lazy\", feature = \"cow\"))]
// `sz` matters only to lazy, `write` only to cow.
#[cfg_attr(not(all(feature = \"lazy\", feature = \"cow\")), allow(unused_variables))]
fn fault(sz: usize, va: usize, write: bool) -> bool {
    #[cfg(feature = \"lazy\")]
    if va < sz {
        return true;
    }
    #[cfg(feature = \"cow\")]
    if write {
        println!(\"{va:#x}\");
    }
    false
}
#[cfg_attr(feature = \"lazy\", allow(unused_variables))]
fn used(a: u8) -> u8 {
    a
}
#[allow(unused_variables)]
fn mine(a: u8) {}
";
    let tail = "#[allow(unused_variables)]\nfn mine(a: u8) {}\n";
    let used = "fn used(a: u8) -> u8 {\n    a\n}\n";
    assert_eq!(
        res(src, "lazy"),
        format!(
            "/// Resolves a fault.\nfn fault(sz: usize, va: usize, _write: bool) -> bool {{\n    \
             if va < sz {{\n        return true;\n    }}\n    false\n}}\n{used}{tail}"
        )
    );
    assert_eq!(
        res(src, "cow"),
        format!(
            "/// Resolves a fault.\nfn fault(_sz: usize, va: usize, write: bool) -> bool {{\n    \
             if write {{\n        println!(\"{{va:#x}}\");\n    }}\n    false\n}}\n{used}{tail}"
        )
    );
    let both = res(src, "lazy,cow");
    assert!(
        both.starts_with("/// Resolves a fault.\nfn fault(sz: usize, va: usize, write: bool)"),
        "{both}"
    );
    assert!(!both.contains("matters only"), "{both}");
    assert!(both.ends_with(&format!("{used}{tail}")), "{both}");
}
