//! Requests by chat, the worker's half: a stored provider update is taken into its sender's
//! conversation (`domain::conversation`), photos are fetched from the provider and checked
//! like the web form's, a confirmed conversation is filed through `requests::submit`, and
//! every reply goes out as a `channel.send` job of its own, so a provider that is down
//! delays replies and loses none.

use crate::notify::{check_timeout, error_chain, non_empty, NotifyConfigError};
use crate::retry;
use chrono::Utc;
use kotapintar_domain::conversation::{
    self, sms, telegram, whatsapp, Catalogue, Channel, ChatContact, Conversation, DistrictChoice,
    Effect, Inbound, PublicStatus, Reply, ServiceChoice, MAX_PHOTOS,
};
use kotapintar_domain::ids::RequestId;
use kotapintar_domain::job::{ChatMessage, Job, JobError};
use kotapintar_domain::region::RegionCode;
use kotapintar_domain::request::{thread, RequestRules};
use kotapintar_storage::requests::{self, PhotoFile};
use kotapintar_storage::{channels, drafts, media, regions, services, StorageError, Store};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The longest text taken from one message (the web form's description limit).
const MAX_TEXT_CHARS: usize = 5000;

/// The Telegram bot's settings (`KOTAPINTAR_TELEGRAM_*`); without a token the channel is off.
#[derive(Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct TelegramConfig {
    pub bot_token: Option<String>,
    pub api_url: String,
    pub timeout_secs: u64,
}

impl Default for TelegramConfig {
    fn default() -> Self {
        Self {
            bot_token: None,
            api_url: "https://api.telegram.org".into(),
            timeout_secs: 20,
        }
    }
}

impl std::fmt::Debug for TelegramConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelegramConfig")
            .field("bot_token", &self.bot_token.as_ref().map(|_| "***"))
            .field("api_url", &self.api_url)
            .field("timeout_secs", &self.timeout_secs)
            .finish()
    }
}

/// The WhatsApp Business Cloud API's settings (`KOTAPINTAR_WHATSAPP_*`); without an access
/// token and a phone number id the channel is off.
#[derive(Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct WhatsAppConfig {
    pub access_token: Option<String>,
    pub phone_number_id: Option<String>,
    /// The Graph API with its version, e.g. `https://graph.facebook.com/v21.0`.
    pub api_url: String,
    pub timeout_secs: u64,
}

impl Default for WhatsAppConfig {
    fn default() -> Self {
        Self {
            access_token: None,
            phone_number_id: None,
            api_url: "https://graph.facebook.com/v21.0".into(),
            timeout_secs: 20,
        }
    }
}

impl std::fmt::Debug for WhatsAppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhatsAppConfig")
            .field("access_token", &self.access_token.as_ref().map(|_| "***"))
            .field("phone_number_id", &self.phone_number_id)
            .field("api_url", &self.api_url)
            .field("timeout_secs", &self.timeout_secs)
            .finish()
    }
}

struct WhatsApp {
    client: reqwest::Client,
    /// The Graph API with its version, without a trailing slash.
    api: reqwest::Url,
    phone_number_id: String,
    authorization: reqwest::header::HeaderValue,
}

/// The Android SMS gateway's send API (`KOTAPINTAR_SMS_*`): its address (the device's
/// `http://<ip>:8080`, or `https://api.sms-gate.app/3rdparty/v1` for the cloud), and the
/// username and password the app shows; without an address the SMS channel is off.
#[derive(Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct SmsConfig {
    pub api_url: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub timeout_secs: u64,
}

impl Default for SmsConfig {
    fn default() -> Self {
        Self {
            api_url: None,
            username: None,
            password: None,
            timeout_secs: 20,
        }
    }
}

impl std::fmt::Debug for SmsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsConfig")
            .field("api_url", &self.api_url)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("timeout_secs", &self.timeout_secs)
            .finish()
    }
}

struct SmsGateway {
    client: reqwest::Client,
    /// `{api_url}/message`.
    send: String,
    username: String,
    password: String,
}

fn sms_client(c: &SmsConfig) -> Result<Option<SmsGateway>, NotifyConfigError> {
    let Some(url) = non_empty(&c.api_url) else {
        return Ok(None);
    };
    let base = http_url("sms_api_url", url)?;
    let client = http_client("sms_timeout_secs", c.timeout_secs)?;
    tracing::info!("the SMS channel is on");
    Ok(Some(SmsGateway {
        client,
        send: format!("{}/message", base.as_str().trim_end_matches('/')),
        username: non_empty(&c.username).unwrap_or_default().to_string(),
        password: non_empty(&c.password).unwrap_or_default().to_string(),
    }))
}

struct Telegram {
    client: reqwest::Client,
    /// `{api_url}/bot{token}`; never logged (it holds the token).
    methods: String,
    /// `{api_url}/file/bot{token}`.
    files: String,
}

/// Processes chat updates and sends chat messages.
pub struct Channels {
    telegram: Option<Telegram>,
    whatsapp: Option<WhatsApp>,
    sms: Option<SmsGateway>,
    rules: RequestRules,
    uploads: PathBuf,
}

/// Why a photo could not be taken.
enum Fetch {
    /// The provider or the disk failed: try the whole update again later.
    Retry(String),
    /// The file is not a photo we accept (type, size, damaged): say so and go on.
    Refused,
}

fn http_client(key: &'static str, timeout_secs: u64) -> Result<reqwest::Client, NotifyConfigError> {
    let timeout = check_timeout(key, timeout_secs)?;
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        // a redirected call would carry the token somewhere nobody configured
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("kotapintar/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| NotifyConfigError::Invalid {
            key,
            message: format!("cannot set up HTTP client: {e}"),
        })
}

fn http_url(key: &'static str, raw: &str) -> Result<reqwest::Url, NotifyConfigError> {
    let base = raw.trim().trim_end_matches('/');
    reqwest::Url::parse(base)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| NotifyConfigError::Invalid {
            key,
            message: format!("'{base}' is not an http:// or https:// URL"),
        })
}

fn telegram_client(c: &TelegramConfig) -> Result<Option<Telegram>, NotifyConfigError> {
    let Some(token) = non_empty(&c.bot_token) else {
        return Ok(None);
    };
    let base = http_url("telegram_api_url", &c.api_url)?;
    let base = base.as_str().trim_end_matches('/');
    let client = http_client("telegram_timeout_secs", c.timeout_secs)?;
    tracing::info!("the Telegram channel is on");
    Ok(Some(Telegram {
        client,
        methods: format!("{base}/bot{token}"),
        files: format!("{base}/file/bot{token}"),
    }))
}

fn whatsapp_client(c: &WhatsAppConfig) -> Result<Option<WhatsApp>, NotifyConfigError> {
    let (Some(token), Some(phone)) = (non_empty(&c.access_token), non_empty(&c.phone_number_id))
    else {
        return Ok(None);
    };
    if !phone.chars().all(|c| c.is_ascii_digit()) {
        return Err(NotifyConfigError::Invalid {
            key: "whatsapp_phone_number_id",
            message: "must be the digits of the phone number id".into(),
        });
    }
    let api = http_url("whatsapp_api_url", &c.api_url)?;
    let mut authorization = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|_| NotifyConfigError::Invalid {
            key: "whatsapp_access_token",
            message: "contains characters that cannot go in an HTTP header".into(),
        })?;
    authorization.set_sensitive(true);
    let client = http_client("whatsapp_timeout_secs", c.timeout_secs)?;
    tracing::info!("the WhatsApp channel is on");
    Ok(Some(WhatsApp {
        client,
        api,
        phone_number_id: phone.to_string(),
        authorization,
    }))
}

impl WhatsApp {
    fn endpoint(&self, path: &str) -> String {
        format!("{}/{path}", self.api.as_str().trim_end_matches('/'))
    }

    /// A media file's bytes: its URL from the Graph API, then the file, both with the token.
    /// The file's URL comes from the provider: it must be https, or on the API's own origin.
    async fn media(&self, id: &str) -> Result<reqwest::Response, Fetch> {
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(Fetch::Refused);
        }
        let r = self
            .client
            .get(self.endpoint(id))
            .header(reqwest::header::AUTHORIZATION, self.authorization.clone())
            .send()
            .await
            .map_err(net("whatsapp"))?;
        let v = answer("whatsapp", "media", r).await.map_err(fetch_error)?;
        let url = v["url"]
            .as_str()
            .and_then(|u| reqwest::Url::parse(u).ok())
            .filter(|u| u.scheme() == "https" || u.origin() == self.api.origin())
            .ok_or(Fetch::Refused)?;
        self.client
            .get(url)
            .header(reqwest::header::AUTHORIZATION, self.authorization.clone())
            .send()
            .await
            .map_err(net("whatsapp"))
    }
}

fn net(provider: &'static str) -> impl Fn(reqwest::Error) -> Fetch {
    move |e| Fetch::Retry(format!("{provider}: {}", error_chain(&e.without_url())))
}

fn fetch_error(e: JobError) -> Fetch {
    match e {
        JobError::Retry(e) => Fetch::Retry(e),
        JobError::Permanent(_) => Fetch::Refused,
    }
}

impl Channels {
    pub fn new(
        telegram: &TelegramConfig,
        whatsapp: &WhatsAppConfig,
        rules: RequestRules,
        uploads: PathBuf,
    ) -> Result<Self, NotifyConfigError> {
        Ok(Self {
            telegram: telegram_client(telegram)?,
            whatsapp: whatsapp_client(whatsapp)?,
            sms: None,
            rules,
            uploads,
        })
    }

    /// Adds the SMS gateway (off without its address).
    pub fn with_sms(mut self, sms: &SmsConfig) -> Result<Self, NotifyConfigError> {
        self.sms = sms_client(sms)?;
        Ok(self)
    }

    /// Sends one chat message. A channel that is off keeps the job waiting (it shows as
    /// failing) rather than dropping what a resident is owed.
    pub async fn send(&self, m: &ChatMessage) -> Result<(), JobError> {
        match m.contact.channel {
            Channel::Telegram => {
                let Some(t) = &self.telegram else {
                    return Err(JobError::Retry("the Telegram channel is off".into()));
                };
                let body = telegram::send_message(&m.contact.id, &m.text, &m.choices);
                let r = t
                    .client
                    .post(format!("{}/sendMessage", t.methods))
                    .json(&body)
                    .send()
                    .await
                    .map_err(|e| {
                        JobError::Retry(format!("telegram: {}", error_chain(&e.without_url())))
                    })?;
                answer("telegram", "sendMessage", r).await.map(|_| ())
            }
            Channel::WhatsApp => {
                let Some(w) = &self.whatsapp else {
                    return Err(JobError::Retry("the WhatsApp channel is off".into()));
                };
                let body = whatsapp::send_message(&m.contact.id, &m.text, &m.choices, "Pilih");
                let r = w
                    .client
                    .post(w.endpoint(&format!("{}/messages", w.phone_number_id)))
                    .header(reqwest::header::AUTHORIZATION, w.authorization.clone())
                    .json(&body)
                    .send()
                    .await
                    .map_err(|e| {
                        JobError::Retry(format!("whatsapp: {}", error_chain(&e.without_url())))
                    })?;
                answer("whatsapp", "messages", r).await.map(|_| ())
            }
            Channel::Sms => {
                let Some(g) = &self.sms else {
                    return Err(JobError::Retry("the SMS channel is off".into()));
                };
                let body = sms::send_message(&m.contact.id, &m.text);
                let r = g
                    .client
                    .post(&g.send)
                    .basic_auth(&g.username, Some(&g.password))
                    .json(&body)
                    .send()
                    .await
                    .map_err(|e| {
                        JobError::Retry(format!("sms: {}", error_chain(&e.without_url())))
                    })?;
                answer("sms", "message", r).await.map(|_| ())
            }
        }
    }

    /// Takes one stored update into its sender's conversation.
    pub async fn process(&self, store: &Store, update_id: i64) -> Result<(), JobError> {
        let Some(u) = channels::update(store, update_id).await.map_err(retry)? else {
            return Ok(());
        };
        if u.processed {
            return Ok(());
        }
        let (channel, sender, content, quoted) = match u.channel {
            Some(Channel::Telegram) => {
                let parsed = telegram::parse(u.payload.as_bytes()).map_err(JobError::Permanent)?;
                let Some(chat_id) = parsed.chat_id else {
                    return channels::skip(store, update_id).await.map_err(retry);
                };
                let id = chat_id.to_string();
                (Channel::Telegram, id, parsed.content, parsed.quoted)
            }
            Some(Channel::WhatsApp) => {
                let (from, content) = whatsapp::content(&u.payload).map_err(JobError::Permanent)?;
                (Channel::WhatsApp, from, content, None)
            }
            Some(Channel::Sms) => {
                let Some(m) = sms::received(u.payload.as_bytes()).map_err(JobError::Permanent)?
                else {
                    return channels::skip(store, update_id).await.map_err(retry);
                };
                (Channel::Sms, m.from, telegram::Content::Text(m.text), None)
            }
            None => return channels::skip(store, update_id).await.map_err(retry),
        };
        let contact = ChatContact {
            channel,
            id: sender,
        };
        let state: Option<Conversation> =
            channels::conversation(store, contact.channel, &contact.id)
                .await
                .map_err(retry)?
                .and_then(|s| serde_json::from_str(&s).ok());
        let answer = Answer {
            update_id,
            contact: &contact,
            content: &content,
            quoted: quoted.as_deref(),
        };
        if self.to_thread(store, answer, state.as_ref()).await? {
            return Ok(());
        }
        let mut run = Run {
            out: Vec::new(),
            discard: Vec::new(),
            contact,
            update_id,
            filed: u.filed,
        };
        let inbound = self.inbound(content, state.as_ref(), &mut run).await?;
        let cat = catalogue(store, &self.rules).await.map_err(retry)?;
        let now = Utc::now();
        let mut state = state;
        for msg in inbound {
            let turn = conversation::advance(state, msg, &cat, now);
            state = turn.state;
            for e in turn.effects {
                self.carry_out(store, e, &mut run).await?;
            }
        }
        let saved = state.and_then(|s| serde_json::to_string(&s).ok());
        let (channel, sender) = (run.contact.channel, run.contact.id.clone());
        channels::finish(store, update_id, channel, &sender, saved, &run.out)
            .await
            .map_err(retry)?;
        for d in run.discard.iter().filter(|d| !d.is_empty()) {
            drafts::remove(&self.uploads, d);
        }
        Ok(())
    }

    /// What the conversation is given for one update (a photo with a caption is two).
    async fn inbound(
        &self,
        content: telegram::Content,
        state: Option<&Conversation>,
        run: &mut Run,
    ) -> Result<Vec<Inbound>, JobError> {
        let text = |t: String| Inbound::Text(t.chars().take(MAX_TEXT_CHARS).collect());
        Ok(match content {
            telegram::Content::Text(t) => vec![text(t)],
            telegram::Content::Location { lat, lon } => vec![Inbound::Location { lat, lon }],
            telegram::Content::Photo { file_id, caption } => {
                // the conversation refuses a sixth photo: not worth downloading
                let full = state.is_some_and(|c| c.photos.len() >= MAX_PHOTOS);
                let kept = if full {
                    Some(String::new())
                } else {
                    match self.fetch_photo(run.contact.channel, &file_id).await {
                        Ok(d) => Some(d),
                        Err(Fetch::Retry(e)) => return Err(JobError::Retry(e)),
                        Err(Fetch::Refused) => None,
                    }
                };
                let mut v = Vec::new();
                match kept {
                    Some(d) => v.push(Inbound::Photo(d)),
                    None => run.reply(photo_refused(state)),
                }
                v.extend(caption.map(text));
                v
            }
            // a sticker, a voice note: the question again, with why
            telegram::Content::Other => vec![Inbound::Text(String::new())],
        })
    }

    /// Downloads a photo (Telegram: `getFile`, then the file; WhatsApp: the media endpoint,
    /// then the file), checks and cleans it like the web form's uploads, and keeps it as a
    /// draft; returns the draft's id.
    async fn fetch_photo(&self, channel: Channel, file_id: &str) -> Result<String, Fetch> {
        let mut r = match channel {
            Channel::Telegram => self.telegram_file(file_id).await?,
            Channel::WhatsApp => match &self.whatsapp {
                Some(w) => w.media(file_id).await?,
                None => return Err(Fetch::Retry("the WhatsApp channel is off".into())),
            },
            // an SMS carries no photo
            Channel::Sms => return Err(Fetch::Refused),
        };
        if !r.status().is_success() {
            return Err(Fetch::Retry(format!("photo download: {}", r.status())));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = r.chunk().await.map_err(net("photo download"))? {
            bytes.extend_from_slice(&chunk);
            if bytes.len() > media::MAX_PHOTO_BYTES {
                return Err(Fetch::Refused);
            }
        }
        let cleaned = tokio::task::spawn_blocking(move || media::clean_photo(&bytes))
            .await
            .map_err(|e| Fetch::Retry(e.to_string()))?;
        let Ok(c) = cleaned else {
            return Err(Fetch::Refused);
        };
        let photo = PhotoFile::from(c);
        match drafts::save(&self.uploads, &[("chat".into(), &photo)]) {
            Ok(Some(id)) => Ok(id),
            Ok(None) => Err(Fetch::Refused),
            Err(e) => Err(Fetch::Retry(format!("cannot keep a chat photo: {e}"))),
        }
    }

    async fn telegram_file(&self, file_id: &str) -> Result<reqwest::Response, Fetch> {
        let Some(t) = &self.telegram else {
            return Err(Fetch::Retry("the Telegram channel is off".into()));
        };
        let r = t
            .client
            .post(format!("{}/getFile", t.methods))
            .json(&serde_json::json!({ "file_id": file_id }))
            .send()
            .await
            .map_err(net("telegram"))?;
        let v = answer("telegram", "getFile", r)
            .await
            .map_err(fetch_error)?;
        let path = v["result"]["file_path"].as_str().unwrap_or_default();
        // a path the provider gives is still outside input: no way out of the file area
        let safe = !path.is_empty()
            && !path.contains("..")
            && path
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '.'));
        if !safe {
            return Err(Fetch::Refused);
        }
        t.client
            .get(format!("{}/{path}", t.files))
            .send()
            .await
            .map_err(net("telegram"))
    }

    async fn carry_out(&self, store: &Store, e: Effect, run: &mut Run) -> Result<(), JobError> {
        match e {
            Effect::Reply(r) => run.reply(r),
            Effect::Discard(d) => run.discard.extend(d),
            Effect::Status { code, lang } => {
                let public = requests::public_by_code(store, &code)
                    .await
                    .map_err(retry)?
                    .map(|p| PublicStatus {
                        status: p.status,
                        due_at: p.due_at,
                    });
                let found = match public {
                    Some(p) => Some(p),
                    None => {
                        let (channel, chat) = (run.contact.channel.as_str(), &run.contact.id);
                        requests::status_for_own_chat(store, &code, channel, chat)
                            .await
                            .map_err(retry)?
                            .map(|(status, due_at)| PublicStatus { status, due_at })
                    }
                };
                let offset = self.rules.utc_offset;
                run.reply(conversation::status_reply(
                    lang,
                    &code,
                    found.as_ref(),
                    offset,
                ));
            }
            Effect::File {
                request,
                photos,
                lang,
            } => {
                let mut req = *request;
                req.chat = Some(run.contact.clone());
                let files: Vec<PhotoFile> = photos
                    .iter()
                    .flat_map(|d| drafts::load(&self.uploads, d))
                    .map(|(_, f)| f)
                    .collect();
                let calendar = kotapintar_storage::holidays::calendar(store)
                    .await
                    .map_err(retry)?;
                let (rules, uploads) = (&self.rules, &self.uploads);
                let filed = match run.filed {
                    // an earlier run filed it and stopped before its reply went out
                    Some(id) => requests::reissue_link(store, id).await,
                    None => {
                        requests::submit_from_chat(
                            store,
                            rules,
                            &calendar,
                            uploads,
                            req,
                            files,
                            run.update_id,
                        )
                        .await
                    }
                };
                match filed {
                    Ok(done) => {
                        let link = requests::follow_link(rules, &done.code, &done.token);
                        run.reply(conversation::filed(lang, &done.code, &link));
                    }
                    Err(StorageError::Invalid(e)) => {
                        tracing::warn!(?e, "a chat request was refused at intake");
                        run.reply(conversation::not_filed(lang));
                    }
                    // nothing was saved: the whole update is tried again
                    Err(e) => return Err(retry(e)),
                }
                run.discard.extend(photos);
            }
        }
        Ok(())
    }
}

/// A chat message that may answer a request's thread.
struct Answer<'a> {
    update_id: i64,
    contact: &'a ChatContact,
    content: &'a telegram::Content,
    quoted: Option<&'a str>,
}

impl Channels {
    /// Puts a message on the thread of the request it answers (`request::thread::answers`)
    /// instead of the conversation, with its photo cleaned like the web form's; `true` when
    /// it did. A conversation in progress goes on, and the conversation's words ("status",
    /// "lapor", ...) keep their meaning.
    async fn to_thread(
        &self,
        store: &Store,
        a: Answer<'_>,
        state: Option<&Conversation>,
    ) -> Result<bool, JobError> {
        let now = Utc::now();
        if state.is_some_and(|c| now - c.last_at <= conversation::EXPIRES_AFTER) {
            return Ok(false);
        }
        let (mut text, photo) = match a.content {
            telegram::Content::Text(t) if !conversation::is_command(t) => (t.clone(), None),
            telegram::Content::Photo { file_id, caption } => {
                (caption.clone().unwrap_or_default(), Some(file_id))
            }
            _ => return Ok(false),
        };
        let written = requests::written_to_chat(store, a.contact)
            .await
            .map_err(retry)?;
        let Some(request) = thread::answers(a.quoted, &written, now) else {
            return Ok(false);
        };
        let mut draft = None;
        if let Some(file_id) = photo {
            match self.fetch_photo(a.contact.channel, file_id).await {
                Ok(d) => draft = Some(d),
                Err(Fetch::Retry(e)) => return Err(JobError::Retry(e)),
                Err(Fetch::Refused) => {
                    text = format!("{} {text}", thread::PHOTO_REFUSED)
                        .trim()
                        .to_string();
                }
            }
        }
        let photos: Vec<PhotoFile> = draft
            .iter()
            .flat_map(|d| drafts::load(&self.uploads, d))
            .map(|(_, f)| f)
            .collect();
        let contact = a.contact.clone();
        let acknowledge = |code: &str| {
            Job::SendChat(ChatMessage {
                contact,
                text: thread::passed_on(code),
                choices: Vec::new(),
            })
        };
        let answer = requests::ChatAnswer {
            request,
            via: thread::Via::Chat(a.contact.channel),
            text: &text,
            photos: &photos,
        };
        let (rules, uploads) = (&self.rules, &self.uploads);
        let saved =
            channels::finish_on_thread(store, rules, uploads, a.update_id, &answer, acknowledge)
                .await;
        if let Some(d) = &draft {
            drafts::remove(&self.uploads, d);
        }
        saved.map_err(retry)?;
        Ok(true)
    }
}

/// The replies and clean-up one update leads to.
struct Run {
    out: Vec<Job>,
    discard: Vec<String>,
    contact: ChatContact,
    /// The update being processed, and the request it filed in an earlier, interrupted run.
    update_id: i64,
    filed: Option<RequestId>,
}

impl Run {
    fn reply(&mut self, r: Reply) {
        self.out.push(Job::SendChat(ChatMessage {
            contact: self.contact.clone(),
            text: r.text,
            choices: r.choices,
        }));
    }
}

fn photo_refused(state: Option<&Conversation>) -> Reply {
    let en = state.is_some_and(|c| c.lang == conversation::Lang::En);
    Reply {
        text: if en {
            "That photo could not be used (a JPEG, PNG or WebP photo of at most 10 MB is needed)."
        } else {
            "Foto itu tidak dapat dipakai (perlu foto JPEG, PNG atau WebP paling besar 10 MB)."
        }
        .into(),
        choices: Vec::new(),
    }
}

/// A provider's answer: its JSON on success; 429 and 5xx are worth retrying, other refusals
/// (a chat that blocked the bot, a bad request) are not.
async fn answer(
    provider: &str,
    method: &str,
    r: reqwest::Response,
) -> Result<serde_json::Value, JobError> {
    let status = r.status();
    let body = r.text().await.unwrap_or_default();
    let short: String = body.chars().take(300).collect();
    if status.is_success() {
        return Ok(serde_json::from_str(&body).unwrap_or_default());
    }
    let e = format!("{provider} {method} answered {status}: {short}");
    if status.as_u16() == 429 || status.is_server_error() {
        Err(JobError::Retry(e))
    } else {
        tracing::warn!(error = %e, "a chat message was refused by the provider");
        Err(JobError::Permanent(e))
    }
}

/// What the conversation offers: active services, the regency's kecamatan and desa.
async fn catalogue(store: &Store, rules: &RequestRules) -> Result<Catalogue, StorageError> {
    let services = services::list(store, true)
        .await?
        .into_iter()
        // a chat does not ask a service's own questions: one with a required question is
        // left out, and the resident chooses "tidak tahu" (the desk assigns the service)
        .filter(|s| !s.draft.questions.iter().any(|q| q.required))
        .map(|s| ServiceChoice {
            code: s.draft.code,
            name: s.draft.name,
            kind: s.draft.kind,
        })
        .collect();
    let mut districts = Vec::new();
    for d in regions::children(store, &rules.regency).await? {
        let Ok(code) = RegionCode::parse(&d.code) else {
            continue;
        };
        let villages = regions::children(store, &code)
            .await?
            .into_iter()
            .map(|v| (v.code, v.name))
            .collect();
        districts.push(DistrictChoice {
            code: d.code,
            name: d.name,
            villages,
        });
    }
    Ok(Catalogue {
        services,
        districts,
        bounds: rules.bounds,
    })
}
