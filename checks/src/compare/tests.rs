//! The checker on pairs the team wrote: the faults seen from the default model, and correct
//! translations that must pass.

use super::*;

fn kinds(french: &str, english: &str) -> Vec<(FlagKind, String)> {
    check_translation(french, english)
        .into_iter()
        .map(|f| {
            let english_text = f
                .english
                .map(|(s, e)| english.chars().skip(s).take(e - s).collect::<String>());
            (f.kind, english_text.unwrap_or(f.source))
        })
        .collect()
}

#[test]
fn correct_translations_pass() {
    let pairs = [
        (
            "Le projet coûte 3 000 euros, soit 2,5 % du budget.",
            "The project costs 3,000 euros, or 2.5% of the budget.",
        ),
        (
            "Onze hommes et trois femmes ont été arrêtés mardi dernier.",
            "Eleven men and 3 women were arrested last Tuesday.",
        ),
        (
            "Le 1er mars 2013, le Kremlin a salué l'accord avec l'OTSC.",
            "On March 1st, 2013, the Kremlin welcomed the agreement with the CSTO.",
        ),
        (
            "Dans les années 70, la ville comptait 1,5 million d'habitants.",
            "In the 1970s, the city had 1.5 million inhabitants.",
        ),
        (
            "En décembre dernier, l'Arménie a quitté le sommet du Haut-Karabakh.",
            "Last December, Armenia left the Nagorno-Karabakh summit.",
        ),
        (
            "La réunion commence à 14 h à Moscou, selon le Premier ministre.",
            "The meeting starts at 2 p.m. in Moscow, according to the Prime Minister.",
        ),
        (
            "Les États-Unis et l'ONU ont versé plus de 50 000 $.",
            "The United States and the UN paid more than $50,000.",
        ),
    ];
    for (french, english) in pairs {
        assert_eq!(kinds(french, english), vec![], "{english}");
    }
}

#[test]
fn numbers_with_a_wrong_scale_are_flagged() {
    assert_eq!(
        kinds("Il coûte 600 000 euros.", "It costs 6 million euros."),
        vec![
            (FlagKind::Number, "600 000".to_string()),
            (FlagKind::Number, "6 million".to_string())
        ]
    );
    assert_eq!(
        kinds(
            "Il a reçu plus de 50 000 $.",
            "He received more than $50 million."
        ),
        vec![
            (FlagKind::Number, "50 000".to_string()),
            (FlagKind::Number, "50 million".to_string())
        ]
    );
}

#[test]
fn numbers_in_words_are_checked_as_numbers() {
    assert_eq!(
        kinds(
            "Vingt-quatre départements sont en vigilance orange.",
            "Forty departments are on orange alert."
        ),
        vec![
            (FlagKind::Number, "Vingt-quatre".to_string()),
            (FlagKind::Number, "Forty".to_string())
        ]
    );
    for (french, english) in [
        ("Vingt-quatre départements.", "24 departments."),
        ("24 départements.", "Twenty-four departments."),
        ("Une vingtaine de morts.", "About twenty dead."),
        (
            "Son premier déficit en plus d'une décennie.",
            "Its first deficit in over ten years.",
        ),
        (
            "Il a 12 pour cent des voix.",
            "He has 12 per cent of the votes.",
        ),
        ("Des centaines de manifestants.", "Hundreds of protesters."),
    ] {
        assert!(kinds(french, english).is_empty(), "{french} / {english}");
    }
}

#[test]
fn an_amount_in_another_currency_is_flagged() {
    assert_eq!(
        kinds(
            "Le projet coûte 8 millions d'euros.",
            "The project costs 8 million dollars."
        ),
        vec![(FlagKind::Number, "dollars".to_string())]
    );
    assert_eq!(
        kinds("Il a reçu 50 000 livres sterling.", "He received $50,000."),
        vec![(FlagKind::Number, "$".to_string())]
    );
    // "nouveaux" is no currency ("nouveau dollar de Taïwan" is a dollar): the French's other
    // words do not vouch for the English's dollars.
    assert_eq!(
        kinds(
            "Trois nouveaux postes ont coûté 8 millions d'euros.",
            "Three new stations cost 8 million dollars."
        ),
        vec![(FlagKind::Number, "dollars".to_string())]
    );
    for (french, english) in [
        (
            "Le projet coûte 8 millions d'euros.",
            "The project costs €8 million.",
        ),
        (
            "Il a reçu plus de 50 000 $.",
            "He received more than 50,000 dollars.",
        ),
        (
            "Il a reçu 50 000 livres sterling.",
            "He received 50,000 pounds.",
        ),
        // The French gives no amount in a currency: the English's is not checked ("sol"
        // names one only beside an amount).
        ("Le sol a coûté 50 000.", "The floor cost $50,000."),
        (
            "La facture atteint 8 millions.",
            "The bill reaches 8 million euros.",
        ),
    ] {
        assert!(kinds(french, english).is_empty(), "{french} / {english}");
    }
    // The currency the French shown before names counts.
    assert_eq!(
        check_translation_after(
            "Le budget est de 10 millions d'euros.",
            "La facture atteint 8 millions.",
            "The bill reaches 8 million dollars."
        )
        .len(),
        1
    );
}

#[test]
fn invented_and_lost_dates_are_flagged() {
    assert_eq!(
        kinds(
            "En décembre dernier, il est parti.",
            "On December 31st, he left."
        ),
        vec![(FlagKind::Date, "31st".to_string())]
    );
    assert_eq!(
        kinds("Mercredi, il est parti.", "On March 31, he left."),
        vec![
            (FlagKind::Date, "31".to_string()),
            (FlagKind::Date, "Mercredi".to_string()),
            (FlagKind::Date, "March".to_string())
        ]
    );
    assert_eq!(
        kinds("Il arrive le 4 novembre.", "He arrives in November."),
        vec![(FlagKind::Date, "4".to_string())]
    );
    assert_eq!(
        kinds(
            "Le jour de son 66e anniversaire, le 8 janvier 2013, il avait déclaré qu'il partirait.",
            "On announced that he would leave."
        ),
        vec![
            (FlagKind::Number, "66e".to_string()),
            (FlagKind::Date, "8".to_string()),
            (FlagKind::Date, "2013".to_string()),
            (FlagKind::Date, "janvier".to_string()),
            (
                FlagKind::Missing,
                "Le jour de son 66e anniversaire, le 8 janvier 2013, il avait déclaré qu'il partirait."
                    .to_string()
            ),
        ]
    );
}

#[test]
fn wrong_names_are_flagged() {
    assert_eq!(
        kinds(
            "L'Arménie boude le sommet de l'OTSC.",
            "Armenia snubs the OSCE summit."
        ),
        vec![
            (FlagKind::Name, "OTSC".to_string()),
            (FlagKind::Name, "OSCE".to_string())
        ]
    );
    assert_eq!(
        kinds(
            "Les combats ont repris au Haut-Karabakh.",
            "Fighting resumed in the North Caucasus."
        ),
        vec![(FlagKind::Name, "Haut-Karabakh".to_string())]
    );
    // A name after a title, lost: the quotation's speaker.
    assert_eq!(
        kinds(
            "« Nous appuyons la mesure », a indiqué Mme Chow.",
            "We support the measure."
        ),
        vec![(FlagKind::Name, "Chow".to_string())]
    );
    assert!(kinds(
        "« Nous appuyons la mesure », a indiqué M. Poutine.",
        "\"We support the measure,\" said Mr. Putin."
    )
    .is_empty());
}

#[test]
fn missing_content_and_french_left_are_flagged() {
    let french = "Le gouvernement a présenté mardi un plan pour rénover les écoles. Il coûtera cher. Les syndicats s'y opposent déjà. Le vote aura lieu en juin.";
    let flags = check_translation(french, "The government presented a plan.");
    assert!(
        flags.iter().any(|f| f.kind == FlagKind::Missing),
        "{flags:?}"
    );
    let flags = check_translation(
        "Il l'a dit hier. Le gouvernement va rénover toutes les écoles du pays cette année.",
        "He said so yesterday. Le gouvernement va rénover toutes les écoles du pays cette année.",
    );
    assert!(
        flags.iter().any(|f| f.kind == FlagKind::Untranslated),
        "{flags:?}"
    );
}

#[test]
fn offsets_are_characters_of_the_english() {
    let english = "Élan: it costs 6 million euros.";
    let flags = check_translation("Élan : il coûte 600 000 euros.", english);
    let span = flags
        .iter()
        .find_map(|f| f.english)
        .expect("a flag on the English");
    let text: String = english.chars().skip(span.0).take(span.1 - span.0).collect();
    assert_eq!(text, "6 million");
}

#[test]
fn a_summary_names_only_what_the_source_has() {
    let french = "Le 4 novembre, la Russie et l'Arménie ont signé à Moscou un accord de 600 000 euros avec l'OTSC. Onze pays étaient présents, mardi.";
    assert_eq!(
        check_summary(
            "Russia and Armenia signed a 600,000-euro deal with the CSTO in Moscow on 4 November; 11 countries came on Tuesday.",
            french,
            &[]
        ),
        vec![]
    );
    let flags = check_summary(
        "Russia and Armenia signed a 6 million euro deal with the OSCE on March 31 in Berlin.",
        french,
        &[],
    );
    let found: Vec<(FlagKind, &str)> = flags
        .iter()
        .map(|f| {
            let (s, e) = f.english.expect("a span");
            let text = "Russia and Armenia signed a 6 million euro deal with the OSCE on March 31 in Berlin.";
            let byte = |c: usize| text.char_indices().nth(c).map_or(text.len(), |(b, _)| b);
            (f.kind, &text[byte(s)..byte(e)])
        })
        .collect();
    assert_eq!(
        found,
        vec![
            (FlagKind::Number, "6 million"),
            (FlagKind::Date, "31"),
            (FlagKind::Date, "March"),
            (FlagKind::Name, "OSCE"),
            (FlagKind::Name, "Berlin"),
        ]
    );
    // A decade and an hour as English writes them.
    assert_eq!(
        check_summary(
            "In the 1970s the meeting started at 2 p.m.",
            "Dans les années 70, la réunion commençait à 14 h.",
            &[]
        ),
        vec![]
    );
    // A number in words is checked as one written in digits: the English it was read from
    // ("Forty departments" for "Vingt-quatre") does not vouch for it.
    let departments = "Vingt-quatre départements sont en vigilance orange.";
    assert_eq!(
        check_summary("Twenty-four departments are on alert.", departments, &[]),
        vec![]
    );
    assert_eq!(
        check_summary(
            "Forty departments are on alert.",
            departments,
            &["Forty departments are on orange alert."]
        )
        .iter()
        .map(|f| f.kind)
        .collect::<Vec<_>>(),
        vec![FlagKind::Number]
    );
    // An amount in a currency the French does not name.
    assert_eq!(
        check_summary(
            "The plan costs 8 million dollars.",
            "Le plan coûte 8 millions d'euros.",
            &[]
        )
        .len(),
        1
    );
    // An hour on the twelve-hour clock is the French's on twenty-four; another hour is not.
    let hours = "La bibliothèque ouvrira le dimanche, de 10 heures à 18 heures.";
    assert_eq!(
        check_summary(
            "The library opens on Sunday from 10 a.m. until 6 p.m.",
            hours,
            &[]
        ),
        vec![]
    );
    assert_eq!(
        check_summary("The library opens on Sunday until 7 p.m.", hours, &[]).len(),
        1
    );
    // A wrong number in the translation does not vouch for the same number in the summary.
    let flags = check_summary(
        "The port received 6 million euros.",
        "Le port a reçu 600 000 euros.",
        &["The port received 6 million euros."],
    );
    assert_eq!(flags.len(), 1, "{flags:?}");
    // An English article vouches for itself, and what it lacks is said to be lacking there.
    assert_eq!(
        check_summary(
            "It cost 6 million euros.",
            "",
            &["It has cost 6 million euros."]
        ),
        vec![]
    );
    let flags = check_summary("The UK service warned.", "", &["The service warned."]);
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0].message, "“UK” was not found in the article.");
    // Words the translation writes in lower case are not names: "the Prime Minister".
    assert_eq!(
        check_summary(
            "The Armenian Prime Minister stayed away from the Summit, said Jean-Noël.",
            "Le Premier ministre arménien a boudé le sommet, a dit Jean-Noël.",
            &["The Armenian prime minister stayed away from the summit, said Jean-Noël."]
        ),
        vec![]
    );
}

#[test]
fn a_summary_that_keeps_a_place_in_french_is_flagged_and_its_english_name_is_no_addition() {
    let french = "Une offensive éclair a suffi à Bakou pour reprendre le territoire, deux mois \
avant le sommet de Saint-Marin.";
    let english = [
        "A lightning offensive was enough for Bakou to retake the territory, two \
months before the San Marino summit.",
    ];
    let kept = "Two months after the Bakou offensive, the summit met in San Marino.";
    let flags = check_summary(kept, french, &english);
    assert_eq!(flags.len(), 1, "{flags:?}");
    // A French that names the place twice still gives one flag.
    let twice = format!("{french} Bakou a gagné.");
    assert_eq!(check_summary(kept, &twice, &english), flags);
    assert_eq!(flags[0].kind, FlagKind::Name);
    assert_eq!(flags[0].source, "Bakou");
    assert_eq!(flags[0].english, Some((21, 26)));
    assert_eq!(
        flags[0].message,
        "“Bakou” is left as the French writes it: in English it is “Baku”."
    );
    // Written in English, the name is the French's, though the translation kept it in French.
    assert_eq!(
        check_summary(
            "Two months after the Baku offensive, the summit met in San Marino.",
            french,
            &english
        ),
        vec![]
    );
    // A name the French does not have is still an addition.
    let added = check_summary("The Tbilisi offensive took two months.", french, &english);
    assert_eq!(added.len(), 1, "{added:?}");
    assert_eq!(added[0].message, "“Tbilisi” was not found in the French.");
}

#[test]
fn facts_are_the_numbers_dates_and_names_a_translation_must_keep() {
    assert_eq!(
        facts("Mercredi 4 novembre, l'OTSC a reçu 600 000 euros à Moscou, puis 4 autres."),
        vec!["4", "600 000", "Mercredi", "novembre", "OTSC", "Moscou"]
    );
    // The same list the check gives for an English that kept nothing.
    let french = "Le 8 janvier 2013, le Kremlin a salué l'accord.";
    let lost: Vec<String> = check_translation(french, "")
        .into_iter()
        .filter(|f| f.kind != FlagKind::Missing)
        .map(|f| f.source)
        .collect();
    assert_eq!(facts(french), lost);
}

#[test]
fn ordinary_words_with_a_capital_and_renamed_acronyms_are_not_flagged() {
    // Capitalised words of the language, acronyms with their English letters, a capitalised
    // "Mais" after a quotation: the false alarms readers met on held-out news.
    let pairs = [
        (
            "La Ligue arabe et la Terre entière ont écouté le discours du Trône.",
            "The Arab League and the whole Earth listened to the throne speech.",
        ),
        (
            "La Caisse d'Assurance maladie et le ministère des Affaires sociales ont répondu aux Grecs.",
            "The health insurance fund and the social affairs ministry answered the Greeks.",
        ),
        (
            "Le FMI, l'OTAN, l'OTSC et les ONG ont parlé aux Français.",
            "The IMF, NATO, the CSTO and the NGOs spoke to the French.",
        ),
        (
            "« C'est fini » Mais les Occidentaux ne l'entendent pas ainsi.",
            "\"It's over\" But the West does not see it that way.",
        ),
    ];
    for (french, english) in pairs {
        assert_eq!(kinds(french, english), vec![], "{french}");
    }
    // Accents do not make a name another: "l'Elysée" is "the Élysée".
    assert_eq!(kinds("L'Elysée a répondu.", "The Élysée answered."), vec![]);
    // Compounds of ordinary words are names ("États-Unis"), a listed acronym kept in French
    // is not its English form, and a name that is no ordinary word, or an acronym with other
    // letters, are still checked.
    assert_eq!(
        kinds(
            "Les États-Unis soutiennent le FMI.",
            "The allies support the FMI."
        ),
        vec![
            (FlagKind::Name, "États-Unis".to_string()),
            (FlagKind::Name, "FMI".to_string()),
        ]
    );
    assert_eq!(
        kinds(
            "Le FMI a prêté à Bakou, dit Pachinian.",
            "The OSCE lent to Baku, said Pashinyan."
        ),
        vec![
            (FlagKind::Name, "FMI".to_string()),
            (FlagKind::Name, "OSCE".to_string()),
        ]
    );
}

#[test]
fn a_french_acronym_left_in_the_english_is_shown_there_with_its_english_form() {
    let english = "Euro: the BCE forced to keep buying";
    let flags = check_translation("Euro : la BCE forcée de maintenir ses achats", english);
    assert_eq!(flags.len(), 1, "{flags:?}");
    let flag = &flags[0];
    assert_eq!(flag.kind, FlagKind::Name);
    assert_eq!(flag.source, "BCE");
    let (s, e) = flag.english.expect("where it is in the English");
    assert_eq!(
        english.chars().skip(s).take(e - s).collect::<String>(),
        "BCE"
    );
    assert!(flag.message.contains("“ECB”"), "{}", flag.message);
}

#[test]
fn a_french_place_name_left_in_the_english_is_shown_with_its_english_name() {
    let french =
        "Une offensive éclair a suffi à Bakou pour récupérer le contrôle de ce territoire.";
    let english = "An offensive has sufficed to recapture control of Bakou.";
    let flags = check_translation(french, english);
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_eq!(
        (flags[0].kind, flags[0].source.as_str()),
        (FlagKind::Name, "Bakou")
    );
    assert!(flags[0].message.contains("“Baku”"), "{}", flags[0].message);
    let right = "A lightning offensive was enough for Baku to regain control of the territory.";
    assert!(check_translation(french, right).is_empty());
}

#[test]
fn an_acronym_the_english_takes_from_the_french_shown_before_is_not_an_addition() {
    let shown = "Le comité exécutif de l'OTSC se réunit jeudi à Moscou.";
    let french = "L'organisation espère attirer de nouveaux membres.";
    let english = "The CSTO hopes to attract new members.";
    // Alone, the paragraph's French has no such name.
    assert_eq!(
        kinds(french, english),
        vec![(FlagKind::Name, "CSTO".to_string())]
    );
    assert!(check_translation_after(shown, french, english).is_empty());
    // What the French shown does not name is still an addition.
    let flags = check_translation_after(shown, french, "The OSCE hopes to attract new members.");
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_eq!(flags[0].kind, FlagKind::Name);
}
