//! A reader in headless Chromium, driven over WebDriver (fantoccini + chromedriver), against
//! the real server: paste French and read the English beside it (the real model), see what the
//! check marks and find it again in "Earlier articles", pick or drop a file, point at sentences
//! to light their counterparts, and edit the glossary. Pictures land in target/browser/.

use crate::support::{
    config, config_with_history, real_model_path, site_dir, with_keys, Engine, TestServer, ALICE,
    BOB,
};
use checks::language;
use fantoccini::actions::InputSource;
use fantoccini::{ClientBuilder, Locator};
use models::fixtures::TinyModel;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const ARTICLE: &str = "Rechercher

La bibliothèque de Rennes ouvre le dimanche

À partir du mois prochain, la grande bibliothèque de Rennes ouvrira ses portes le dimanche, de 10 heures à 18 heures. La mairie veut offrir un lieu calme aux étudiants et aux familles.

Douze employés supplémentaires seront recrutés. Le coût est estimé à 600 000 euros par an.";

/// chromedriver on a free loopback port, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is not installed: run ./setup.sh (it installs chromium and chromium-driver)");
        let url = format!("http://127.0.0.1:{port}");
        let driver = Self { child, url };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return driver;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not start listening on {}", driver.url);
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where a test leaves its picture of the page: target/browser/`name`.
fn screenshot_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/browser")
        .join(name)
}

/// Runs `steps` in a headless Chromium against `server`, then leaves a picture of the page in
/// target/browser/`shot` whatever happened, and closes the browser and stops the server before
/// giving back what the steps found, so a failing test still cleans up.
async fn in_browser<T>(
    server: TestServer,
    shot: Option<&str>,
    steps: impl AsyncFnOnce(&fantoccini::Client, &str) -> Result<T, String>,
) -> T {
    assert!(
        site_dir().join("pkg/app_bg.wasm").is_file(),
        "the page's WebAssembly is not built in {}: run ./setup.sh",
        site_dir().display()
    );
    let driver = Driver::start().await;
    let profile = tempfile::tempdir().expect("browser profile folder");
    let browser = session(&driver, profile.path()).await;
    let outcome = steps(&browser, &server.base).await;
    let picture = shot.map(screenshot_path);
    if let Some(path) = &picture {
        if let Ok(png) = browser.screenshot().await {
            save(path, &png);
        }
    }
    let _ = browser.close().await;
    drop(driver);
    server.stop().await;
    outcome.unwrap_or_else(|e| match &picture {
        Some(path) => panic!("{e} (see {})", path.display()),
        None => panic!("{e}"),
    })
}

#[tokio::test]
async fn a_reader_pastes_french_and_reads_english_beside_it() {
    let path = real_model_path();
    let server = TestServer::start_with(crate::support::loading(path), config(), None).await;
    server.wait_until_ready().await;
    let (english, summary) = in_browser(server, Some("reader.png"), read_an_article).await;

    assert_eq!(english.len(), 3, "{english:?}");
    for text in &english {
        assert!(
            !text.trim().is_empty(),
            "an empty English cell: {english:?}"
        );
    }
    let all = english.join(" ").to_lowercase();
    assert!(language::is_english(&all), "{all}");
    assert!(
        all.contains("library") && all.contains("rennes") && all.contains("sunday"),
        "{all}"
    );
    assert!(
        language::is_english(&summary) && summary.to_lowercase().contains("library"),
        "{summary}"
    );
}

async fn read_an_article(
    browser: &fantoccini::Client,
    base: &str,
) -> Result<(Vec<String>, String), String> {
    translate(browser, base, ARTICLE).await?;
    until_done(browser, Duration::from_secs(300)).await?;
    let english = texts(browser, ".pair .en").await?;
    let summary = browser
        .find(Locator::Id("summary"))
        .await
        .map_err(fail("find the summary"))?
        .text()
        .await
        .map_err(fail("read the summary"))?;
    Ok((english, summary))
}

/// Turns a WebDriver error into what the test was doing.
fn fail(what: &str) -> impl Fn(fantoccini::error::CmdError) -> String {
    let what = what.to_string();
    move |e| format!("{what}: {e}")
}

/// Clicks the element whose id is `id`.
async fn click(browser: &fantoccini::Client, id: &str) -> Result<(), String> {
    browser
        .find(Locator::Id(id))
        .await
        .map_err(fail(&format!("find #{id}")))?
        .click()
        .await
        .map_err(fail(&format!("click #{id}")))
}

/// The texts of what `css` finds, in page order.
async fn texts(browser: &fantoccini::Client, css: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for element in browser
        .find_all(Locator::Css(css))
        .await
        .map_err(fail(&format!("find {css}")))?
    {
        out.push(element.text().await.map_err(fail(&format!("read {css}")))?);
    }
    Ok(out)
}

/// Opens the page and waits until it is alive (hydrated).
async fn open_page(browser: &fantoccini::Client, base: &str) -> Result<(), String> {
    browser.goto(base).await.map_err(fail("open the page"))?;
    browser
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("body[data-hydrated='true']"))
        .await
        .map_err(fail("the page did not come alive (hydration)"))?;
    Ok(())
}

/// Waits for the status line to say the article is done.
async fn until_done(browser: &fantoccini::Client, patience: Duration) -> Result<(), String> {
    browser
        .wait()
        .at_most(patience)
        .for_element(Locator::XPath(
            "//p[contains(@class,'progress-line') and starts-with(normalize-space(.),'Done in')]",
        ))
        .await
        .map_err(fail("the translation did not finish"))?;
    Ok(())
}

/// Opens the page, waits until it is alive, pastes `text` and clicks Translate.
async fn translate(browser: &fantoccini::Client, base: &str, text: &str) -> Result<(), String> {
    open_page(browser, base).await?;
    browser
        .find(Locator::Id("paste"))
        .await
        .map_err(fail("find the paste area"))?
        .send_keys(text)
        .await
        .map_err(fail("type the article"))?;
    click(browser, "translate").await
}

/// A headless Chromium session on `driver`, its profile in `profile`.
async fn session(driver: &Driver, profile: &Path) -> fantoccini::Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1280,1400",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .expect("a headless Chromium session")
}

/// A tiny model that writes nothing but sevens: the English holds a number the French lacks
/// and lacks the French's, so the page must mark the first in the text (its explanation shown
/// on focus) and note the second under it; the summary's sevens are marked too. The screenshot
/// lands in target/browser/marks.png.
#[tokio::test]
async fn a_number_the_check_cannot_find_is_marked_in_the_english() {
    let data = tempfile::tempdir().expect("history folder");
    let server = TestServer::start(
        TinyModel::qwen2().favouring("7"),
        config_with_history(data.path()),
    )
    .await;
    let ((note, missing), reopened) = in_browser(server, None, async |browser, base| {
        let found = read_the_marks(browser, base).await?;
        Ok((found, open_from_history(browser, base).await?))
    })
    .await;
    assert!(note.contains("not found in the French"), "{note}");
    assert!(missing.contains("600 000"), "{missing}");
    assert!(
        reopened.contains("600 000"),
        "the reopened article shows its note: {reopened}"
    );
}

/// A tiny model with random weights writes gibberish, each token about as unlikely as any
/// other, and finds the French unlikely after it (the scored round trip): it is unsure of its
/// sentence, so the page marks the sentence apart from the checks' marks (its own class and
/// line), and focusing it tells why. (A model that writes one token surely, whatever the
/// French, is not read further: the confidence step trusts what was written surely.) The
/// screenshot lands in target/browser/unsure.png.
#[tokio::test]
async fn a_sentence_the_model_is_unsure_of_is_marked_apart() {
    let server = TestServer::start(TinyModel::qwen2(), config()).await;
    let (note, style) = in_browser(server, None, async |browser, base| {
        translate(browser, base, "Le port a reçu des fonds pour ses travaux.").await?;
        let mark = browser
            .wait()
            .at_most(Duration::from_secs(60))
            .for_element(Locator::Css(".pair .en mark.flag.unsure"))
            .await
            .map_err(fail("no unsure mark in the English"))?;
        mark.click().await.map_err(fail("focus the mark"))?;
        let style = browser
            .execute(
                "const m = document.activeElement; \
                 return m.classList.contains('unsure') ? getComputedStyle(m).textDecorationStyle : 'not focused';",
                vec![],
            )
            .await
            .map_err(fail("read the mark's style"))?;
        let note = mark
            .find(Locator::Css(".flag-note"))
            .await
            .map_err(fail("find the mark's explanation"))?
            .text()
            .await
            .map_err(fail("read the explanation"))?;
        if let Ok(png) = browser.screenshot().await {
            save(&screenshot_path("unsure.png"), &png);
        }
        Ok((note, style))
    })
    .await;
    assert!(note.contains("unsure"), "{note}");
    assert_eq!(style, serde_json::Value::String("dotted".into()));
}

/// On a freshly loaded page, opens the article just read from "Earlier articles" and returns
/// the note under its English once it is shown again, marks and all.
async fn open_from_history(browser: &fantoccini::Client, base: &str) -> Result<String, String> {
    until_done(browser, Duration::from_secs(60)).await?;
    open_page(browser, base).await?;
    if browser.find(Locator::Css(".pair")).await.is_ok() {
        return Err("a fresh page already shows an article".into());
    }
    browser
        .find(Locator::Css("#history summary"))
        .await
        .map_err(fail("find Earlier articles"))?
        .click()
        .await
        .map_err(fail("open Earlier articles"))?;
    let entry = browser
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("#history .history-open"))
        .await
        .map_err(fail("no article in the history list"))?;
    let title = entry.text().await.map_err(fail("read the title"))?;
    if !title.contains("Le port a reçu") {
        return Err(format!("the history lists {title:?}"));
    }
    entry.click().await.map_err(fail("open the article"))?;
    browser
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(".pair .en mark.flag"))
        .await
        .map_err(fail("the reopened article has no mark"))?;
    if let Ok(png) = browser.screenshot().await {
        save(&screenshot_path("history.png"), &png);
    }
    browser
        .find(Locator::Css(".en-cell .flag-notes li"))
        .await
        .map_err(fail("no note under the reopened English"))?
        .text()
        .await
        .map_err(fail("read the note"))
}

async fn read_the_marks(
    browser: &fantoccini::Client,
    base: &str,
) -> Result<(String, String), String> {
    translate(
        browser,
        base,
        "Le port a reçu 600 000 euros pour ses travaux.",
    )
    .await?;
    // The checks' mark, not the model's own unsure one (a model of sevens is sure of its
    // sevens, not of the French they would give back).
    let mark = browser
        .wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css(".pair .en mark.flag:not(.unsure)"))
        .await
        .map_err(fail("no mark in the English"))?;
    let note = mark
        .find(Locator::Css(".flag-note"))
        .await
        .map_err(fail("find the mark's explanation"))?;
    // Keyboard-reachable: focusing the mark shows its explanation.
    mark.click().await.map_err(fail("focus the mark"))?;
    let focused = browser
        .execute(
            "return document.activeElement.classList.contains('flag');",
            vec![],
        )
        .await
        .map_err(fail("read the focus"))?;
    if focused != serde_json::Value::Bool(true) {
        return Err("the mark does not take the focus".into());
    }
    let shown = note.text().await.map_err(fail("read the explanation"))?;
    if let Ok(png) = browser.screenshot().await {
        save(&screenshot_path("marks.png"), &png);
    }
    browser
        .wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css("#summary mark.flag"))
        .await
        .map_err(fail("no mark in the summary"))?;
    let missing = browser
        .find(Locator::Css(".en-cell .flag-notes li"))
        .await
        .map_err(fail("no note of what the English lacks"))?
        .text()
        .await
        .map_err(fail("read the note"))?;
    Ok((shown, missing))
}

fn save(path: &Path, png: &[u8]) {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Err(e) = std::fs::write(path, png) {
        eprintln!("cannot save the screenshot to {}: {e}", path.display());
    }
}

/// A reader picks a text file saved in Windows-1252: the page sends it and shows its French,
/// accents intact, beside the English.
#[tokio::test]
async fn a_text_file_picked_in_the_page_is_translated() {
    let folder = tempfile::tempdir().expect("file folder");
    let file = folder.path().join("article.txt");
    let french = "Le député a été réélu à Besançon.\n\nLes électeurs se sont déplacés.";
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(french);
    std::fs::write(&file, &bytes).expect("write the file");
    let server = TestServer::start(TinyModel::qwen2(), config()).await;
    let french_cells = in_browser(server, None, async |browser, base| {
        pick_a_file(browser, base, &file).await
    })
    .await;
    assert_eq!(
        french_cells,
        vec![
            "Le député a été réélu à Besançon.",
            "Les électeurs se sont déplacés."
        ]
    );
}

async fn pick_a_file(
    browser: &fantoccini::Client,
    base: &str,
    file: &Path,
) -> Result<Vec<String>, String> {
    open_page(browser, base).await?;
    browser
        .find(Locator::Id("file"))
        .await
        .map_err(fail("find the file input"))?
        .send_keys(&file.display().to_string())
        .await
        .map_err(fail("pick the file"))?;
    until_done(browser, Duration::from_secs(60)).await?;
    texts(browser, ".pair .fr").await
}

/// A reader drops a text file on the paste area, then points at sentences: with the mouse on a
/// French sentence, its English lights up; with the keyboard on an English sentence, its French
/// does. The real model writes the English, so the pairs are real ones.
#[tokio::test]
async fn a_dropped_file_is_translated_and_its_sentences_pair_across_the_columns() {
    let path = real_model_path();
    let server = TestServer::start_with(crate::support::loading(path), config(), None).await;
    server.wait_until_ready().await;
    let (from_french, from_english) = in_browser(server, Some("pairs.png"), drop_and_point).await;
    // The second French sentence (the cost) lights the English sentence with its number.
    assert_eq!(from_french.len(), 1, "{from_french:?}");
    assert!(from_french[0].contains("45"), "{from_french:?}");
    // The first English sentence lights the first French one, and only it.
    assert_eq!(
        from_english,
        ["Le maire de Lyon a inauguré lundi le nouveau pont sur le Rhône."]
    );
}

/// The texts of the lit sentences on one side ("fr" or "en").
async fn lit(browser: &fantoccini::Client, side: &str) -> Result<Vec<String>, String> {
    texts(browser, &format!(".sentence.lit[data-side=\"{side}\"]")).await
}

async fn drop_and_point(
    browser: &fantoccini::Client,
    base: &str,
) -> Result<(Vec<String>, Vec<String>), String> {
    open_page(browser, base).await?;
    // A file dragged over the paste area shows where it will land.
    let shown = browser
        .execute(
            r#"const paste = document.getElementById("paste");
               paste.dispatchEvent(new DragEvent("dragover", { bubbles: true, cancelable: true }));
               return new Promise(done => requestAnimationFrame(() =>
                   done(paste.classList.contains("dragging"))));"#,
            vec![],
        )
        .await
        .map_err(fail("drag over the paste area"))?;
    if shown != serde_json::Value::Bool(true) {
        return Err("the paste area does not show a file dragged over it".into());
    }
    // What a browser does when a file is dropped: a drop event carrying the file.
    browser
        .execute(
            r#"const text = arguments[0];
               const data = new DataTransfer();
               data.items.add(new File([text], "pont.txt", { type: "text/plain" }));
               document.getElementById("paste").dispatchEvent(
                   new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));"#,
            vec![serde_json::json!(
                "Le maire de Lyon a inauguré lundi le nouveau pont sur le Rhône. Les travaux ont coûté 45 millions d'euros."
            )],
        )
        .await
        .map_err(fail("drop the file"))?;
    until_done(browser, Duration::from_secs(120)).await?;
    let french = browser
        .find(Locator::Css(
            ".sentence[data-side=\"fr\"][data-sentence=\"1\"]",
        ))
        .await
        .map_err(fail("find the second French sentence"))?;
    let mouse = fantoccini::actions::MouseActions::new("mouse".into()).then(
        fantoccini::actions::PointerAction::MoveToElement {
            element: french,
            duration: None,
            x: 0.0,
            y: 0.0,
        },
    );
    browser
        .perform_actions(mouse)
        .await
        .map_err(fail("point at the French sentence"))?;
    let from_french = lit(browser, "en").await?;
    // Keyboard: focus moves to the first English sentence.
    browser
        .execute(
            "document.querySelector('.sentence[data-side=\"en\"][data-sentence=\"0\"]').focus();",
            vec![],
        )
        .await
        .map_err(fail("focus the English sentence"))?;
    browser
        .perform_actions(fantoccini::actions::MouseActions::new("mouse".into()).then(
            fantoccini::actions::PointerAction::MoveTo {
                duration: None,
                x: 0.0,
                y: 0.0,
            },
        ))
        .await
        .map_err(fail("move the mouse away"))?;
    let from_english = lit(browser, "fr").await?;
    Ok((from_french, from_english))
}

/// A reader adds a term to the glossary in the page and saves it; the next article is checked
/// for it, and the tiny model, which knows no glossary, gets the note under its English.
#[tokio::test]
async fn a_term_added_in_the_page_is_kept_and_checked() {
    let server = TestServer::start(TinyModel::qwen2(), config()).await;
    let (saved, note, kept) = in_browser(server, Some("glossary.png"), async |browser, base| {
        let (saved, note) = add_a_term(browser, base).await?;
        let kept: serde_json::Value = reqwest::get(format!("{base}/api/glossary"))
            .await
            .map_err(|e| format!("GET /api/glossary: {e}"))?
            .json()
            .await
            .map_err(|e| format!("GET /api/glossary: {e}"))?;
        Ok((saved, note, kept))
    })
    .await;
    assert!(saved.starts_with("Saved 1 term"), "{saved}");
    assert_eq!(
        kept,
        serde_json::json!({ "terms": [{ "french": "OTSC", "english": "CSTO" }] })
    );
    assert!(note.contains("“OTSC”") && note.contains("“CSTO”"), "{note}");
}

async fn add_a_term(browser: &fantoccini::Client, base: &str) -> Result<(String, String), String> {
    open_page(browser, base).await?;
    browser
        .find(Locator::Css("#glossary summary"))
        .await
        .map_err(fail("find the glossary"))?
        .click()
        .await
        .map_err(fail("open the glossary"))?;
    click(browser, "glossary-add").await?;
    for (field, text) in [(".glossary-fr", "OTSC"), (".glossary-en", "CSTO")] {
        browser
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(field))
            .await
            .map_err(fail("find the term's field"))?
            .send_keys(text)
            .await
            .map_err(fail("type the term"))?;
    }
    click(browser, "glossary-save").await?;
    let saved = browser
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#glossary p[role=status]"))
        .await
        .map_err(fail("no word that the glossary was saved"))?
        .text()
        .await
        .map_err(fail("read the saved message"))?;
    translate(
        browser,
        base,
        "Les soldats de l'OTSC sont arrivés à Erevan mardi.",
    )
    .await?;
    until_done(browser, Duration::from_secs(60)).await?;
    let note = texts(browser, ".en-cell .flag-notes li")
        .await?
        .into_iter()
        .find(|n| n.starts_with("Your glossary"))
        .ok_or("no glossary note under the English")?;
    Ok((saved, note))
}

/// A reader gives a link in the page: the article behind it is fetched and shown; a link to an
/// address the server may not reach is refused in place, with the reason and a way to retry.
#[tokio::test]
async fn a_link_given_in_the_page_is_fetched_and_a_private_one_refused_in_place() {
    let other = crate::links::Site::start(None).await;
    let site = crate::links::Site::start(None).await;
    let links = server::intake::links::LinkRules {
        allowed: vec![site.addr],
        ..server::intake::links::LinkRules::default()
    };
    let server = TestServer::start(
        TinyModel::qwen2(),
        server::http::service::ServiceConfig { links, ..config() },
    )
    .await;
    let (article, refused) = in_browser(server, Some("link.png"), async |browser, base| {
        open_page(browser, base).await?;
        let fetched = give_a_link(browser, &site.url("/article"), ".pair .fr").await?;
        until_done(browser, Duration::from_secs(60)).await?;
        let refused = give_a_link(browser, &other.url("/article"), ".status .error").await?;
        Ok((fetched, refused))
    })
    .await;
    site.stop().await;
    other.stop().await;
    assert_eq!(article, "Grève à la SNCF");
    assert!(
        refused.contains("private or local address") && refused.contains("Try again"),
        "{refused}"
    );
}

/// Types `url` in the link field and fetches it; returns the text of the first element `shows`
/// finds then (the first French paragraph, or the error shown in place).
async fn give_a_link(
    browser: &fantoccini::Client,
    url: &str,
    shows: &str,
) -> Result<String, String> {
    let field = browser
        .find(Locator::Id("link"))
        .await
        .map_err(fail("find the link field"))?;
    field.clear().await.map_err(fail("clear the link field"))?;
    field.send_keys(url).await.map_err(fail("type the link"))?;
    click(browser, "fetch-link").await?;
    let shown = browser
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(shows))
        .await
        .map_err(fail("nothing came of the link"))?;
    shown.text().await.map_err(fail("read what the link gave"))
}

/// A reader copies a news page (the clipboard holds its HTML) and pastes it: the page sends the
/// HTML, and only the article comes back, without the site's menu.
#[tokio::test]
async fn a_rich_paste_gives_the_article_without_the_sites_menu() {
    let server = TestServer::start(TinyModel::qwen2(), config()).await;
    let french = in_browser(server, None, async |browser, base| {
        open_page(browser, base).await?;
        // What a browser does on a paste: the paste event with the clipboard, then the text
        // lands in the area.
        browser
            .execute(
                r#"const [html, text] = arguments;
                   const paste = document.getElementById("paste");
                   const clipboard = new DataTransfer();
                   clipboard.setData("text/html", html);
                   clipboard.setData("text/plain", text);
                   paste.dispatchEvent(new ClipboardEvent("paste",
                       { clipboardData: clipboard, bubbles: true, cancelable: true }));
                   paste.value = text;
                   paste.dispatchEvent(new Event("input", { bubbles: true }));"#,
                vec![
                    serde_json::json!(crate::links::PAGE),
                    serde_json::json!(
                        "Accueil Économie Sport\nGrève à la SNCF\nLes syndicats de cheminots ont appelé à une grève."
                    ),
                ],
            )
            .await
            .map_err(fail("paste"))?;
        click(browser, "translate").await?;
        until_done(browser, Duration::from_secs(60)).await?;
        texts(browser, ".pair .fr").await
    })
    .await;
    assert_eq!(french.len(), 3, "{french:?}");
    assert_eq!(french[0], "Grève à la SNCF");
    assert!(
        french[1].starts_with("Les syndicats de cheminots ont appelé à une grève de deux jours"),
        "{french:?}"
    );
    assert!(!french.join(" ").contains("Accueil"), "{french:?}");
}

/// The page says which model writes the English, and whether the text leaves this computer:
/// on the built-in engine it does not, on inference servers it is sent to them.
#[tokio::test]
async fn the_page_names_the_model_that_writes_and_where_it_runs() {
    for (engine, name, tagline) in [
        (
            Engine::BuiltIn,
            "tiny random qwen2",
            "nothing you paste leaves it",
        ),
        (
            Engine::LlamaServer,
            "tiny.gguf",
            "what you paste is sent to them",
        ),
    ] {
        let server = TestServer::start_on(engine, TinyModel::qwen2(), config()).await;
        let (told, footer) = in_browser(server, None, read_the_colophon).await;
        assert!(told.contains(tagline), "{engine:?}: {told}");
        assert!(footer.contains(name), "{engine:?}: {footer}");
    }
}

/// The tagline, and the footer once it names the model (after `/api/info` answers).
async fn read_the_colophon(
    browser: &fantoccini::Client,
    base: &str,
) -> Result<(String, String), String> {
    open_page(browser, base).await?;
    browser
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::XPath(
            "//footer[contains(@class,'colophon') and contains(., ', a language model')]",
        ))
        .await
        .map_err(fail("the footer did not name the model"))?;
    let tagline = texts(browser, ".tagline").await?.join(" ");
    let footer = texts(browser, ".colophon").await?.join(" ");
    Ok((tagline, footer))
}

/// With keys, the page asks the reader for one the first time the server wants it (once, though
/// the page makes several calls), keeps it, and the article it sends is that key's own.
#[tokio::test]
async fn with_keys_the_page_asks_for_one_once_and_its_article_is_that_keys_own() {
    let history = tempfile::tempdir().expect("history folder");
    let (config, _keys) = with_keys(config_with_history(history.path()));
    let server = TestServer::start(TinyModel::qwen2(), config).await;
    let client = server.client.clone();
    let (question, alices, bobs) = in_browser(server, Some("key.png"), async |browser, base| {
        // The page asks as it loads, so the load itself may end in "unexpected alert open".
        let _ = browser.goto(base).await;
        let question = alert(browser).await?;
        browser
            .send_alert_text(ALICE)
            .await
            .map_err(fail("type the key"))?;
        browser
            .accept_alert()
            .await
            .map_err(fail("accept the key"))?;
        translate(browser, base, "Le député a été réélu à Besançon.").await?;
        until_done(browser, Duration::from_secs(60)).await?;
        if let Ok(again) = browser.get_alert_text().await {
            return Err(format!("the page asked again: {again}"));
        }
        let count = |key: &'static str| {
            let request = client.get(format!("{base}/api/history")).bearer_auth(key);
            async move {
                let entries: Vec<serde_json::Value> = request
                    .send()
                    .await
                    .map_err(|e| e.to_string())?
                    .json()
                    .await
                    .map_err(|e| e.to_string())?;
                Ok::<_, String>(entries.len())
            }
        };
        Ok((question, count(ALICE).await?, count(BOB).await?))
    })
    .await;
    assert!(question.contains("API key"), "{question}");
    assert_eq!((alices, bobs), (1, 0));
}

/// The text of the prompt the page shows, once it shows one (within 30 s).
async fn alert(browser: &fantoccini::Client) -> Result<String, String> {
    for _ in 0..300 {
        if let Ok(text) = browser.get_alert_text().await {
            return Ok(text);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err("the page never asked for a key".into())
}
