//! The public-satisfaction survey (SKM, Survei Kepuasan Masyarakat) and its index (IKM, Indeks
//! Kepuasan Masyarakat), as PermenPANRB 14/2017 defines them.
//!
//! Every respondent rates nine unsur (elements of the service) on a scale of 1 to 4. Per unsur,
//! the NRR (nilai rata-rata, the mean score) is the sum of its answers divided by the number of
//! answers it got. The index on the 1–4 scale is the mean of the NRRs, i.e. Σ NRR × 1/9 when all
//! nine were answered; the converted value on the 25–100 scale (the one that is published) is
//! that × 25, and it falls into a mutu (quality grade) A–D.
//!
//! Two decisions the regulation leaves open, made here on purpose:
//! - The weight is printed as "0,11", but it is defined as 1/9. [`WeightMode::Exact`] (the
//!   default) uses 1/9, so all-4 answers give 100.00; [`WeightMode::Literal011`] reproduces
//!   reports made by hand with 0.11 (all-4 gives 99.00).
//! - The arithmetic is exact (integers and fractions, no floating point), and only the final
//!   converted value is rounded, to 2 decimals, half up. Rounding NRRs on the way, or using
//!   `f64`, moves values like 25.625 to the wrong side, and the grade boundaries are exactly
//!   such 2-decimal values.
//!
//! Answers are keyed by the unsur code (`U1`..`U9`), never by their position on a form: printed
//! questionnaires disagree on whether complaints handling or facilities comes eighth.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize, Serializer};

/// One of the nine unsur of the SKM, in the regulation's order. `Ord` follows that order, so
/// maps keyed by `Unsur` list U1 first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub enum Unsur {
    /// U1 Persyaratan.
    Requirements,
    /// U2 Sistem, Mekanisme, dan Prosedur.
    Procedure,
    /// U3 Waktu Penyelesaian.
    CompletionTime,
    /// U4 Biaya/Tarif.
    Cost,
    /// U5 Produk Spesifikasi Jenis Pelayanan.
    ServiceProduct,
    /// U6 Kompetensi Pelaksana.
    StaffCompetence,
    /// U7 Perilaku Pelaksana.
    StaffBehaviour,
    /// U8 Penanganan Pengaduan, Saran dan Masukan.
    ComplaintHandling,
    /// U9 Sarana dan Prasarana.
    Facilities,
}

impl Unsur {
    pub const ALL: [Unsur; 9] = [
        Self::Requirements,
        Self::Procedure,
        Self::CompletionTime,
        Self::Cost,
        Self::ServiceProduct,
        Self::StaffCompetence,
        Self::StaffBehaviour,
        Self::ComplaintHandling,
        Self::Facilities,
    ];

    /// The stable code, `U1`..`U9`: what answers are stored under and what form fields are
    /// named. Never renumber.
    pub fn code(self) -> &'static str {
        match self {
            Self::Requirements => "U1",
            Self::Procedure => "U2",
            Self::CompletionTime => "U3",
            Self::Cost => "U4",
            Self::ServiceProduct => "U5",
            Self::StaffCompetence => "U6",
            Self::StaffBehaviour => "U7",
            Self::ComplaintHandling => "U8",
            Self::Facilities => "U9",
        }
    }

    /// Parses a code (`U1`..`U9`, surrounding spaces and letter case ignored).
    pub fn parse(code: &str) -> Result<Self, &'static str> {
        let code = code.trim();
        Self::ALL
            .into_iter()
            .find(|u| u.code().eq_ignore_ascii_case(code))
            .ok_or("invalid_unsur")
    }

    /// The unsur's name in the regulation.
    pub fn name_id(self) -> &'static str {
        match self {
            Self::Requirements => "Persyaratan",
            Self::Procedure => "Sistem, Mekanisme, dan Prosedur",
            Self::CompletionTime => "Waktu Penyelesaian",
            Self::Cost => "Biaya/Tarif",
            Self::ServiceProduct => "Produk Spesifikasi Jenis Pelayanan",
            Self::StaffCompetence => "Kompetensi Pelaksana",
            Self::StaffBehaviour => "Perilaku Pelaksana",
            Self::ComplaintHandling => "Penanganan Pengaduan, Saran dan Masukan",
            Self::Facilities => "Sarana dan Prasarana",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Self::Requirements => "Requirements",
            Self::Procedure => "Systems, mechanisms and procedures",
            Self::CompletionTime => "Completion time",
            Self::Cost => "Cost/tariff",
            Self::ServiceProduct => "Service product specification",
            Self::StaffCompetence => "Staff competence",
            Self::StaffBehaviour => "Staff behaviour",
            Self::ComplaintHandling => "Handling of complaints, suggestions and feedback",
            Self::Facilities => "Facilities and infrastructure",
        }
    }

    /// The question as the standard questionnaire words it.
    pub fn question_id(self) -> &'static str {
        match self {
            Self::Requirements => {
                "Bagaimana pendapat Saudara tentang kesesuaian persyaratan pelayanan dengan jenis pelayanannya?"
            }
            Self::Procedure => {
                "Bagaimana pemahaman Saudara tentang kemudahan prosedur pelayanan di unit ini?"
            }
            Self::CompletionTime => {
                "Bagaimana pendapat Saudara tentang kecepatan waktu dalam memberikan pelayanan?"
            }
            Self::Cost => "Bagaimana pendapat Saudara tentang kewajaran biaya/tarif dalam pelayanan?",
            Self::ServiceProduct => {
                "Bagaimana pendapat Saudara tentang kesesuaian produk pelayanan antara yang tercantum dalam standar pelayanan dengan hasil yang diberikan?"
            }
            Self::StaffCompetence => {
                "Bagaimana pendapat Saudara tentang kompetensi/kemampuan petugas dalam pelayanan?"
            }
            Self::StaffBehaviour => {
                "Bagaimana pendapat Saudara tentang perilaku petugas dalam pelayanan terkait kesopanan dan keramahan?"
            }
            Self::ComplaintHandling => {
                "Bagaimana pendapat Saudara tentang penanganan pengaduan pengguna layanan?"
            }
            Self::Facilities => "Bagaimana pendapat Saudara tentang kualitas sarana dan prasarana?",
        }
    }

    pub fn question_en(self) -> &'static str {
        match self {
            Self::Requirements => {
                "How well do the requirements for this service match the kind of service it is?"
            }
            Self::Procedure => "How easy is the service procedure at this unit?",
            Self::CompletionTime => "How quickly was the service delivered?",
            Self::Cost => "How fair is the cost or fee of the service?",
            Self::ServiceProduct => {
                "How well does what you received match what the service standard promises?"
            }
            Self::StaffCompetence => "How competent are the staff in delivering the service?",
            Self::StaffBehaviour => {
                "How polite and friendly are the staff in delivering the service?"
            }
            Self::ComplaintHandling => "How are complaints from service users handled?",
            Self::Facilities => "What is the quality of the facilities and infrastructure?",
        }
    }

    /// The four answers, for scores 1, 2, 3 and 4. They differ per unsur; for Biaya/Tarif the
    /// cheapest is best, so "Gratis" (free) is 4.
    pub fn answer_labels_id(self) -> [&'static str; 4] {
        match self {
            Self::Requirements | Self::ServiceProduct => {
                ["Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"]
            }
            Self::Procedure => ["Tidak mudah", "Kurang mudah", "Mudah", "Sangat mudah"],
            Self::CompletionTime => ["Tidak cepat", "Kurang cepat", "Cepat", "Sangat cepat"],
            Self::Cost => ["Sangat mahal", "Cukup mahal", "Murah", "Gratis"],
            Self::StaffCompetence => [
                "Tidak kompeten",
                "Kurang kompeten",
                "Kompeten",
                "Sangat kompeten",
            ],
            Self::StaffBehaviour => [
                "Tidak sopan dan ramah",
                "Kurang sopan dan ramah",
                "Sopan dan ramah",
                "Sangat sopan dan ramah",
            ],
            Self::ComplaintHandling => [
                "Tidak ada",
                "Ada tetapi tidak berfungsi",
                "Berfungsi kurang maksimal",
                "Dikelola dengan baik",
            ],
            Self::Facilities => ["Buruk", "Cukup", "Baik", "Sangat baik"],
        }
    }

    pub fn answer_labels_en(self) -> [&'static str; 4] {
        match self {
            Self::Requirements | Self::ServiceProduct => [
                "Not suitable",
                "Not quite suitable",
                "Suitable",
                "Very suitable",
            ],
            Self::Procedure => ["Not easy", "Not quite easy", "Easy", "Very easy"],
            Self::CompletionTime => ["Not fast", "Not quite fast", "Fast", "Very fast"],
            Self::Cost => ["Very expensive", "Fairly expensive", "Cheap", "Free"],
            Self::StaffCompetence => [
                "Not competent",
                "Not quite competent",
                "Competent",
                "Very competent",
            ],
            Self::StaffBehaviour => [
                "Not polite and friendly",
                "Not quite polite and friendly",
                "Polite and friendly",
                "Very polite and friendly",
            ],
            Self::ComplaintHandling => [
                "None exists",
                "Exists but does not work",
                "Works, but not fully",
                "Well managed",
            ],
            Self::Facilities => ["Poor", "Fair", "Good", "Very good"],
        }
    }

    pub fn answer_label_id(self, score: Score) -> &'static str {
        self.answer_labels_id()[score.index()]
    }

    pub fn answer_label_en(self, score: Score) -> &'static str {
        self.answer_labels_en()[score.index()]
    }
}

impl From<Unsur> for &'static str {
    fn from(u: Unsur) -> Self {
        u.code()
    }
}

impl TryFrom<String> for Unsur {
    type Error = &'static str;
    fn try_from(code: String) -> Result<Self, Self::Error> {
        Self::parse(&code)
    }
}

impl fmt::Display for Unsur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One answer: 1 (worst) to 4 (best).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "u8", try_from = "u8")]
pub struct Score(u8);

impl Score {
    pub const MIN: Score = Score(1);
    pub const MAX: Score = Score(4);

    /// From a form value: exactly one of `1`, `2`, `3`, `4` (spaces around it ignored). An
    /// empty value is `required`, anything else `invalid_score` (including `4.0` and `+4`:
    /// a radio button sends only the digit, so anything else is not from our form).
    pub fn parse(value: &str) -> Result<Self, &'static str> {
        match value.trim() {
            "" => Err("required"),
            "1" => Ok(Score(1)),
            "2" => Ok(Score(2)),
            "3" => Ok(Score(3)),
            "4" => Ok(Score(4)),
            _ => Err("invalid_score"),
        }
    }

    pub fn from_int(value: i64) -> Result<Self, &'static str> {
        match u8::try_from(value) {
            Ok(v @ 1..=4) => Ok(Score(v)),
            _ => Err("invalid_score"),
        }
    }

    pub fn value(self) -> u8 {
        self.0
    }

    fn index(self) -> usize {
        usize::from(self.0 - 1)
    }
}

impl From<Score> for u8 {
    fn from(s: Score) -> Self {
        s.0
    }
}

impl TryFrom<u8> for Score {
    type Error = &'static str;
    fn try_from(value: u8) -> Result<Self, Self::Error> {
        Self::from_int(i64::from(value))
    }
}

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A problem with one answer field. `field` is the unsur code as sent (`U4`), `code` a message
/// key: `required`, `invalid_score`, `invalid_unsur`, `duplicate_answer`. Shaped like the
/// crate's `FieldError`, so the web layer can copy these over one by one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnswerError {
    pub field: String,
    pub code: &'static str,
}

/// One respondent's answers. An unsur may be missing (an answer left blank on a paper form,
/// or Biaya/Tarif for someone who paid nothing through BPJS); the index copes with that.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyResponse {
    pub answers: BTreeMap<Unsur, Score>,
}

impl SurveyResponse {
    /// Parses answers given as (unsur code, value) pairs, e.g. `("U4", "3")`. A blank value
    /// means "not answered" and is left out. Every problem is reported, not only the first:
    /// an unknown code (`invalid_unsur`), the same unsur twice (`duplicate_answer`, also for
    /// `U1` and `u1`), a value that is not 1–4 (`invalid_score`). Pass only the answer
    /// fields, not the rest of a form.
    pub fn parse<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Result<Self, Vec<AnswerError>>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let (response, errors) = Self::parse_all(pairs);
        if errors.is_empty() {
            Ok(response)
        } else {
            Err(errors)
        }
    }

    /// Parses a response from the public form, where all nine answers are required: as
    /// [`parse`](Self::parse), plus `required` for every unsur that is missing or blank.
    /// Errors come in unsur order (U1 first), then those about codes that are not unsur.
    pub fn parse_complete<K, V>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self, Vec<AnswerError>>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let (response, mut errors) = Self::parse_all(pairs);
        for unsur in Unsur::ALL {
            let has_error = errors.iter().any(|e| Unsur::parse(&e.field) == Ok(unsur));
            if !has_error && !response.answers.contains_key(&unsur) {
                errors.push(AnswerError {
                    field: unsur.code().to_owned(),
                    code: "required",
                });
            }
        }
        // Unsur order first, unknown codes last, so the form's error summary reads top-down.
        errors.sort_by_key(|e| Unsur::parse(&e.field).map_or(Unsur::ALL.len(), |u| u as usize));
        if errors.is_empty() {
            Ok(response)
        } else {
            Err(errors)
        }
    }

    /// The answers that parsed, and the problems with the others.
    fn parse_all<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> (Self, Vec<AnswerError>)
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut answers = BTreeMap::new();
        let mut seen = Vec::new();
        let mut errors = Vec::new();
        for (code, value) in pairs {
            let (code, value) = (code.as_ref(), value.as_ref());
            let error = |c| AnswerError {
                field: code.trim().to_owned(),
                code: c,
            };
            let unsur = match Unsur::parse(code) {
                Ok(u) => u,
                Err(c) => {
                    errors.push(error(c));
                    continue;
                }
            };
            if seen.contains(&unsur) {
                errors.push(error("duplicate_answer"));
                continue;
            }
            seen.push(unsur);
            match Score::parse(value) {
                Ok(score) => {
                    answers.insert(unsur, score);
                }
                // Blank: not answered, which only the complete form refuses.
                Err("required") => {}
                Err(c) => errors.push(error(c)),
            }
        }
        (Self { answers }, errors)
    }

    pub fn get(&self, unsur: Unsur) -> Option<Score> {
        self.answers.get(&unsur).copied()
    }

    pub fn is_complete(&self) -> bool {
        self.answers.len() == Unsur::ALL.len()
    }
}

/// The weight (nilai penimbang) applied to each NRR.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightMode {
    /// 1/9 exactly, as the regulation defines it (1 / number of unsur).
    #[default]
    Exact,
    /// 0.11, as the regulation prints it, for parity with reports computed by hand. Equal to
    /// the exact result × 0.99 (9 × 0.11), so all-4 answers give 99.00. When fewer than nine
    /// unsur were answered we keep that ratio: the mean NRR × 9 × 0.11.
    #[serde(rename = "literal_0_11")]
    Literal011,
}

/// The converted index (nilai interval konversi, 25.00–100.00), held exactly as a whole number
/// of hundredths so comparisons with grade boundaries are exact. Shown as `91.48`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConvertedScore(u32);

impl ConvertedScore {
    pub fn from_hundredths(hundredths: u32) -> Self {
        Self(hundredths)
    }

    pub fn hundredths(self) -> u32 {
        self.0
    }

    pub fn mutu(self) -> Mutu {
        Mutu::from_converted(self)
    }
}

impl fmt::Display for ConvertedScore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// In JSON as a number with two decimals (`91.48`); dividing by 100 in `f64` gives the nearest
/// double, which serde_json prints as the shortest text that reads back the same.
impl Serialize for ConvertedScore {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(f64::from(self.0) / 100.0)
    }
}

/// The quality grade (mutu pelayanan) and the unit's performance (kinerja unit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Mutu {
    A,
    B,
    C,
    D,
}

impl Mutu {
    /// Half-open ranges on the 2-decimal converted value, so there are no gaps between the
    /// printed bands (25.00–64.99, 65.00–76.60, 76.61–88.30, 88.31–100.00).
    pub fn from_converted(value: ConvertedScore) -> Self {
        let h = value.hundredths();
        if h < 6500 {
            Self::D
        } else if h < 7661 {
            Self::C
        } else if h < 8831 {
            Self::B
        } else {
            Self::A
        }
    }

    pub fn letter(self) -> &'static str {
        match self {
            Self::A => "A",
            Self::B => "B",
            Self::C => "C",
            Self::D => "D",
        }
    }

    /// The kinerja unit pelayanan as the regulation names it.
    pub fn label_id(self) -> &'static str {
        match self {
            Self::A => "Sangat baik",
            Self::B => "Baik",
            Self::C => "Kurang baik",
            Self::D => "Tidak baik",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Self::A => "Very good",
            Self::B => "Good",
            Self::C => "Less than good",
            Self::D => "Not good",
        }
    }
}

impl fmt::Display for Mutu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.letter())
    }
}

/// One unsur's result: its NRR (for display; the index is computed from `sum` and `count`
/// exactly) and how many answers it got.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnsurNrr {
    pub unsur: Unsur,
    pub nrr: f64,
    pub count: u64,
    pub sum: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IkmResult {
    /// Responses with at least one answer.
    pub respondents: u64,
    pub mode: WeightMode,
    /// The unsur that got at least one answer, in unsur order.
    pub per_unsur: Vec<UnsurNrr>,
    /// The index on the 1–4 scale (for display; unrounded `f64`). The converted value and the
    /// grade do not derive from this float.
    pub index_1_4: f64,
    /// The index on the 25–100 scale, rounded half up to 2 decimals: the published IKM.
    pub converted: ConvertedScore,
    pub mutu: Mutu,
}

/// Computes the IKM of a set of responses (one unit, one period).
///
/// NRR per unsur = sum of its answers / number of its answers; index = Σ NRR / number of unsur
/// with any answer (= Σ NRR × 1/9 when all nine have answers); converted = index × 25. An
/// unsur nobody answered is left out of both the sum and the count rather than counted as 0.
/// Responses without any answer are ignored. `None` when there is no answer at all.
pub fn compute<'a>(
    responses: impl IntoIterator<Item = &'a SurveyResponse>,
    mode: WeightMode,
) -> Option<IkmResult> {
    let mut totals: BTreeMap<Unsur, (u64, u64)> = BTreeMap::new();
    let mut respondents = 0u64;
    for response in responses {
        if response.answers.is_empty() {
            continue;
        }
        respondents += 1;
        for (&unsur, &score) in &response.answers {
            let (sum, count) = totals.entry(unsur).or_insert((0, 0));
            *sum += u64::from(score.value());
            *count += 1;
        }
    }
    compute_from_totals(&totals, respondents, mode)
}

/// The IKM from per-unsur totals (sum of answers, number of answers) and the number of
/// respondents, as kept by running aggregates: the same result as [`compute`] over the
/// responses the totals were summed from. `None` when no unsur has an answer.
pub fn compute_from_totals(
    totals: &BTreeMap<Unsur, (u64, u64)>,
    respondents: u64,
    mode: WeightMode,
) -> Option<IkmResult> {
    let totals: BTreeMap<Unsur, (u64, u64)> = totals
        .iter()
        .filter(|(_, &(_, count))| count > 0)
        .map(|(&u, &t)| (u, t))
        .collect();
    if totals.is_empty() {
        return None;
    }

    let terms: Vec<(u64, u64)> = totals.values().copied().collect();
    let converted = ConvertedScore(converted_hundredths(&terms, mode));
    let per_unsur: Vec<UnsurNrr> = totals
        .iter()
        .map(|(&unsur, &(sum, count))| UnsurNrr {
            unsur,
            nrr: sum as f64 / count as f64,
            count,
            sum,
        })
        .collect();
    let mean_nrr = per_unsur.iter().map(|u| u.nrr).sum::<f64>() / per_unsur.len() as f64;
    let index_1_4 = match mode {
        WeightMode::Exact => mean_nrr,
        WeightMode::Literal011 => mean_nrr * 0.99,
    };
    Some(IkmResult {
        respondents,
        mode,
        per_unsur,
        index_1_4,
        converted,
        mutu: converted.mutu(),
    })
}

/// round_half_up(F × Σ (sum_i / count_i) / m) for m = `terms.len()`, with F = 2 500 (25 × 100,
/// the conversion and hundredths) or 2 475 (the same × 0.99 for the printed weight 0.11).
///
/// Exact for any counts. Each term is split into a whole part and a proper fraction r/d; the
/// fractions sum to less than m ≤ 9, so rounding only needs to know for which j their sum
/// reaches j − ½. That comparison is done on the common denominator, which with nine different
/// counts can exceed 128 bits, hence the small [`Big`].
fn converted_hundredths(terms: &[(u64, u64)], mode: WeightMode) -> u32 {
    let factor: u128 = match mode {
        WeightMode::Exact => 2500,
        WeightMode::Literal011 => 2475,
    };
    let m = terms.len() as u128;
    // Terms with the same denominator share one fraction; with complete responses all do.
    let mut by_denominator: BTreeMap<u128, u128> = BTreeMap::new();
    for &(sum, count) in terms {
        if count == 0 {
            continue;
        }
        *by_denominator.entry(m * u128::from(count)).or_insert(0) += factor * u128::from(sum);
    }
    let mut whole: u128 = 0;
    let mut fractions: Vec<(u128, u128)> = Vec::new();
    for (denominator, numerator) in by_denominator {
        whole += numerator / denominator;
        let rest = numerator % denominator;
        if rest != 0 {
            let g = gcd(rest, denominator);
            fractions.push((rest / g, denominator / g));
        }
    }

    // Σ r_i/d_i ≥ j − ½  ⇔  2 · Σ r_i · Π_{l≠i} d_l ≥ (2j − 1) · Π d_l.
    let product = fractions
        .iter()
        .fold(Big::from_u128(1), |p, &(_, d)| p.mul(&Big::from_u128(d)));
    let twice_sum = fractions
        .iter()
        .enumerate()
        .map(|(i, &(r, _))| {
            fractions
                .iter()
                .enumerate()
                .filter(|&(l, _)| l != i)
                .fold(Big::from_u128(2 * r), |p, (_, &(_, d))| {
                    p.mul(&Big::from_u128(d))
                })
        })
        .fold(Big::from_u128(0), |acc, term| acc.add(&term));
    let round_up = (1..=fractions.len() as u128)
        .take_while(|j| twice_sum.cmp(&product.mul(&Big::from_u128(2 * j - 1))) != Ordering::Less)
        .count() as u128;

    u32::try_from(whole + round_up).unwrap_or(u32::MAX)
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Just enough of an unsigned big integer for [`converted_hundredths`]: little-endian 32-bit
/// limbs, multiplication, addition and comparison.
#[derive(Debug, Clone)]
struct Big(Vec<u32>);

impl Big {
    fn from_u128(mut value: u128) -> Self {
        let mut limbs = Vec::new();
        while value > 0 {
            limbs.push((value & 0xffff_ffff) as u32);
            value >>= 32;
        }
        Self(limbs)
    }

    fn mul(&self, other: &Big) -> Big {
        let mut out = vec![0u32; self.0.len() + other.0.len()];
        for (i, &a) in self.0.iter().enumerate() {
            let mut carry = 0u64;
            for (j, &b) in other.0.iter().enumerate() {
                // At most (2^32−1)² + 2·(2^32−1) = 2^64 − 1: no overflow.
                let t = u64::from(a) * u64::from(b) + u64::from(out[i + j]) + carry;
                out[i + j] = (t & 0xffff_ffff) as u32;
                carry = t >> 32;
            }
            // Row i has not touched this limb yet and earlier rows ended below it.
            out[i + other.0.len()] = carry as u32;
        }
        Big(out).trimmed()
    }

    fn add(&self, other: &Big) -> Big {
        let len = self.0.len().max(other.0.len()) + 1;
        let mut out = Vec::with_capacity(len);
        let mut carry = 0u64;
        for i in 0..len {
            let a = self.0.get(i).copied().map_or(0, u64::from);
            let b = other.0.get(i).copied().map_or(0, u64::from);
            let t = a + b + carry;
            out.push((t & 0xffff_ffff) as u32);
            carry = t >> 32;
        }
        Big(out).trimmed()
    }

    fn cmp(&self, other: &Big) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }

    fn trimmed(mut self) -> Self {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hundredths(terms: &[(u64, u64)], mode: WeightMode) -> String {
        ConvertedScore(converted_hundredths(terms, mode)).to_string()
    }

    /// `n` complete responses with every answer `score`.
    fn uniform(n: usize, score: u8) -> Vec<SurveyResponse> {
        let answers: BTreeMap<_, _> = Unsur::ALL.into_iter().map(|u| (u, Score(score))).collect();
        vec![SurveyResponse { answers }; n]
    }

    /// `respondents` complete responses whose 9 × `respondents` answers are `fours` 4s and the
    /// rest `rest`, handed out in order. Only the total matters when all counts are equal.
    fn with_total(respondents: usize, fours: usize, rest: u8) -> Vec<SurveyResponse> {
        let mut k = 0;
        (0..respondents)
            .map(|_| {
                let answers = Unsur::ALL
                    .into_iter()
                    .map(|u| {
                        let score = if k < fours { 4 } else { rest };
                        k += 1;
                        (u, Score(score))
                    })
                    .collect();
                SurveyResponse { answers }
            })
            .collect()
    }

    fn response(pairs: &[(&str, &str)]) -> SurveyResponse {
        SurveyResponse::parse(pairs.iter().copied()).unwrap()
    }

    #[test]
    fn unsur_codes_are_stable_and_round_trip() {
        let codes: Vec<_> = Unsur::ALL.iter().map(|u| u.code()).collect();
        assert_eq!(
            codes,
            ["U1", "U2", "U3", "U4", "U5", "U6", "U7", "U8", "U9"]
        );
        for u in Unsur::ALL {
            assert_eq!(Unsur::parse(u.code()), Ok(u));
        }
        assert_eq!(Unsur::parse(" u4 "), Ok(Unsur::Cost));
        assert_eq!(Unsur::parse("U10"), Err("invalid_unsur"));
        assert_eq!(Unsur::parse("4"), Err("invalid_unsur"));
        assert_eq!(
            Unsur::ComplaintHandling.name_id(),
            "Penanganan Pengaduan, Saran dan Masukan"
        );
        assert_eq!(Unsur::Facilities.name_id(), "Sarana dan Prasarana");
        assert_eq!(serde_json::to_string(&Unsur::Cost).unwrap(), r#""U4""#);
        assert_eq!(
            serde_json::from_str::<Unsur>(r#""U9""#).unwrap(),
            Unsur::Facilities
        );
        assert!(serde_json::from_str::<Unsur>(r#""U0""#).is_err());
    }

    #[test]
    fn answer_labels_follow_the_unsur_not_the_position() {
        assert_eq!(
            Unsur::Cost.answer_labels_id(),
            ["Sangat mahal", "Cukup mahal", "Murah", "Gratis"]
        );
        assert_eq!(Unsur::Cost.answer_label_en(Score(4)), "Free");
        // U8 is complaints handling and U9 facilities, whatever order a paper form used.
        assert_eq!(
            Unsur::ComplaintHandling.answer_label_id(Score(1)),
            "Tidak ada"
        );
        assert_eq!(
            Unsur::ComplaintHandling.answer_label_id(Score(4)),
            "Dikelola dengan baik"
        );
        assert_eq!(Unsur::Facilities.answer_label_id(Score(1)), "Buruk");
        assert_eq!(
            Unsur::StaffBehaviour.answer_label_id(Score(3)),
            "Sopan dan ramah"
        );
        for u in Unsur::ALL {
            assert!(u.question_id().starts_with("Bagaimana"));
            assert!(u.question_en().ends_with('?'));
            assert!(u.answer_labels_id().iter().all(|l| !l.is_empty()));
            assert!(u.answer_labels_en().iter().all(|l| !l.is_empty()));
        }
    }

    #[test]
    fn scores_are_one_to_four() {
        assert_eq!(Score::parse("1").map(Score::value), Ok(1));
        assert_eq!(Score::parse(" 4 ").map(Score::value), Ok(4));
        assert_eq!(Score::parse(""), Err("required"));
        assert_eq!(Score::parse("  "), Err("required"));
        for bad in ["0", "5", "-1", "+4", "4.0", "04", "empat", "1 2"] {
            assert_eq!(Score::parse(bad), Err("invalid_score"), "{bad}");
        }
        assert_eq!(Score::from_int(3).map(Score::value), Ok(3));
        for bad in [0, 5, -4, 260, i64::MAX] {
            assert_eq!(Score::from_int(bad), Err("invalid_score"), "{bad}");
        }
        assert_eq!(serde_json::from_str::<Score>("2").unwrap(), Score(2));
        assert!(serde_json::from_str::<Score>("7").is_err());
    }

    #[test]
    fn a_complete_form_parses() {
        let pairs: Vec<(String, String)> = Unsur::ALL
            .iter()
            .map(|u| (u.code().to_owned(), "3".to_owned()))
            .collect();
        let r = SurveyResponse::parse_complete(pairs).unwrap();
        assert!(r.is_complete());
        assert_eq!(r.get(Unsur::Cost), Some(Score(3)));
        assert_eq!(
            serde_json::to_string(&response(&[("U4", "4"), ("U1", "2")])).unwrap(),
            r#"{"answers":{"U1":2,"U4":4}}"#
        );
        let back: SurveyResponse = serde_json::from_str(r#"{"answers":{"U4":4,"U1":2}}"#).unwrap();
        assert_eq!(back, response(&[("U1", "2"), ("U4", "4")]));
        assert!(serde_json::from_str::<SurveyResponse>(r#"{"answers":{"U1":5}}"#).is_err());
    }

    #[test]
    fn form_errors_are_per_unsur() {
        let errors = SurveyResponse::parse_complete([
            ("U1", "4"),
            ("U2", "5"),
            ("U3", ""),
            ("U4", "3"),
            ("U5", "3"),
            ("U6", "3"),
            ("U7", "3"),
            ("U9", "abc"),
            ("U10", "3"),
            ("U4", "2"),
        ])
        .unwrap_err();
        let got: Vec<_> = errors.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            got,
            [
                ("U2", "invalid_score"),
                ("U3", "required"),
                ("U4", "duplicate_answer"),
                ("U8", "required"),
                ("U9", "invalid_score"),
                ("U10", "invalid_unsur"),
            ]
        );
        let none: [(&str, &str); 0] = [];
        let errors = SurveyResponse::parse_complete(none).unwrap_err();
        assert_eq!(errors.len(), 9);
        assert!(errors.iter().all(|e| e.code == "required"));
        assert_eq!(errors[0].field, "U1");
    }

    #[test]
    fn partial_responses_skip_blank_answers() {
        let r = SurveyResponse::parse([("U1", "4"), ("U4", " "), ("u9", "2")]).unwrap();
        assert_eq!(r.answers.len(), 2);
        assert_eq!(r.get(Unsur::Cost), None);
        assert_eq!(r.get(Unsur::Facilities), Some(Score(2)));
        assert!(!r.is_complete());
        let errors = SurveyResponse::parse([("U1", "4"), ("u1", "3")]).unwrap_err();
        assert_eq!(errors[0].code, "duplicate_answer");
    }

    #[test]
    fn the_reference_worked_check() {
        // Σ NRR = 32.9311 (nine unsur): exact 32.9311 / 9 × 25 = 91.47527… → 91.48;
        // with 0.11: 32.9311 × 0.11 × 25 = 90.560525 → 90.56. As terms: eight NRRs of
        // 366/100 = 3.66 (29.28) and 36511/10000 = 3.6511.
        let mut terms = vec![(366, 100); 8];
        terms.push((36511, 10000));
        assert_eq!(hundredths(&terms, WeightMode::Exact), "91.48");
        assert_eq!(hundredths(&terms, WeightMode::Literal011), "90.56");
    }

    #[test]
    fn the_reference_worked_check_from_29_respondents() {
        // The source had 29 complete responses; 32.9311 is their Σ NRR rounded. With equal
        // counts Σ NRR = (total of all answers) / 29, and 955 / 29 = 32.93103…, so: 261
        // answers, 172 of them 4 and 89 of them 3 (688 + 267 = 955).
        // Exact: 955 / 29 / 9 × 25 = 91.47509… → 91.48, A. Literal: × 2.75 = 90.56034… → 90.56.
        let responses = with_total(29, 172, 3);
        let exact = compute(&responses, WeightMode::Exact).unwrap();
        assert_eq!(exact.respondents, 29);
        assert_eq!(exact.per_unsur.len(), 9);
        assert!(exact.per_unsur.iter().all(|u| u.count == 29));
        assert_eq!(exact.per_unsur.iter().map(|u| u.sum).sum::<u64>(), 955);
        assert!((exact.per_unsur.iter().map(|u| u.nrr).sum::<f64>() - 32.9310).abs() < 0.0001);
        assert_eq!(exact.converted.to_string(), "91.48");
        assert_eq!(exact.mutu, Mutu::A);
        let literal = compute(&responses, WeightMode::Literal011).unwrap();
        assert_eq!(literal.converted.to_string(), "90.56");
        assert_eq!(literal.mutu, Mutu::A);
    }

    #[test]
    fn all_fours_and_all_ones() {
        let best = compute(&uniform(10, 4), WeightMode::Exact).unwrap();
        assert_eq!(best.converted.to_string(), "100.00");
        assert_eq!(best.converted.hundredths(), 10000);
        assert_eq!(best.index_1_4, 4.0);
        assert_eq!(best.mutu, Mutu::A);
        // The printed 0.11 cannot reach 100: 4 × 9 × 0.11 × 25 = 99.
        let literal = compute(&uniform(10, 4), WeightMode::Literal011).unwrap();
        assert_eq!(literal.converted.to_string(), "99.00");
        assert_eq!(literal.mutu, Mutu::A);

        let worst = compute(&uniform(3, 1), WeightMode::Exact).unwrap();
        assert_eq!(worst.converted.to_string(), "25.00");
        assert_eq!(worst.mutu, Mutu::D);
        let literal = compute(&uniform(3, 1), WeightMode::Literal011).unwrap();
        assert_eq!(literal.converted.to_string(), "24.75");
    }

    #[test]
    fn three_respondents_with_unanswered_unsur() {
        //        U1 U2 U3 U4 U5 U6 U7 U8 U9
        // R1      4  3  3  4  3  4  4  -  3
        // R2      3  3  2  -  3  3  4  -  3   (no fee: BPJS patient)
        // R3      4  4  3  4  4  4  4  -  2
        // NRR: U1 11/3, U2 10/3, U3 8/3, U4 8/2 = 4, U5 10/3, U6 11/3, U7 12/3 = 4, U9 8/3;
        // U8 has no answer and is left out, so 8 unsur count.
        // Σ NRR = (11 + 10 + 8 + 10 + 11 + 12 + 8) / 3 + 4 = 70/3 + 4 = 82/3 = 27.3333…
        // index = 82/3 / 8 = 41/12 = 3.41666…; × 25 = 1025/12 = 85.41666… → 85.42, B.
        // Literal 0.11: 85.41666… × 0.99 = 84.5625 → 84.56, B.
        let responses = [
            response(&[
                ("U1", "4"),
                ("U2", "3"),
                ("U3", "3"),
                ("U4", "4"),
                ("U5", "3"),
                ("U6", "4"),
                ("U7", "4"),
                ("U9", "3"),
            ]),
            response(&[
                ("U1", "3"),
                ("U2", "3"),
                ("U3", "2"),
                ("U4", ""),
                ("U5", "3"),
                ("U6", "3"),
                ("U7", "4"),
                ("U9", "3"),
            ]),
            response(&[
                ("U1", "4"),
                ("U2", "4"),
                ("U3", "3"),
                ("U4", "4"),
                ("U5", "4"),
                ("U6", "4"),
                ("U7", "4"),
                ("U9", "2"),
            ]),
        ];
        let r = compute(&responses, WeightMode::Exact).unwrap();
        assert_eq!(r.respondents, 3);
        let table: Vec<_> = r
            .per_unsur
            .iter()
            .map(|u| (u.unsur.code(), u.sum, u.count))
            .collect();
        assert_eq!(
            table,
            [
                ("U1", 11, 3),
                ("U2", 10, 3),
                ("U3", 8, 3),
                ("U4", 8, 2),
                ("U5", 10, 3),
                ("U6", 11, 3),
                ("U7", 12, 3),
                ("U9", 8, 3),
            ]
        );
        assert_eq!(r.per_unsur[3].nrr, 4.0);
        assert!((r.index_1_4 - 41.0 / 12.0).abs() < 1e-12);
        assert_eq!(r.converted.to_string(), "85.42");
        assert_eq!(r.mutu, Mutu::B);
        let literal = compute(&responses, WeightMode::Literal011).unwrap();
        assert_eq!(literal.converted.to_string(), "84.56");
        assert_eq!(literal.mutu, Mutu::B);
    }

    #[test]
    fn ties_round_half_up_where_floats_go_wrong() {
        // 40 respondents, 9 answers of 2 and 351 of 1: total 369, Σ NRR = 369/40 = 9.225,
        // × 1/9 × 25 = 25.625 exactly → 25.63. In f64, 369/40/9*25*100 is 2562.4999…
        // and would round to 25.62.
        let naive = 369.0_f64 / 40.0 / 9.0 * 25.0 * 100.0;
        assert_eq!(naive.round(), 2562.0);
        let r = compute(&with_total(40, 0, 1), WeightMode::Exact).unwrap();
        assert_eq!(r.converted.to_string(), "25.00");
        let mut responses = with_total(40, 0, 1);
        for answer in responses
            .iter_mut()
            .take(1)
            .flat_map(|r| r.answers.values_mut())
        {
            *answer = Score(2);
        }
        let r = compute(&responses, WeightMode::Exact).unwrap();
        assert_eq!(r.per_unsur.iter().map(|u| u.sum).sum::<u64>(), 369);
        assert_eq!(r.converted.to_string(), "25.63");

        // 8 respondents, total 81: Σ NRR = 10.125, / 9 × 25 = 28.125 → 28.13 (not 28.12).
        // As terms: each unsur has 8 answers summing to 9.
        assert_eq!(hundredths(&[(9, 8); 9], WeightMode::Exact), "28.13");
        // Literal: 4 respondents, total 74: Σ NRR = 18.5, × 0.11 × 25 = 50.875 → 50.88.
        let mut terms = vec![(10, 4)];
        terms.extend([(8, 4); 8]);
        assert_eq!(hundredths(&terms, WeightMode::Literal011), "50.88");
    }

    #[test]
    fn a_tie_on_a_grade_boundary_goes_up() {
        // Σ NRR = 158949/5000 = 31.7898; / 9 × 25 = 88.305 exactly → 88.31, A (not 88.30, B).
        // As terms: eight NRRs of 7/2 = 3.5 (28) and 18949/5000 = 3.7898.
        let mut terms = vec![(7, 2); 8];
        terms.push((18949, 5000));
        let c = ConvertedScore(converted_hundredths(&terms, WeightMode::Exact));
        assert_eq!(c.to_string(), "88.31");
        assert_eq!(c.mutu(), Mutu::A);
    }

    #[test]
    fn mutu_boundaries() {
        let grade = |h| Mutu::from_converted(ConvertedScore::from_hundredths(h));
        assert_eq!(grade(2500), Mutu::D);
        assert_eq!(grade(6499), Mutu::D);
        assert_eq!(grade(6500), Mutu::C);
        assert_eq!(grade(7660), Mutu::C);
        assert_eq!(grade(7661), Mutu::B);
        assert_eq!(grade(8830), Mutu::B);
        assert_eq!(grade(8831), Mutu::A);
        assert_eq!(grade(10000), Mutu::A);
        assert_eq!(Mutu::A.label_id(), "Sangat baik");
        assert_eq!(Mutu::B.label_id(), "Baik");
        assert_eq!(Mutu::C.label_id(), "Kurang baik");
        assert_eq!(Mutu::D.label_id(), "Tidak baik");
        assert_eq!(Mutu::C.label_en(), "Less than good");
        assert_eq!(ConvertedScore::from_hundredths(6500).to_string(), "65.00");
        assert_eq!(ConvertedScore::from_hundredths(7661).to_string(), "76.61");
        assert_eq!(ConvertedScore::from_hundredths(8830).to_string(), "88.30");
        assert_eq!(ConvertedScore::from_hundredths(6499).to_string(), "64.99");
        assert_eq!(ConvertedScore::from_hundredths(2505).to_string(), "25.05");
    }

    #[test]
    fn nothing_to_compute() {
        let none: [SurveyResponse; 0] = [];
        assert_eq!(compute(&none, WeightMode::Exact), None);
        assert_eq!(
            compute(&[SurveyResponse::default()], WeightMode::Exact),
            None
        );
        // Empty responses do not count as respondents.
        let mut responses = uniform(2, 3);
        responses.push(SurveyResponse::default());
        assert_eq!(
            compute(&responses, WeightMode::Exact).unwrap().respondents,
            2
        );
    }

    #[test]
    fn one_unsur_alone_is_its_own_index() {
        // Only U4 answered, by two people (3 and 4): NRR 3.5, index 3.5, × 25 = 87.50, B.
        let responses = [response(&[("U4", "3")]), response(&[("U4", "4")])];
        let r = compute(&responses, WeightMode::Exact).unwrap();
        assert_eq!(r.converted.to_string(), "87.50");
        assert_eq!(r.mutu, Mutu::B);
    }

    #[test]
    fn exact_rounding_matches_plain_fractions() {
        // Against a straightforward i128 computation, on random small cases where its common
        // denominator cannot overflow: floor((2N + D) / 2D) with N/D = F·Σ(s/c)/m.
        let mut seed: u64 = 0x2017_0014;
        let mut next = |bound: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % bound
        };
        for _ in 0..20_000 {
            let m = 1 + next(9) as usize;
            let terms: Vec<(u64, u64)> = (0..m)
                .map(|_| {
                    let count = 1 + next(40);
                    (count + next(3 * count + 1), count)
                })
                .collect();
            for (mode, factor) in [
                (WeightMode::Exact, 2500i128),
                (WeightMode::Literal011, 2475),
            ] {
                let denominator: i128 = terms.iter().map(|&(_, c)| i128::from(c)).product();
                let sum: i128 = terms
                    .iter()
                    .map(|&(s, c)| i128::from(s) * (denominator / i128::from(c)))
                    .sum();
                let n = factor * sum;
                let d = m as i128 * denominator;
                let expected = (2 * n + d).div_euclid(2 * d);
                assert_eq!(
                    i128::from(converted_hundredths(&terms, mode)),
                    expected,
                    "{terms:?} {mode:?}"
                );
            }
        }
    }

    #[test]
    fn huge_distinct_counts_do_not_overflow() {
        // Nine different prime counts near 10^9: the common denominator is about 10^81.
        let primes = [
            999_999_937u64,
            999_999_929,
            999_999_893,
            999_999_883,
            999_999_797,
            999_999_761,
            999_999_757,
            999_999_751,
            999_999_739,
        ];
        let terms: Vec<_> = primes.iter().map(|&c| (3 * c + 7, c)).collect();
        let approx: f64 =
            terms.iter().map(|&(s, c)| s as f64 / c as f64).sum::<f64>() / 9.0 * 2500.0;
        let got = converted_hundredths(&terms, WeightMode::Exact);
        assert_eq!(got, 7500);
        assert!((f64::from(got) - approx).abs() <= 0.5);
    }

    #[test]
    fn big_integer_helpers() {
        let a = Big::from_u128(u128::MAX);
        let b = Big::from_u128(u128::MAX);
        // (2^128 − 1)² = 2^256 − 2^129 + 1: limbs 1, 0, 0, 0, 0xffff_fffe, then 0xffff_ffff ×3.
        let p = a.mul(&b);
        assert_eq!(
            p.0,
            [
                1,
                0,
                0,
                0,
                0xffff_fffe,
                0xffff_ffff,
                0xffff_ffff,
                0xffff_ffff
            ]
        );
        assert_eq!(
            Big::from_u128(u128::MAX).add(&Big::from_u128(1)).0,
            [0, 0, 0, 0, 1]
        );
        assert_eq!(Big::from_u128(5).cmp(&Big::from_u128(7)), Ordering::Less);
        assert_eq!(p.cmp(&a), Ordering::Greater);
        assert_eq!(
            Big::from_u128(0).mul(&a).cmp(&Big::from_u128(0)),
            Ordering::Equal
        );
    }

    #[test]
    fn results_serialise_for_templates_and_json() {
        let r = compute(&uniform(1, 4), WeightMode::Literal011).unwrap();
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["converted"], serde_json::json!(99.0));
        assert_eq!(json["mutu"], "A");
        assert_eq!(json["mode"], "literal_0_11");
        assert_eq!(json["per_unsur"][0]["unsur"], "U1");
        let r = compute(&with_total(29, 172, 3), WeightMode::Exact).unwrap();
        assert_eq!(serde_json::to_string(&r.converted).unwrap(), "91.48");
    }
}
