//! The index: one tantivy index per node, on local disk, derived from the database and
//! rebuildable from it at any time. The newest event it has absorbed (the cursor) is stored in
//! the index's own commit, so the index and its cursor can never disagree after a crash.

use crate::analyzer;
use crate::facets::FacetCounts;
use crate::SearchError;
use chrono::{DateTime, Utc};
use kotapintar_domain::markdown::escape;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering as AtomicOrdering};
use std::sync::{Mutex, RwLock};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED, STORED,
    STRING,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::{
    DateTime as TDateTime, Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument,
    Term,
};

/// Bumped whenever the schema or the analysis changes: an index of another version is thrown
/// away and rebuilt from the database.
pub const SCHEMA_VERSION: u32 = 3;

/// What kind of thing a result is; also the `jenis` facet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DocKind {
    Laporan,
    Berita,
    Pengumuman,
    Agenda,
    Proyek,
    Layanan,
    Unit,
    Dataset,
}

impl DocKind {
    pub const ALL: [DocKind; 8] = [
        Self::Laporan,
        Self::Berita,
        Self::Pengumuman,
        Self::Agenda,
        Self::Proyek,
        Self::Layanan,
        Self::Unit,
        Self::Dataset,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Laporan => "laporan",
            Self::Berita => "berita",
            Self::Pengumuman => "pengumuman",
            Self::Agenda => "agenda",
            Self::Proyek => "proyek",
            Self::Layanan => "layanan",
            Self::Unit => "unit",
            Self::Dataset => "dataset",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One public thing to find. Built only from public projections (see `docs.rs`), so nothing
/// personal or confidential can be put in the index.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchDoc {
    /// Unique across kinds: `content:12`, `request:BDG-26-7K3Q9`, `service:4`, `unit:2`.
    pub key: String,
    pub kind: DocKind,
    pub title: String,
    pub body: String,
    pub url: String,
    pub unit_slugs: Vec<String>,
    pub kecamatan: Option<String>,
    pub date: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub text: String,
    pub kind: Option<DocKind>,
    pub unit: Option<String>,
    pub kecamatan: Option<String>,
    pub offset: usize,
    pub limit: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub kind: DocKind,
    pub title: String,
    /// HTML: the title with matched words in `<b>`, everything else escaped.
    pub title_html: String,
    /// HTML: a passage of the text with matched words in `<b>`, everything else escaped.
    pub snippet_html: String,
    pub url: String,
    pub unit_slugs: Vec<String>,
    pub kecamatan: Option<String>,
    pub date: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Facets {
    pub kind: Vec<(String, u64)>,
    pub unit: Vec<(String, u64)>,
    pub kecamatan: Vec<(String, u64)>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SearchResults {
    pub total: usize,
    pub hits: Vec<Hit>,
    pub facets: Facets,
}

#[derive(Clone, Copy)]
struct Fields {
    key: Field,
    kind: Field,
    title: Field,
    body: Field,
    url: Field,
    units: Field,
    kecamatan: Field,
    date: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analyzer::NAME)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let fields = Fields {
        key: b.add_text_field("key", STRING | STORED),
        kind: b.add_text_field("kind", STRING | STORED | FAST),
        title: b.add_text_field("title", text.clone()),
        body: b.add_text_field("body", text),
        url: b.add_text_field("url", STORED),
        units: b.add_text_field("units", STRING | STORED | FAST),
        kecamatan: b.add_text_field("kecamatan", STRING | STORED | FAST),
        date: b.add_date_field("date", INDEXED | STORED | FAST),
    };
    (b.build(), fields)
}

#[derive(Serialize, Deserialize)]
struct Payload {
    schema: u32,
    cursor: i64,
}

pub struct SearchIndex {
    /// Where the index lives (`None` in memory): a build in another process writes there and
    /// this node opens the result again (`release_writer`, `reopen`).
    dir: Option<PathBuf>,
    /// Replaced as a whole by `reopen`; each search clones it (a reference count) first.
    reader: RwLock<IndexReader>,
    /// `None` while another process builds the index (the directory has one writer).
    writer: Mutex<Option<IndexWriter>>,
    f: Fields,
    /// The cursor searches see: set only after the reader has reloaded, so "absorbed event N"
    /// always means "searches find it" (`NO_CURSOR` until the first build).
    visible: AtomicI64,
}

const NO_CURSOR: i64 = i64::MIN;

/// Memory the writer may buffer before it flushes a segment: tantivy's minimum. The
/// follower commits every half second, so a larger buffer only raises the server's peak.
const WRITER_HEAP: usize = 15_000_000;

/// Decompressed blocks (16 KB each) of stored fields kept per segment. tantivy keeps 100
/// by default: with a million documents in a dozen segments that is up to 20 MB of heap for
/// a cache that random result pages rarely hit.
const DOC_STORE_CACHE_BLOCKS: usize = 8;

impl SearchIndex {
    /// Opens the index in `dir`, or creates it. An index of an older schema version is
    /// removed and created empty (its cursor then says a rebuild is needed).
    pub fn open(dir: &Path) -> Result<Self, SearchError> {
        std::fs::create_dir_all(dir)?;
        let (schema, f) = schema();
        let existing = tantivy::directory::MmapDirectory::open(dir)
            .map_err(|e| SearchError::Index(e.to_string()))?;
        let index = if Index::exists(&existing).map_err(|e| SearchError::Index(e.to_string()))? {
            let index = Index::open(existing)?;
            // an index never committed (just created, its build not done) is kept: it is empty
            let never_built = index.load_metas()?.payload.is_none();
            let ok = index.schema() == schema && (never_built || read_payload(&index)?.is_some());
            if ok {
                index
            } else {
                tracing::info!(dir = %dir.display(), "search index is of another version; rebuilding it");
                drop(index);
                for entry in std::fs::read_dir(dir)? {
                    let p = entry?.path();
                    if p.is_file() {
                        std::fs::remove_file(p)?;
                    }
                }
                Index::create_in_dir(dir, schema)?
            }
        } else {
            Index::create_in_dir(dir, schema)?
        };
        Self::from_index(index, f, Some(dir.to_path_buf()))
    }

    /// An index in memory (tests, tools).
    pub fn in_memory() -> Result<Self, SearchError> {
        let (schema, f) = schema();
        Self::from_index(Index::create_in_ram(schema), f, None)
    }

    fn from_index(index: Index, f: Fields, dir: Option<PathBuf>) -> Result<Self, SearchError> {
        index
            .tokenizers()
            .register(analyzer::NAME, analyzer::indonesian());
        let writer = index.writer_with_num_threads(1, WRITER_HEAP)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .doc_store_cache_num_blocks(DOC_STORE_CACHE_BLOCKS)
            .try_into()?;
        let visible = read_payload(&index)?.map_or(NO_CURSOR, |p| p.cursor);
        Ok(Self {
            dir,
            reader: RwLock::new(reader),
            writer: Mutex::new(Some(writer)),
            f,
            visible: AtomicI64::new(visible),
        })
    }

    /// The newest event absorbed, or `None` if the index was never built (needs a rebuild).
    pub fn cursor(&self) -> Result<Option<i64>, SearchError> {
        let c = self.visible.load(AtomicOrdering::Acquire);
        Ok((c != NO_CURSOR).then_some(c))
    }

    fn writer_slot(&self) -> Result<std::sync::MutexGuard<'_, Option<IndexWriter>>, SearchError> {
        self.writer
            .lock()
            .map_err(|_| SearchError::Index("search writer lock poisoned".into()))
    }

    fn with_writer<T>(
        &self,
        f: impl FnOnce(&mut IndexWriter) -> Result<T, SearchError>,
    ) -> Result<T, SearchError> {
        let mut slot = self.writer_slot()?;
        let w = slot.as_mut().ok_or_else(|| {
            SearchError::Index("the search index is being built by another process".into())
        })?;
        f(w)
    }

    fn reader(&self) -> Result<IndexReader, SearchError> {
        Ok(self
            .reader
            .read()
            .map_err(|_| SearchError::Index("search reader lock poisoned".into()))?
            .clone())
    }

    /// The directory a build in another process should write to, if this index is on disk.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Lets another process take the directory's writer (for a build there): waits for
    /// merges in progress and closes this node's writer. Searches go on meanwhile and see the
    /// index as it was; staging fails until `reopen`.
    pub fn release_writer(&self) -> Result<(), SearchError> {
        close_writer(&mut *self.writer_slot()?)
    }

    /// Opens the directory again after another process wrote to it: new reader, new writer,
    /// the cursor of its last commit. The index is opened afresh rather than reloaded because
    /// tantivy keeps the list of files it manages in memory, and the other process added
    /// files this one never knew.
    pub fn reopen(&self) -> Result<(), SearchError> {
        let dir = self
            .dir
            .as_deref()
            .ok_or_else(|| SearchError::Index("an index in memory cannot be reopened".into()))?;
        let mut slot = self.writer_slot()?;
        // the old writer, if any, must let go of the directory's lock before a new one takes it
        close_writer(&mut slot)?;
        let fresh = Self::open(dir)?;
        let writer = fresh.writer_slot()?.take();
        *self
            .reader
            .write()
            .map_err(|_| SearchError::Index("search reader lock poisoned".into()))? =
            fresh.reader()?;
        *slot = writer;
        self.visible.store(
            fresh.visible.load(AtomicOrdering::Acquire),
            AtomicOrdering::Release,
        );
        Ok(())
    }

    /// Replaces (or adds) documents and removes the given keys; nothing is visible until
    /// `commit`.
    pub fn stage(&self, upserts: &[SearchDoc], removals: &[String]) -> Result<(), SearchError> {
        self.with_writer(|w| {
            for key in removals {
                w.delete_term(Term::from_field_text(self.f.key, key));
            }
            for d in upserts {
                w.delete_term(Term::from_field_text(self.f.key, &d.key));
                w.add_document(self.to_doc(d))?;
            }
            Ok(())
        })
    }

    /// Adds documents after `clear` (a rebuild), where no earlier version of them can exist.
    /// `stage` would also stage a deletion for each, and tantivy keeps every staged deletion
    /// (about 1 KB) until the commit: over a million requests, a gigabyte.
    pub fn add_new(&self, docs: &[SearchDoc]) -> Result<(), SearchError> {
        self.with_writer(|w| {
            for d in docs {
                w.add_document(self.to_doc(d))?;
            }
            Ok(())
        })
    }

    /// Empties the index (before a rebuild); visible at the next commit.
    pub fn clear(&self) -> Result<(), SearchError> {
        self.with_writer(|w| {
            w.delete_all_documents()?;
            Ok(())
        })
    }

    /// Makes staged changes visible and records `cursor` with them, atomically.
    pub fn commit(&self, cursor: i64) -> Result<(), SearchError> {
        let payload = serde_json::to_string(&Payload {
            schema: SCHEMA_VERSION,
            cursor,
        })
        .map_err(|e| SearchError::Index(e.to_string()))?;
        self.with_writer(|w| {
            let mut prepared = w.prepare_commit()?;
            prepared.set_payload(&payload);
            prepared.commit()?;
            Ok(())
        })?;
        self.reader()?.reload()?;
        self.visible.store(cursor, AtomicOrdering::Release);
        Ok(())
    }

    pub fn num_docs(&self) -> u64 {
        self.reader().map_or(0, |r| r.searcher().num_docs())
    }

    fn to_doc(&self, d: &SearchDoc) -> TantivyDocument {
        let f = self.f;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.key, &d.key);
        doc.add_text(f.kind, d.kind.as_str());
        doc.add_text(f.title, &d.title);
        doc.add_text(f.body, &d.body);
        doc.add_text(f.url, &d.url);

        for u in &d.unit_slugs {
            doc.add_text(f.units, u);
        }
        if let Some(k) = &d.kecamatan {
            doc.add_text(f.kecamatan, k);
        }
        doc.add_date(
            f.date,
            TDateTime::from_timestamp_micros(d.date.timestamp_micros()),
        );
        doc
    }

    /// The query for the typed words: every word must match (in the title or the text), as
    /// itself or, for words of five letters or more, with one typo (two from nine letters).
    /// Exact and title matches rank higher.
    fn text_query(
        &self,
        searcher: &tantivy::Searcher,
        text: &str,
    ) -> Result<Option<Box<dyn Query>>, SearchError> {
        let terms = analyzer::terms(text);
        if terms.is_empty() {
            return Ok(None);
        }
        let mut musts: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for t in terms {
            // a word the index knows is taken as typed; only unknown words are widened to
            // their near spellings (the expansion is what costs time on a large index)
            let known = searcher.doc_freq(&Term::from_field_text(self.f.title, &t))? > 0
                || searcher.doc_freq(&Term::from_field_text(self.f.body, &t))? > 0;
            let mut shoulds: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for (field, boost) in [(self.f.title, 3.0), (self.f.body, 1.0)] {
                let term = Term::from_field_text(field, &t);
                shoulds.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(
                        Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)),
                        boost,
                    )),
                ));
                let distance = match t.chars().count() {
                    0..=4 => 0,
                    5..=8 => 1,
                    _ => 2,
                };
                if distance > 0 && !known {
                    shoulds.push((
                        Occur::Should,
                        Box::new(BoostQuery::new(
                            Box::new(FuzzyTermQuery::new(term, distance, true)),
                            boost * 0.3,
                        )),
                    ));
                }
            }
            musts.push((Occur::Must, Box::new(BooleanQuery::new(shoulds))));
        }
        Ok(Some(Box::new(BooleanQuery::new(musts))))
    }

    pub fn search(&self, q: &SearchQuery) -> Result<SearchResults, SearchError> {
        let f = self.f;
        let searcher = self.reader()?.searcher();
        let text_query = self.text_query(&searcher, &q.text)?;
        let query = self.filtered(text_query.as_deref(), q);
        let limit = q.limit.clamp(1, 100);
        let facet_collector = FacetCounts::new(&["kind", "units", "kecamatan"]);
        let (addresses, total, facet_counts): (Vec<tantivy::DocAddress>, usize, _) =
            if text_query.is_some() {
                let (top, total, facets) = searcher.search(
                    &query,
                    &(
                        TopDocs::with_limit(limit)
                            .and_offset(q.offset)
                            .order_by_score(),
                        Count,
                        facet_collector,
                    ),
                )?;
                (top.into_iter().map(|(_, a)| a).collect(), total, facets)
            } else {
                // browsing without words: newest first
                let (top, total, facets) = searcher.search(
                    &query,
                    &(
                        TopDocs::with_limit(limit)
                            .and_offset(q.offset)
                            .order_by_fast_field::<TDateTime>("date", Order::Desc),
                        Count,
                        facet_collector,
                    ),
                )?;
                (top.into_iter().map(|(_, a)| a).collect(), total, facets)
            };
        let words = analyzer::terms(&q.text);
        let body_snippets = match &text_query {
            Some(tq) => {
                let mut body = SnippetGenerator::create(&searcher, tq.as_ref(), f.body)?;
                body.set_max_num_chars(220);
                Some(body)
            }
            None => None,
        };
        let hits = addresses
            .into_iter()
            .map(|a| self.hit(&searcher.doc(a)?, &words, body_snippets.as_ref()))
            .collect::<Result<_, _>>()?;
        let facet_list = |i: usize| -> Vec<(String, u64)> {
            let mut v: Vec<(String, u64)> = facet_counts
                .get(i)
                .map(|m| m.iter().map(|(k, n)| (k.clone(), *n)).collect())
                .unwrap_or_default();
            v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            v.truncate(50);
            v
        };
        Ok(SearchResults {
            total,
            hits,
            facets: Facets {
                kind: facet_list(0),
                unit: facet_list(1),
                kecamatan: facet_list(2),
            },
        })
    }

    /// The words' query (if any) narrowed by the query's kind, unit and kecamatan.
    fn filtered(&self, text_query: Option<&dyn Query>, q: &SearchQuery) -> Box<dyn Query> {
        let f = self.f;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some(tq) = text_query {
            clauses.push((Occur::Must, tq.box_clone()));
        }
        let mut filter = |field: Field, value: &str| {
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(field, value),
                    IndexRecordOption::Basic,
                )),
            ));
        };
        if let Some(k) = q.kind {
            filter(f.kind, k.as_str());
        }
        if let Some(u) = &q.unit {
            filter(f.units, u);
        }
        if let Some(k) = &q.kecamatan {
            filter(f.kecamatan, k);
        }
        if clauses.is_empty() {
            Box::new(AllQuery)
        } else {
            if text_query.is_none() {
                clauses.push((Occur::Must, Box::new(AllQuery)));
            }
            Box::new(BooleanQuery::new(clauses))
        }
    }

    /// A found document as a hit: its title with the matched `words` in bold, and a snippet
    /// of its body (around the words, when there are any).
    fn hit(
        &self,
        doc: &TantivyDocument,
        words: &[String],
        body_snippets: Option<&SnippetGenerator>,
    ) -> Result<Hit, SearchError> {
        let f = self.f;
        let text = |field: Field| -> String {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let all = |field: Field| -> Vec<String> {
            doc.get_all(field)
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        };
        let title = text(f.title);
        let body = text(f.body);
        // the whole title, with the words that matched in bold
        let title_html = highlight(&title, words);
        let snippet_html = match body_snippets.map(|bg| bg.snippet(&body)) {
            Some(s) if !s.is_empty() => s.to_html(),
            _ => escape(&truncate(&body, 220)),
        };
        let date = doc
            .get_first(f.date)
            .and_then(|v| v.as_datetime())
            .and_then(|d| DateTime::<Utc>::from_timestamp_micros(d.into_timestamp_micros()))
            .unwrap_or_default();
        let url = text(f.url);
        // Written by this code from a `DocKind`; anything else is an index from another
        // version, which `kotapintar search rebuild` replaces.
        let kind = text(f.kind);
        let kind = DocKind::parse(&kind).ok_or_else(|| {
            SearchError::Index(format!(
                "the document {url} has the unknown kind '{kind}': rebuild the index"
            ))
        })?;
        Ok(Hit {
            kind,
            title,
            title_html,
            snippet_html,
            url,
            unit_slugs: all(f.units),
            kecamatan: all(f.kecamatan).into_iter().next(),
            date,
        })
    }
}

/// Closes the writer in `slot`, if any, once its merges are done; the directory's lock is
/// free afterwards.
fn close_writer(slot: &mut Option<IndexWriter>) -> Result<(), SearchError> {
    if let Some(w) = slot.take() {
        w.wait_merging_threads()?;
    }
    Ok(())
}

fn read_payload(index: &Index) -> Result<Option<Payload>, SearchError> {
    let metas = index.load_metas()?;
    Ok(metas
        .payload
        .as_deref()
        .and_then(|p| serde_json::from_str::<Payload>(p).ok())
        .filter(|p| p.schema == SCHEMA_VERSION))
}

/// `text` escaped, with the words whose analysed form is one of `words` in `<b>`.
fn highlight(text: &str, words: &[String]) -> String {
    use tantivy::tokenizer::TokenStream;
    if words.is_empty() {
        return escape(text);
    }
    let mut analyzer = analyzer::indonesian();
    let mut stream = analyzer.token_stream(text);
    let mut out = String::with_capacity(text.len() + 16);
    let mut last = 0;
    while stream.advance() {
        let t = stream.token();
        if words.contains(&t.text) && t.offset_from >= last && t.offset_to <= text.len() {
            out.push_str(&escape(&text[last..t.offset_from]));
            out.push_str("<b>");
            out.push_str(&escape(&text[t.offset_from..t.offset_to]));
            out.push_str("</b>");
            last = t.offset_to;
        }
    }
    out.push_str(&escape(&text[last..]));
    out
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max).collect();
    match cut.rfind(' ') {
        Some(i) => format!("{}…", &cut[..i]),
        None => format!("{cut}…"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(key: &str, kind: DocKind, title: &str, body: &str, unit: &str, kec: &str) -> SearchDoc {
        SearchDoc {
            key: key.into(),
            kind,
            title: title.into(),
            body: body.into(),
            url: format!("/{key}"),
            unit_slugs: vec![unit.into()],
            kecamatan: Some(kec.into()),
            date: Utc::now(),
        }
    }

    fn sample() -> SearchIndex {
        let idx = SearchIndex::in_memory().unwrap();
        idx.stage(
            &[
                doc(
                    "content:1",
                    DocKind::Berita,
                    "Jalan Raya Kerobokan diperbaiki",
                    "Dinas PUPR memperbaiki jalan berlubang sepanjang 2 km.",
                    "dpupr",
                    "51.03.02",
                ),
                doc(
                    "request:BDG-1",
                    DocKind::Laporan,
                    "Lampu jalan mati",
                    "Lampu penerangan jalan di depan pasar mati sejak seminggu.",
                    "dishub",
                    "51.03.01",
                ),
                doc(
                    "content:2",
                    DocKind::Agenda,
                    "Pembangunan pasar Mengwi",
                    "Peletakan batu pertama pasar tradisional.",
                    "disperindag",
                    "51.03.01",
                ),
            ],
            &[],
        )
        .unwrap();
        idx.commit(7).unwrap();
        idx
    }

    fn search(idx: &SearchIndex, text: &str) -> SearchResults {
        idx.search(&SearchQuery {
            text: text.into(),
            limit: 10,
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn finds_inflected_forms() {
        let idx = sample();
        for q in ["perbaikan", "perbaikan jalan", "diperbaiki", "memperbaiki"] {
            let r = search(&idx, q);
            assert_eq!(r.total, 1, "{q}");
            assert_eq!(r.hits[0].url, "/content:1");
        }
        assert_eq!(search(&idx, "dibangun").hits[0].url, "/content:2");
        assert_eq!(idx.cursor().unwrap(), Some(7));
    }

    #[test]
    fn tolerates_a_typo() {
        let idx = sample();
        let r = search(&idx, "kerobokkan");
        assert_eq!(r.total, 1);
        assert_eq!(r.hits[0].url, "/content:1");
        assert_eq!(search(&idx, "penerangn").hits[0].url, "/request:BDG-1");
        assert_eq!(search(&idx, "zzzzqqq").total, 0);
    }

    #[test]
    fn every_word_must_match() {
        let idx = sample();
        assert_eq!(search(&idx, "lampu pasar").total, 1);
        assert_eq!(search(&idx, "lampu kerobokan").total, 0);
    }

    #[test]
    fn facets_and_filters() {
        let idx = sample();
        let r = search(&idx, "pasar");
        assert_eq!(r.total, 2);
        assert!(r.facets.kind.contains(&("laporan".into(), 1)));
        assert!(r.facets.kind.contains(&("agenda".into(), 1)));
        assert_eq!(r.facets.kecamatan, vec![("51.03.01".to_string(), 2)]);
        let r = idx
            .search(&SearchQuery {
                text: "pasar".into(),
                kind: Some(DocKind::Agenda),
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(r.total, 1);
        assert_eq!(r.hits[0].kind, DocKind::Agenda);
        let r = idx
            .search(&SearchQuery {
                unit: Some("dpupr".into()),
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(r.total, 1);
    }

    #[test]
    fn snippets_highlight_and_escape() {
        let idx = SearchIndex::in_memory().unwrap();
        idx.stage(
            &[doc(
                "content:9",
                DocKind::Berita,
                "Perbaikan <b>saluran</b>",
                "Saluran air <script>x</script> diperbaiki warga.",
                "dpupr",
                "51.03.02",
            )],
            &[],
        )
        .unwrap();
        idx.commit(1).unwrap();
        let r = search(&idx, "perbaikan");
        let h = &r.hits[0];
        assert!(
            h.snippet_html.contains("<b>diperbaiki</b>"),
            "{}",
            h.snippet_html
        );
        assert!(!h.snippet_html.contains("<script>"), "{}", h.snippet_html);
        assert!(
            h.title_html.contains("<b>Perbaikan</b>"),
            "{}",
            h.title_html
        );
        assert!(
            h.title_html.contains("&lt;b&gt;saluran"),
            "{}",
            h.title_html
        );
    }

    #[test]
    fn replacing_and_removing() {
        let idx = sample();
        let mut d = doc(
            "content:1",
            DocKind::Berita,
            "Judul baru",
            "isi",
            "dpupr",
            "51.03.02",
        );
        d.body = "trotoar".into();
        idx.stage(&[d], &["request:BDG-1".into()]).unwrap();
        idx.commit(8).unwrap();
        assert_eq!(search(&idx, "kerobokan").total, 0);
        assert_eq!(search(&idx, "trotoar").total, 1);
        assert_eq!(search(&idx, "lampu").total, 0);
        assert_eq!(idx.num_docs(), 2);
    }

    #[test]
    fn reopens_with_its_cursor() {
        let dir = tempfile::tempdir().unwrap();
        {
            let idx = SearchIndex::open(dir.path()).unwrap();
            assert_eq!(idx.cursor().unwrap(), None);
            idx.stage(
                &[doc(
                    "unit:1",
                    DocKind::Unit,
                    "Dinas Kesehatan",
                    "",
                    "dinkes",
                    "51.03.01",
                )],
                &[],
            )
            .unwrap();
            idx.commit(42).unwrap();
        }
        let idx = SearchIndex::open(dir.path()).unwrap();
        assert_eq!(idx.cursor().unwrap(), Some(42));
        assert_eq!(search(&idx, "kesehatan").total, 1);
    }
}
