//! The shipped model, pipelines and reference configs are valid.

use super::*;

#[test]
fn the_model_and_every_shipped_pipeline_are_valid() {
    let model = Model::load().unwrap();
    assert_eq!(model.schemas.len(), 6);
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
        "[access]",
        "research_group",
        "reports_public",
        "reports_group",
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
    assert_eq!(f.access.reports_public, defaults.access.reports_public);
    assert_eq!(f.access.research_group, defaults.access.research_group);
    assert_eq!(f.pipelines, defaults.pipelines);

    // docs/reference is laid out as an installation: tafteesh.toml,
    // pipelines/ and the installation's own known values.
    let plan = Plan::resolve(&root, None).unwrap();
    assert_eq!(plan.pipelines.len(), 1);
    assert_eq!(plan.suppression.k, 5);
    assert!(plan.reference_file.is_some());
    let r = &plan.model.reference;
    assert_eq!(r.blocks.lookup("K.M.C."), Some("Kolkata Municipal Corporation"));
    assert_eq!(
        r.police_stations.lookup("Sonagachi O.P. Thana"),
        Some("Sonagachi Outpost PS")
    );
    assert_eq!(r.schemes.lookup("MANABIK"), Some("Manabik Pension Scheme"));
    assert_eq!(r.ahtu_units.lookup("Nadia AHTU"), Some("Krishnanagar AHTU"));
    assert_eq!(r.ahtu_unit("AHTU, Nadia"), Some("Krishnanagar AHTU"));
    // Shipped: a unit for every district and police district, written
    // either way round, in any of the place's spellings.
    let shipped = Model::load().unwrap().reference;
    for (written, unit) in [
        ("Murshidabad AHTU", "Murshidabad AHTU"),
        ("AHTU - Murshidabad", "Murshidabad AHTU"),
        ("মুর্শিদাবাদ এএইচটিইউ", "Murshidabad AHTU"),
        ("Anti Human Trafficking Unit, Krishnanagar PD", "Krishnanagar AHTU"),
        ("Nadia AHTU", "Nadia AHTU"),
        ("Sundarban PD AHTU", "Sundarban AHTU"),
        ("Barasat", "Barasat AHTU"),
    ] {
        assert_eq!(shipped.ahtu_unit(written), Some(unit), "{written}");
    }
    for unknown in ["Ranchi AHTU", "AHTU", "Murshidabad"] {
        assert_eq!(shipped.ahtu_unit(unknown), None, "{unknown}");
    }
    // A gram panchayat only once an installation lists it, in the
    // spellings registers write around its name.
    assert!(Model::load().unwrap().reference.gram_panchayats.names.is_empty());
    for written in [
        "Itkhola",
        "ITKHOLA GP",
        "Itkhola G.P.",
        "Itkhola Gram Panchayat",
        "ইটখোলা",
        "ইটখোলা গ্রাম পঞ্চায়েত",
    ] {
        assert_eq!(r.gram_panchayats.lookup(written), Some("Itkhola"), "{written}");
    }
    for typed in ["Rahima Khatun", "GP", "Canning I", "9876543210"] {
        assert_eq!(r.gram_panchayats.lookup(typed), None, "{typed}");
    }
}

/// A gram panchayat an installation lists names its block, a known one.
#[test]
fn a_gram_panchayat_names_a_known_block() {
    let model = Model::load().unwrap();
    let mut r = model.reference;
    let file: reference::KnownFile = toml::from_str(
        "[[gram_panchayat]]\nname = \"Matla\"\nblock = \"Canning-I\"\n\
         [[gram_panchayat]]\nname = \"Nowhere GP\"\nblock = \"Atlantis\"\n\
         [[gram_panchayat]]\nname = \"Floating\"\n",
    )
    .unwrap();
    let problems = r.extend(&file);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems
            .iter()
            .any(|p| p.contains("`Atlantis`, which is not a known block")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("`Floating` names no block")),
        "{problems:?}"
    );
    assert_eq!(r.gram_panchayats.lookup("Matla G.P."), Some("Matla"));
}

/// An installation's known value that takes a spelling a shipped one has,
/// or names no district, is refused, naming the file.
#[test]
fn an_installation_cannot_take_a_shipped_spelling() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/reference");
    std::fs::copy(root.join("tafteesh.toml"), dir.path().join("tafteesh.toml")).unwrap();
    std::fs::create_dir_all(dir.path().join("pipelines")).unwrap();
    std::fs::copy(
        root.join("pipelines/example_ngo.toml"),
        dir.path().join("pipelines/example_ngo.toml"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("reference.toml"),
        "[[block]]\nname = \"New Canning\"\ndistrict = \"Nowhere\"\nvariants = [\"Canning-1\"]\n",
    )
    .unwrap();
    let err = Plan::resolve(dir.path(), None).unwrap_err().to_string();
    assert!(err.contains("reference.toml"), "{err}");
    assert!(err.contains("`Canning-1` already names `Canning I`"), "{err}");
    assert!(err.contains("`Nowhere`, which is not a district"), "{err}");
}

/// The shipped known values: spellings as registers write them meet their
/// list's name; what a person typed in their place does not.
#[test]
fn the_known_values_take_a_registers_spellings_and_nothing_else() {
    let r = Model::load().unwrap().reference;
    for (written, want) in [
        ("Canning-I", "Canning I"),
        ("CANNING 1", "Canning I"),
        ("Canning I Block", "Canning I"),
        ("ক্যানিং-১", "Canning I"),
        ("Joynagar-II", "Jaynagar II"),
        ("Pathar Pratima", "Patharpratima"),
        ("Canning-I, S 24 Pgs", "Canning I"),
        ("Sankrail, Howrah", "Sankrail (Howrah)"),
    ] {
        assert_eq!(r.blocks.lookup(written), Some(want), "{written}");
    }
    assert_eq!(r.blocks.names.len(), 345, "West Bengal's blocks");
    for (written, want) in [
        ("Canning PS", "Canning PS"),
        ("Canning P.S.", "Canning PS"),
        ("P.S.- Canning", "Canning PS"),
        ("canning police station", "Canning PS"),
        ("ক্যানিং থানা", "Canning PS"),
        ("Diamond Harbor PS", "Diamond Harbour PS"),
        ("Bhangore Thana", "Bhangar PS"),
    ] {
        assert_eq!(r.police_stations.lookup(written), Some(want), "{written}");
    }
    assert_eq!(
        r.schemes.lookup("W.B. Victim Compensation Scheme, 2017"),
        Some("West Bengal Victim Compensation Scheme 2017")
    );
    assert_eq!(r.schemes.lookup("NALSA 2018"), Some("NALSA Compensation Scheme 2018"));
    // A name two districts share is known only with its district.
    assert_eq!(r.blocks.lookup("Sankrail"), None);
    for typed in ["Rahima Khatun", "9876543210", "Ghutiari Sharif", "PS", "Block", ""] {
        assert_eq!(r.blocks.lookup(typed), None, "{typed}");
        assert_eq!(r.police_stations.lookup(typed), None, "{typed}");
        assert_eq!(r.schemes.lookup(typed), None, "{typed}");
    }
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
