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
mod tests;
