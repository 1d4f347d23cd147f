//! bench's feature sets (`tools::bench::SETS`) are lab-diff sets, in the
//! lab diff's order: a check across the two crates, here because labdiff
//! may depend on the runner but not the other way round.

use labdiff::FeatureSet;

#[test]
fn bench_sets_are_lab_diff_sets_in_order() {
    // SETS is sets of the lab diff, in its order: all eight without zfod,
    // demand or swap, as cargo spells them, then zfod ones (named without
    // the lazy that zfod implies), then demand alone and with every lab
    // but swap; then, after all 24 sets without swap, swap alone, with
    // every lab but mmap, and with every lab.
    let all = FeatureSet::all();
    let pos = |s: &str| {
        let set = FeatureSet::parse(s).unwrap();
        all.iter().position(|a| *a == set).unwrap()
    };
    let at: Vec<usize> = tools::bench::SETS.iter().map(|s| pos(s)).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{at:?}");
    let no_zfod: Vec<String> = all
        .iter()
        .filter(|s| {
            s.get("zfod") == Some(false)
                && s.get("demand") == Some(false)
                && s.get("swap") == Some(false)
        })
        .map(|s| match s.features() {
            f if f.is_empty() => "base".to_string(),
            f => f,
        })
        .collect();
    assert_eq!(tools::bench::SETS[..8].to_vec(), no_zfod);
    assert_eq!(
        tools::bench::SETS[8..],
        [
            "zfod",
            "lazy,cow,zfod",
            "demand",
            "lazy,cow,mmap,zfod,demand",
            "swap",
            "lazy,cow,zfod,demand,swap",
            "lazy,cow,mmap,zfod,demand,swap"
        ]
    );
    let without_swap = all.iter().filter(|s| s.get("swap") == Some(false)).count();
    assert_eq!(without_swap, 24);
    assert_eq!(
        at[11],
        without_swap - 1,
        "the last set without swap has every other lab"
    );
    assert_eq!(
        at[12], without_swap,
        "swap alone comes first of the swap sets"
    );
    assert_eq!(
        FeatureSet::parse(tools::bench::SETS[14]).unwrap(),
        *all.last().unwrap(),
        "the last set has every lab"
    );
}
