//! Lighthouse (accessibility, best practices and SEO at 95 or more) and axe-core (no WCAG 2.1
//! A/AA violation) on every public page type, in Indonesian and English, as a phone sees it,
//! against a demo server (`scripts/a11y-check`, `web-lint/a11y.mjs`). A missing Node.js or
//! Chromium fails the test.
//!
//! It runs on SQLite only: it judges the HTML the templates render, which is the same whichever
//! database filled them, and each run costs minutes of a browser.

#[tokio::test]
async fn every_public_page_type_passes_lighthouse_and_axe() {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/a11y-check");
    let out = tokio::process::Command::new(script)
        .env("KOTAPINTAR_BIN", env!("CARGO_BIN_EXE_kotapintar"))
        .env_remove("KOTAPINTAR_DATABASE_URL")
        .output()
        .await
        .expect("run scripts/a11y-check");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("every accessibility check passed"),
        "{stdout}"
    );
    // not a vacuous pass: every page type was looked at, in both languages
    assert!(stdout.contains("44 pages checked"), "{stdout}");
}
