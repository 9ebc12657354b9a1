//! Small built-in lists of real-looking names and places (with non-ASCII spellings) and the ASCII
//! folding used to derive usernames and email addresses from them.

pub(crate) const FEMALE_GIVEN: &[&str] = &[
    "Zoë",
    "Emma",
    "Olivia",
    "Ava",
    "Sofía",
    "Isabella",
    "Mia",
    "Amelia",
    "Harper",
    "Chloé",
    "Aaliyah",
    "Camila",
    "Lucía",
    "Maya",
    "Nora",
    "Layla",
    "Priya",
    "Mei",
    "Linh",
    "Hana",
    "Fatima",
    "Imani",
    "Grace",
    "Ruby",
    "Naomi",
    "Renée",
    "Ximena",
    "Valentina",
    "Ayesha",
    "Ingrid",
    "Siobhán",
    "Leah",
    "Jasmine",
    "Thảo",
    "Aroha",
    "Kiara",
    "Elena",
    "Madison",
    "Abigail",
    "Zainab",
];

pub(crate) const MALE_GIVEN: &[&str] = &[
    "José", "Liam", "Noah", "Oliver", "Elijah", "Mateo", "Lucas", "Ethan", "Mason", "Jamal", "Diego", "Andrés", "Minh",
    "Arjun", "Kenji", "Omar", "Malik", "Henry", "Samuel", "Caleb", "Jesús", "Darius", "Wei", "Søren", "Björn", "Tomás",
    "Jayden", "Isaiah", "Ángel", "Khalil", "Dmitri", "Rafael", "Owen", "Hiroshi", "Kwame", "Julián", "Aiden",
    "Gabriel", "Nikolai", "Bảo",
];

pub(crate) const FAMILY: &[&str] = &[
    "Nguyễn",
    "García",
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Martínez",
    "Rodríguez",
    "Hernández",
    "López",
    "González",
    "Pérez",
    "Davis",
    "Miller",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Lee",
    "Kim",
    "Patel",
    "Shah",
    "Chen",
    "Wang",
    "Trần",
    "Lê",
    "Washington",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Ramírez",
    "Flores",
    "Rivera",
    "Gómez",
    "Díaz",
    "Reyes",
    "Cruz",
    "Morales",
    "Ortiz",
    "Gutiérrez",
    "Chávez",
    "Müller",
    "Novák",
    "Kowalski",
    "O'Brien",
    "Murphy",
    "Okafor",
    "Mensah",
    "Haddad",
    "Yılmaz",
    "Begay",
    "Peña",
    "Bianchi",
    "Sánchez",
    "Dubois",
    "Björklund",
    "Nakamura",
    "Đặng",
];

/// Cities in the school's (fictional) home state, for students born there.
pub(crate) const HOME_STATE: &str = "IL";
pub(crate) const HOME_CITIES: &[&str] =
    &["Springfield", "Chicago", "Peoria", "Rockford", "Joliet", "Champaign", "Aurora", "Naperville"];

/// Other US states of birth, with a city each.
pub(crate) const OTHER_STATES: &[(&str, &str)] = &[
    ("TX", "Houston"),
    ("CA", "Los Angeles"),
    ("NY", "Queens"),
    ("FL", "Miami"),
    ("WI", "Milwaukee"),
    ("IN", "Indianapolis"),
    ("AZ", "Phoenix"),
];

/// Countries of birth other than the US (ISO 3166-1 alpha-2), a city each, and a relative weight.
pub(crate) const OTHER_COUNTRIES: &[(&str, &str, f64)] = &[
    ("MX", "Guadalajara", 4.0),
    ("GT", "Quetzaltenango", 1.0),
    ("SV", "San Salvador", 1.0),
    ("VN", "Hà Nội", 1.5),
    ("IN", "Pune", 1.0),
    ("CN", "Chéngdū", 0.8),
    ("PH", "Quezon City", 0.8),
    ("DO", "Santo Domingo", 0.8),
    ("UA", "Kyiv", 0.6),
    ("NG", "Lagos", 0.5),
];

/// Area codes for guardian phone numbers.
pub(crate) const AREA_CODES: &[&str] = &["217", "312", "309", "815", "630", "773"];

/// Lowercase ASCII letters and digits of `name`, accents folded (`Nguyễn` → `nguyen`), everything
/// else dropped (`O'Brien` → `obrien`).
pub(crate) fn fold_ascii(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        let folded = match c {
            'a'..='z' | '0'..='9' => c,
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ả' | 'ạ' | 'ă' | 'ắ' | 'ằ' | 'ấ' | 'ầ' | 'ặ' => {
                'a'
            }
            'ç' | 'č' | 'ć' => 'c',
            'đ' | 'ď' => 'd',
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ě' | 'ễ' | 'ế' | 'ề' | 'ệ' | 'ể' => 'e',
            'ì' | 'í' | 'î' | 'ï' | 'ı' | 'ĩ' | 'ị' => 'i',
            'ñ' | 'ń' | 'ň' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ơ' | 'ộ' | 'ố' | 'ồ' | 'ớ' | 'ờ' => 'o',
            'ù' | 'ú' | 'û' | 'ü' | 'ư' | 'ũ' | 'ụ' => 'u',
            'ý' | 'ÿ' | 'ỳ' => 'y',
            'ł' => 'l',
            'š' | 'ś' => 's',
            'ž' | 'ź' | 'ż' => 'z',
            'ř' => 'r',
            _ => continue,
        };
        out.push(folded);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_keeps_every_listed_name_readable() {
        for name in FEMALE_GIVEN.iter().chain(MALE_GIVEN).chain(FAMILY) {
            let folded = fold_ascii(name);
            let letters = name.chars().filter(|c| c.is_alphabetic()).count();
            assert_eq!(folded.chars().count(), letters, "{name} folded to {folded}");
            assert!(folded.bytes().all(|b| b.is_ascii_lowercase()), "{name} folded to {folded}");
        }
    }

    #[test]
    fn folding_examples() {
        assert_eq!(fold_ascii("Nguyễn"), "nguyen");
        assert_eq!(fold_ascii("Zoë"), "zoe");
        assert_eq!(fold_ascii("O'Brien"), "obrien");
        assert_eq!(fold_ascii("Đặng"), "dang");
        assert_eq!(fold_ascii("Yılmaz"), "yilmaz");
    }

    #[test]
    fn lists_include_non_ascii_names() {
        for required in ["Zoë", "José"] {
            assert!(FEMALE_GIVEN.contains(&required) || MALE_GIVEN.contains(&required));
        }
        assert!(FAMILY.contains(&"Nguyễn"));
    }
}
