// Links the kernel binary with kernel.ld, rebuilds when assembly changes,
// and names two sets of labs for the kernel's `cfg`s (LAB_CFGS).

/// A cfg name and the labs that turn it on (any of them). The lab diff
/// resolves the same names (tools/labdiff/src/pred.rs; a test there
/// checks that its table is this one).
const LAB_CFGS: [(&str, &[&str]); 2] = [
    // A lab resolves user page faults: usertrap offers them to uvmfault.
    ("lab_faults", &["lazy", "cow", "mmap", "demand", "swap"]),
    // A lab's fault may read a disk and so sleep: system calls fault their
    // buffers in first (uvmprefault), and instruction faults are offered.
    ("lab_disk_faults", &["mmap", "demand", "swap"]),
];

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap();
    println!("cargo:rerun-if-changed=kernel.ld");
    println!("cargo:rerun-if-changed=asm");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("none") {
        println!("cargo:rustc-link-arg-bins=-T{dir}/kernel.ld");
        println!("cargo:rustc-link-arg-bins=-zmax-page-size=4096");
    }
    for (name, labs) in LAB_CFGS {
        println!("cargo::rustc-check-cfg=cfg({name})");
        // Cargo sets CARGO_FEATURE_<NAME> for each feature on, implied
        // ones too (zfod turns on lazy).
        let on = |lab: &&str| std::env::var_os(format!("CARGO_FEATURE_{}", lab.to_uppercase()));
        if labs.iter().any(|lab| on(lab).is_some()) {
            println!("cargo::rustc-cfg={name}");
        }
    }
}
