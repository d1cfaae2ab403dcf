//! Email end to end (issue 20): `kotapintar intake email` run as the MTA runs it (a process,
//! the message on standard input) files a request and its notice with the code reaches the
//! SMTP sink; the same message delivered again is taken once; a staff step and a staff reply
//! go out by email, and the resident's reply (found by `In-Reply-To`) lands on the thread.
//! Exit statuses an MTA acts on: 65 for a message that can never be taken, 75 when storage is
//! not there (the MTA keeps the message).

use crate::harness::{jpeg_with_gps, TestApp};
use kotapintar::commands::intake::{self, NotTaken, Taken};
use kotapintar_storage::entity::{request, request_message, request_message_photo, request_photo};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

both_backends!(
    an_email_becomes_a_request_and_the_thread_works_by_email,
    bad_mail_is_refused_robots_are_dropped_and_no_storage_means_try_later,
);

const RESIDENT: &str = "ni.luh.sari@contoh.id";
const SUBJECT: &str = "Lampu jalan mati di depan Pura Desa Kuta";
const TEXT: &str = "Sudah tiga malam lampu jalan di depan Pura Desa mati, jalan gelap sekali.";

/// A message as a mail program writes it: text and one photo attached (base64 lines of 76).
fn message(id: &str, from: &str, subject: &str, extra: &str, text: &str, photo: &[u8]) -> String {
    let b64 = crate::channels_sms::base64(photo);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "From: Ni Luh Sari <{from}>\r\nTo: lapor@badungkab.go.id\r\nSubject: {subject}\r\n\
Message-ID: <{id}>\r\n{extra}MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"batas\"\r\n\r\n\
--batas\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n\r\n-- \r\nLuh\r\n\
--batas\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; filename=\"foto.jpg\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--batas--\r\n",
        lines.join("\r\n")
    )
}

/// `kotapintar intake email` as Postfix's `pipe` runs it: the message on standard input, the
/// settings from the environment.
fn pipe(app: &TestApp, database_url: &str, raw: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kotapintar"))
        .args(["intake", "email"])
        .current_dir(app._db.dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("KOTAPINTAR_DATABASE_URL", database_url)
        .env("KOTAPINTAR_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run kotapintar");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(raw.as_bytes()).unwrap();
    }
    child.wait_with_output().expect("kotapintar finishes")
}

fn said(o: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

async fn requests_count(app: &TestApp) -> u64 {
    request::Entity::find()
        .count(&app.store.reader)
        .await
        .unwrap()
}

async fn units_and_officer(app: &TestApp) {
    app.import_areas().await;
    app.login_admin().await;
    app.create_unit("DPUPR", "Dinas PUPR").await;
    app.create_user("petugas.pupr", "officer", "DPUPR", "petugas-pupr-1")
        .await;
    app.logout().await;
}

async fn an_email_becomes_a_request_and_the_thread_works_by_email(app: TestApp) {
    units_and_officer(&app).await;
    let url = app._db.url.clone();
    let raw = message(
        "pertama.1@contoh.id",
        RESIDENT,
        SUBJECT,
        "",
        TEXT,
        &jpeg_with_gps(64, 48),
    );
    let o = pipe(&app, &url, &raw);
    assert_eq!(o.status.code(), Some(0), "{}", said(&o));
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    let code = out
        .split_whitespace()
        .find(|w| w.starts_with("BDG-"))
        .unwrap_or_else(|| panic!("a code: {out}"))
        .to_string();
    let row = request::Entity::find()
        .filter(request::Column::TrackingCode.eq(code.as_str()))
        .one(&app.store.reader)
        .await
        .unwrap()
        .expect("filed");
    assert_eq!(row.title, SUBJECT);
    assert_eq!(row.description, TEXT, "the signature is cut off");
    assert_eq!(row.reporter_email.as_deref(), Some(RESIDENT));
    assert_eq!(row.reporter_name.as_deref(), Some("Ni Luh Sari"));
    let photos = request_photo::Entity::find()
        .filter(request_photo::Column::RequestId.eq(row.id))
        .count(&app.store.reader)
        .await
        .unwrap();
    assert_eq!(photos, 1, "the attached photo");

    // the code comes back by SMTP, through the job queue
    app.run_jobs().await;
    let mails = app.mail.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, vec![RESIDENT.to_string()]);
    assert!(mails[0].subject().unwrap().contains(&code));
    assert!(mails[0].body().contains(&format!("/laporan/{code}/ikuti/")));

    // the MTA delivers the same message again: taken once
    let o = pipe(&app, &url, &raw);
    assert_eq!(o.status.code(), Some(0), "{}", said(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("delivered before"));
    assert_eq!(requests_count(&app).await, 1);
    app.run_jobs().await;
    assert_eq!(app.mail.messages().len(), 1, "no second notice");

    // a staff step reaches the email
    app.login_admin().await;
    app.dispatch(row.id, "DPUPR").await;
    app.logout().await;
    app.run_jobs().await;
    let mails = app.mail.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(mails.len(), 2, "the step's notice");
    assert!(mails[1].subject().unwrap().contains(&code));
    assert_eq!(mails[1].to, vec![RESIDENT.to_string()]);

    // a staff reply reaches the email; its Message-ID names the request
    app.login("petugas.pupr", "petugas-pupr-1").await;
    let question = "Apakah lampu yang mati hanya satu tiang atau lebih?";
    let r = app
        .post_form(
            &format!("/staf/laporan/{}/balas", row.id),
            &[("message", question)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.logout().await;
    app.run_jobs().await;
    let mails = app.mail.wait_for(3, Duration::from_secs(10)).await;
    let staff_mail = mails.last().unwrap();
    assert!(staff_mail.body().contains(question));
    let staff_id = staff_mail.header("Message-ID").expect("a Message-ID");
    assert!(staff_id.starts_with(&format!("<{code}.")), "{staff_id}");

    // the resident answers with the reply button: a subject without the code, the staff
    // message quoted below, another photo
    let answer = "Dua tiang, yang di depan pura dan di ujung gang.";
    let quoted = format!("{answer}\r\n\r\nOn Tue, 8 Dec 2026, kotapintar wrote:\r\n> {question}");
    let reply = message(
        "balasan.2@contoh.id",
        "Ni.Luh.Sari@Contoh.ID",
        "Re: pesan petugas",
        &format!("In-Reply-To: {staff_id}\r\nReferences: {staff_id}\r\n"),
        &quoted,
        &jpeg_with_gps(40, 30),
    );
    let taken = intake::email(&app.store, &app.settings, reply.as_bytes()).await;
    assert_eq!(taken.unwrap(), Taken::OnThread(code.clone()));
    let again = intake::email(&app.store, &app.settings, reply.as_bytes()).await;
    assert_eq!(again.unwrap(), Taken::Repeated, "a replay is taken once");
    let thread = request_message::Entity::find()
        .filter(request_message::Column::RequestId.eq(row.id))
        .all(&app.store.reader)
        .await
        .unwrap();
    let lines: Vec<(&str, &str, &str)> = thread
        .iter()
        .map(|m| (m.direction.as_str(), m.via.as_str(), m.body.as_str()))
        .collect();
    assert_eq!(
        lines,
        vec![
            ("to_reporter", "email", question),
            ("from_reporter", "email", answer),
        ]
    );
    let thread_photos = request_message_photo::Entity::find()
        .filter(request_message_photo::Column::RequestId.eq(row.id))
        .count(&app.store.reader)
        .await
        .unwrap();
    assert_eq!(thread_photos, 1);
    app.run_jobs().await;
    app.mail.wait_for(4, Duration::from_secs(10)).await;
    let to_resident: Vec<_> = app
        .mail
        .messages()
        .into_iter()
        .filter(|m| m.to == vec![RESIDENT.to_string()])
        .collect();
    assert_eq!(to_resident.len(), 4, "one acknowledgement");
    assert!(to_resident[3].subject().unwrap().contains("diteruskan"));
    assert!(to_resident[3].body().contains(&code));
    // staff see it; the public does not
    app.login("petugas.pupr", "petugas-pupr-1").await;
    let (_, page) = app.get_html(&format!("/staf/laporan/{}", row.id)).await;
    assert!(page.contains(answer));
    app.logout().await;
    let (_, public) = app.get_html(&format!("/laporan/{code}")).await;
    assert!(!public.contains(answer) && !public.contains(RESIDENT));

    // someone else writing about the same code is not the reporter: a request of their own
    let stranger = message(
        "orang.lain.3@contoh.id",
        "orang.lain@contoh.id",
        &format!("Re: Laporan {code}"),
        "",
        "Lampu di gang sebelah juga mati sejak minggu lalu.",
        &jpeg_with_gps(20, 20),
    );
    let taken = intake::email(&app.store, &app.settings, stranger.as_bytes()).await;
    assert!(
        matches!(&taken, Ok(Taken::Filed(c)) if *c != code),
        "{taken:?}"
    );
    let answers = request_message::Entity::find()
        .filter(request_message::Column::RequestId.eq(row.id))
        .count(&app.store.reader)
        .await
        .unwrap();
    assert_eq!(answers, 2, "nothing added to the thread");
}

async fn bad_mail_is_refused_robots_are_dropped_and_no_storage_means_try_later(app: TestApp) {
    let url = app._db.url.clone();
    // not a message at all: 65, and the MTA's bounce says why
    let o = pipe(&app, &url, "bukan email sama sekali");
    assert_eq!(o.status.code(), Some(65), "{}", said(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not an email message"));
    // too little to be a request: refused with the reason, nothing stored
    let short = "From: a@contoh.id\r\nSubject: Re:\r\nMessage-ID: <s@contoh.id>\r\n\r\nok\r\n";
    let refused = intake::email(&app.store, &app.settings, short.as_bytes()).await;
    assert!(
        matches!(&refused, Err(NotTaken::Refused(m)) if m.contains("10")),
        "{refused:?}"
    );
    // an out-of-office answer to a notice: neither filed nor answered
    let vacation = "From: a@contoh.id\r\nAuto-Submitted: auto-replied\r\n\
Subject: Sedang cuti\r\nMessage-ID: <cuti@contoh.id>\r\n\r\nSaya sedang cuti sampai Senin depan.\r\n";
    let dropped = intake::email(&app.store, &app.settings, vacation.as_bytes()).await;
    assert_eq!(dropped.unwrap(), Taken::Automatic);
    assert_eq!(requests_count(&app).await, 0);
    let queued = kotapintar_storage::jobs::pending(&app.store).await.unwrap();
    assert!(
        !queued.iter().any(|j| j.kind == "notify.email"),
        "nothing answered: {queued:?}"
    );
    // the database is not there (moved, not mounted): 75, so the MTA keeps the message
    let missing = format!(
        "sqlite://{}/tidak-ada/kotapintar.db",
        app._db.dir.path().display()
    );
    let ok = "From: a@contoh.id\r\nSubject: Jalan berlubang\r\nMessage-ID: <j@contoh.id>\r\n\r\n\
Jalan berlubang besar di depan pasar Kuta.\r\n";
    let o = pipe(&app, &missing, ok);
    assert_eq!(o.status.code(), Some(75), "{}", said(&o));
    // and once it is back, the same message is filed
    let o = pipe(&app, &url, ok);
    assert_eq!(o.status.code(), Some(0), "{}", said(&o));
    assert_eq!(requests_count(&app).await, 1);
}
