//! The shipped model, pipelines and reference configs are valid.

use super::*;

#[test]
fn the_model_and_every_shipped_pipeline_are_valid() {
    let model = Model::load().unwrap();
    assert_eq!(model.schemas.len(), 3);
    let mut n = 0;
    for f in DEMO_PIPELINES_DIR.files() {
        let (p, unknown) = Pipeline::parse(f.contents_utf8().unwrap()).unwrap();
        assert!(unknown.is_empty(), "{}: {unknown:?}", f.path().display());
        let problems = p.problems(&model.schemas, f.path());
        assert!(problems.is_empty(), "{}: {problems:?}", f.path().display());
        n += 1;
    }
    assert_eq!(n, 9, "the demo has 9 partners");
}

#[test]
fn gazetteer_spellings_meet() {
    let m = Model::load().unwrap();
    let d = &m.reference.districts;
    for s in [
        "N. 24 Pgs",
        "24 pgs (n)",
        "উত্তর ২৪ পরগনা",
        "NORTH 24 PARGANAS",
        "Uttar 24 Pargana",
    ] {
        assert_eq!(d.lookup(s), Some("North 24 Parganas"), "{s}");
    }
    assert_eq!(d.lookup("Calcutta"), Some("Kolkata"));
    assert_eq!(d.lookup("Atlantis"), None);
    assert_eq!(m.reference.states.lookup("Mumbai"), Some("Maharashtra"));
}

/// Survivors come from beyond West Bengal: India's other districts and the
/// neighbouring countries are places, written the ways registers write them.
#[test]
fn districts_beyond_west_bengal_are_places_with_their_region() {
    let m = Model::load().unwrap();
    let (d, region) = (&m.reference.districts, &m.reference.district_region);
    let cases = [
        ("Ranchi", "Ranchi", Some("Jharkhand")),
        ("Dist. Ranchi", "Ranchi", Some("Jharkhand")),
        ("Ranchi, Jharkhand", "Ranchi", Some("Jharkhand")),
        ("Purbi Singhbhum", "East Singhbhum", Some("Jharkhand")),
        ("Jamshedpur district", "East Singhbhum", Some("Jharkhand")),
        ("Purnea", "Purnia", Some("Bihar")),
        ("Sibsagar", "Sivasagar", Some("Assam")),
        ("Jessore", "Jashore", Some("Bangladesh")),
        ("যশোর, বাংলাদেশ", "Jashore", Some("Bangladesh")),
        ("Bangladesh", "Bangladesh", Some("Bangladesh")),
        ("Jhapa (Nepal)", "Jhapa", Some("Nepal")),
        ("South Delhi", "South Delhi", Some("Delhi")),
        ("Delhi", "Delhi", Some("Delhi")),
        // Shared by two states: known, region said only when written.
        ("Aurangabad", "Aurangabad", None),
        ("Aurangabad, Bihar", "Aurangabad (Bihar)", Some("Bihar")),
        (
            "Chhatrapati Sambhajinagar",
            "Aurangabad (Maharashtra)",
            Some("Maharashtra"),
        ),
        ("Bhojpur Nepal", "Bhojpur (Nepal)", Some("Nepal")),
        // West Bengal's spellings stay West Bengal's.
        ("Burdwan", "Purba Bardhaman", Some("West Bengal")),
        ("Malda district", "Malda", Some("West Bengal")),
        ("জেলা নদিয়া", "Nadia", Some("West Bengal")),
        ("Cooch Behar, West Bengal", "Cooch Behar", Some("West Bengal")),
    ];
    for (written, canonical, in_region) in cases {
        assert_eq!(d.lookup(written), Some(canonical), "{written}");
        assert_eq!(region.get(canonical).unwrap().as_deref(), in_region, "{written}");
    }
    // A state alone: the district is not stated, the state is.
    assert_eq!(d.lookup("Jharkhand"), Some("Jharkhand"));
    assert_eq!(region["Jharkhand"].as_deref(), Some("Jharkhand"));
    for nowhere in ["Atlantis", "district", "Ranchi Atlantis", "West Bengal"] {
        assert_eq!(d.lookup(nowhere), None, "{nowhere}");
    }
    // Outside West Bengal a district's police is a police district.
    let r = &m.reference;
    assert_eq!(
        r.police_district_beyond_west_bengal("Purbi Singhbhum"),
        Some("East Singhbhum")
    );
    assert_eq!(
        r.police_district_beyond_west_bengal("Nadia"),
        None,
        "West Bengal's are listed"
    );
    assert_eq!(r.police_district_beyond_west_bengal("Jessore"), None, "not India's");
    assert_eq!(r.police_district_beyond_west_bengal("Jharkhand"), None, "a state");
    let s = &m.reference.states;
    assert_eq!(s.lookup("Pune"), Some("Maharashtra"));
    assert_eq!(s.lookup("Orissa"), Some("Odisha"));
    assert_eq!(s.lookup("Ranchi"), Some("Jharkhand"));
    assert_eq!(s.lookup("Nepal"), Some("Nepal"));
    assert_eq!(s.lookup("Kolkata"), Some("West Bengal"));
    assert_eq!(s.lookup("Aurangabad"), None, "shared by two states");
    // Every one of India's 36 states and union territories is listed.
    assert_eq!(
        s.names
            .iter()
            .filter(|n| !["Bangladesh", "Nepal", "Bhutan", "Myanmar", "Pakistan", "Sri Lanka"].contains(&n.as_str()))
            .count(),
        36
    );
}

/// docs/reference/tafteesh.toml: parsed by the strict parser (an unknown
/// key fails), sets every key, and resolves into a plan with the reference
/// pipeline.
#[test]
fn the_reference_tafteesh_toml_sets_every_key_and_resolves() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/reference");
    let text = std::fs::read_to_string(root.join("tafteesh.toml")).unwrap();
    let f: ProjectFile = toml::from_str(&text).unwrap();
    assert!(f.key_file.is_some(), "the reference shows key_file");
    for key in [
        "inbox",
        "output",
        "pipelines",
        "key_file",
        "[retention]",
        "keep_last",
        "keep_days",
        "[freshness]",
        "stale_after_days",
        "[suppression]",
        "k =",
        "[publish]",
        "max_shrink",
    ] {
        assert!(text.contains(key), "the reference lacks `{key}`");
    }
    // Its values are the defaults, as its comments say.
    let d = |s: &str| toml::from_str::<ProjectFile>(&format!("inbox = \"i\"\noutput = \"o\"\n{s}")).unwrap();
    let defaults = d("");
    assert_eq!(f.retention.keep_last, defaults.retention.keep_last);
    assert_eq!(f.retention.keep_days, defaults.retention.keep_days);
    assert_eq!(f.freshness.stale_after_days, defaults.freshness.stale_after_days);
    assert_eq!(f.suppression.k, defaults.suppression.k);
    assert_eq!(f.publish.max_shrink, defaults.publish.max_shrink);
    assert_eq!(f.pipelines, defaults.pipelines);

    // docs/reference is laid out as an installation: tafteesh.toml and pipelines/.
    let plan = Plan::resolve(&root, None).unwrap();
    assert_eq!(plan.pipelines.len(), 1);
    assert_eq!(plan.suppression.k, 5);
}

/// docs/reference/pipelines/example_ngo.toml: no unknown key, no problem against the
/// model, and every key a source or a feed can take is shown.
#[test]
fn the_reference_pipeline_is_valid_and_shows_every_key() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/reference/pipelines/example_ngo.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let (p, unknown) = Pipeline::parse(&text).unwrap();
    assert!(unknown.is_empty(), "{unknown:?}");
    let model = Model::load().unwrap();
    let problems = p.problems(&model.schemas, &path);
    assert!(problems.is_empty(), "{problems:?}");
    let csv = p.sources.iter().find(|s| s.format == pipeline::Format::Csv).unwrap();
    let xlsx = p.sources.iter().find(|s| s.format == pipeline::Format::Xlsx).unwrap();
    assert!(csv.delimiter.is_some() && xlsx.sheet.is_some());
    for key in [
        "date_order",
        "encoding",
        "header_row",
        "excel_date_system",
        "decimal_separator",
        ".columns]",
        ".values.",
        ".constants]",
        ".when]",
        "any_filled",
        "equals",
        "matches",
        ".defaults.",
        ".formats]",
        ".patterns]]",
        "set = ",
        ".routes]]",
        ".joined]",
        "separator",
        "[[sources.reject]]",
        ".choices.",
        "options = ",
        "prefer = ",
        "otherwise = ",
        "[sources.parent]",
        "date_format = ",
        "index = ",
        "reference = ",
    ] {
        assert!(text.contains(key), "the reference lacks `{key}`");
    }
    for schema in &model.schemas {
        assert!(
            p.sources.iter().any(|s| s.tables.contains_key(&schema.table)),
            "the reference feeds no `{}`",
            schema.table
        );
    }
}
