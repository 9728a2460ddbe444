//! Synthetic vocabularies: Bengali given names and surnames (Latin and
//! Bengali script), their common transliteration variants, villages, blocks
//! and police stations. Every person the generator makes is fictional.

/// (Latin, Bengali script)
pub const FEMALE_GIVEN: &[(&str, &str)] = &[
    ("Rahima", "রহিমা"), ("Salma", "সালমা"), ("Fatema", "ফাতেমা"), ("Ayesha", "আয়েশা"), ("Rupa", "রূপা"),
    ("Mita", "মিতা"), ("Puja", "পূজা"), ("Rina", "রিনা"), ("Sabina", "সাবিনা"), ("Nasima", "নাসিমা"),
    ("Jahanara", "জাহানারা"), ("Mousumi", "মৌসুমী"), ("Sonali", "সোনালী"), ("Tumpa", "টুম্পা"), ("Laxmi", "লক্ষ্মী"),
    ("Parvin", "পারভিন"), ("Shapla", "শাপলা"), ("Rekha", "রেখা"), ("Anjali", "অঞ্জলি"), ("Champa", "চম্পা"),
    ("Moumita", "মৌমিতা"), ("Rumana", "রুমানা"), ("Sultana", "সুলতানা"), ("Bithi", "বিথি"), ("Shilpi", "শিল্পী"),
    ("Tania", "তানিয়া"), ("Asma", "আসমা"), ("Rehana", "রেহানা"), ("Kajal", "কাজল"), ("Priya", "প্রিয়া"),
    ("Mampi", "মাম্পি"), ("Sathi", "সাথী"), ("Rubina", "রুবিনা"), ("Jyotsna", "জ্যোৎস্না"), ("Sumitra", "সুমিত্রা"),
];

pub const MALE_GIVEN: &[(&str, &str)] = &[
    ("Abdul", "আব্দুল"), ("Rahim", "রহিম"), ("Karim", "করিম"), ("Jalal", "জালাল"), ("Nur", "নূর"),
    ("Sukumar", "সুকুমার"), ("Gopal", "গোপাল"), ("Haru", "হারু"), ("Bishnu", "বিষ্ণু"), ("Tapan", "তপন"),
    ("Anwar", "আনোয়ার"), ("Rafiq", "রফিক"), ("Samir", "সমীর"), ("Nikhil", "নিখিল"), ("Ramesh", "রমেশ"),
    ("Bablu", "বাবলু"), ("Sahidul", "সহিদুল"), ("Mannan", "মান্নান"), ("Asit", "অসিত"), ("Dilip", "দিলীপ"),
];

/// (Latin, Bengali, Muslim family name?)
pub const SURNAMES: &[(&str, &str, bool)] = &[
    ("Sk", "শেখ", true), ("Molla", "মোল্লা", true), ("Gazi", "গাজী", true), ("Laskar", "লস্কর", true),
    ("Sardar", "সরদার", true), ("Paik", "পাইক", true), ("Mondal", "মণ্ডল", false), ("Das", "দাস", false),
    ("Roy", "রায়", false), ("Naskar", "নস্কর", false), ("Halder", "হালদার", false), ("Biswas", "বিশ্বাস", false),
    ("Mistri", "মিস্ত্রি", false), ("Purkait", "পুরকাইত", false), ("Bera", "বেরা", false), ("Pramanik", "প্রামানিক", false),
    ("Ghosh", "ঘোষ", false), ("Sardar", "সর্দার", false),
];

/// Surnames Muslim women often carry instead of the family name.
pub const MUSLIM_FEMALE_SURNAMES: &[(&str, &str)] = &[("Khatun", "খাতুন"), ("Begum", "বেগম"), ("Bibi", "বিবি")];

/// Spellings other partners write for the same name.
pub const VARIANTS: &[(&str, &[&str])] = &[
    ("Khatun", &["Khatoon", "Katun"]), ("Mondal", &["Mandal", "Mondol"]), ("Sk", &["Sheikh", "Shaikh", "Seikh"]),
    ("Das", &["Dass"]), ("Roy", &["Ray"]), ("Begum", &["Begam"]), ("Molla", &["Mollah", "Mulla"]),
    ("Gazi", &["Ghazi"]), ("Halder", &["Haldar"]), ("Naskar", &["Nashkar"]), ("Biswas", &["Bishwas"]),
    ("Sardar", &["Sarder"]), ("Fatema", &["Fatima"]), ("Ayesha", &["Aisha", "Ayesa"]), ("Rupa", &["Roopa"]),
    ("Puja", &["Pooja"]), ("Laxmi", &["Lakshmi", "Luxmi"]), ("Parvin", &["Parveen"]), ("Nasima", &["Nasema"]),
    ("Mousumi", &["Moushumi", "Mausumi"]), ("Sonali", &["Shonali"]), ("Abdul", &["Abdool"]),
    ("Rafiq", &["Rafik"]), ("Jyotsna", &["Jyotsona"]), ("Mampi", &["Mumpi"]),
];

/// (block, district)
pub const BLOCKS: &[(&str, &str)] = &[
    ("Canning I", "South 24 Parganas"), ("Canning II", "South 24 Parganas"), ("Basanti", "South 24 Parganas"),
    ("Gosaba", "South 24 Parganas"), ("Kultali", "South 24 Parganas"), ("Joynagar I", "South 24 Parganas"),
    ("Mathurapur II", "South 24 Parganas"), ("Diamond Harbour I", "South 24 Parganas"), ("Kakdwip", "South 24 Parganas"),
    ("Namkhana", "South 24 Parganas"), ("Patharpratima", "South 24 Parganas"),
    ("Sandeshkhali I", "North 24 Parganas"), ("Hasnabad", "North 24 Parganas"), ("Hingalganj", "North 24 Parganas"),
    ("Minakhan", "North 24 Parganas"), ("Haroa", "North 24 Parganas"), ("Basirhat I", "North 24 Parganas"),
    ("Swarupnagar", "North 24 Parganas"), ("Bagda", "North 24 Parganas"), ("Gaighata", "North 24 Parganas"),
    ("Barasat I", "North 24 Parganas"), ("Deganga", "North 24 Parganas"),
    ("Domkal", "Murshidabad"), ("Jalangi", "Murshidabad"), ("Karimpur I", "Nadia"), ("Tehatta I", "Nadia"),
    ("Sagardighi", "Murshidabad"), ("Harishchandrapur I", "Malda"), ("Kaliachak I", "Malda"), ("Panchla", "Howrah"),
];

pub const VILLAGES: &[&str] = &[
    "Ghutiari Sharif", "Taldi", "Matla", "Jharkhali", "Sonakhali", "Bakultala", "Kumirmari", "Patharghata",
    "Nalmuri", "Kalitala", "Dhamakhali", "Jogeshganj", "Rupmari", "Bayarmari", "Kheyadaha", "Atghara",
    "Hariharpur", "Chandipur", "Madhabpur", "Raidighi", "Nagendrapur", "Gangadharpur", "Uttar Kashinagar",
    "Dakshin Barasat", "Sitakundu", "Bishnupur", "Amtala", "Harinbari", "Gobardanga", "Chowrasi",
];

/// (police station, police district, district) for FIRs registered in West Bengal.
pub const WB_POLICE_STATIONS: &[(&str, &str, &str)] = &[
    ("Canning PS", "Baruipur", "South 24 Parganas"), ("Basanti PS", "Baruipur", "South 24 Parganas"),
    ("Joynagar PS", "Baruipur", "South 24 Parganas"), ("Kultali PS", "Baruipur", "South 24 Parganas"),
    ("Gosaba PS", "Sundarban", "South 24 Parganas"), ("Kakdwip PS", "Sundarban", "South 24 Parganas"),
    ("Namkhana PS", "Sundarban", "South 24 Parganas"), ("Diamond Harbour PS", "Diamond Harbour", "South 24 Parganas"),
    ("Usthi PS", "Diamond Harbour", "South 24 Parganas"), ("Basirhat PS", "Basirhat", "North 24 Parganas"),
    ("Hasnabad PS", "Basirhat", "North 24 Parganas"), ("Hingalganj PS", "Basirhat", "North 24 Parganas"),
    ("Sandeshkhali PS", "Basirhat", "North 24 Parganas"), ("Bongaon PS", "Bongaon", "North 24 Parganas"),
    ("Gaighata PS", "Bongaon", "North 24 Parganas"), ("Barasat PS", "Barasat", "North 24 Parganas"),
    ("Deganga PS", "Barasat", "North 24 Parganas"),
];

/// Police stations in Maharashtra where destination-area FIRs are registered.
pub const MH_POLICE_STATIONS: &[&str] = &["Nagpada PS", "Faraskhana PS", "Bhiwandi PS", "Kalyan PS", "DB Marg PS", "Vashi PS"];

pub const STATES: &[(&str, u32)] = &[
    ("Maharashtra", 38), ("West Bengal", 18), ("Delhi", 12), ("Karnataka", 8), ("Telangana", 6), ("Gujarat", 6),
    ("Uttar Pradesh", 4), ("Tamil Nadu", 3), ("Bangladesh", 2), ("Rajasthan", 3),
];
