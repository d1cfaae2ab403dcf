//! The demo's outside agencies (issue 21, "no wrong door"): where a Badung request that is not
//! the regency's authority goes. Names and websites are the real bodies'; email addresses and
//! phone numbers are placeholders on a demo domain, never real contacts.

use kotapintar_domain::agency::AgencyInput;
use kotapintar_storage::audit::AuditActor;
use kotapintar_storage::{agencies, Store};

/// (name, kind, email, website)
const AGENCIES: &[(&str, &str, &str, &str)] = &[
    (
        "Pemerintah Provinsi Bali",
        "provinsi",
        "pengaduan@baliprov.demo.id",
        "https://www.baliprov.go.id",
    ),
    (
        "PLN UP3 Bali Selatan",
        "bumn",
        "up3-balisel@pln.demo.id",
        "https://web.pln.co.id",
    ),
    (
        "Perumda Air Minum Tirta Mangutama (PDAM Badung)",
        "bumd",
        "pelanggan@tirtamangutama.demo.id",
        "",
    ),
    (
        "Kantor Pertanahan (BPN) Kabupaten Badung",
        "instansi_vertikal",
        "kantah-badung@atrbpn.demo.id",
        "https://www.atrbpn.go.id",
    ),
    (
        "Polres Badung",
        "instansi_vertikal",
        "spkt@polresbadung.demo.id",
        "https://www.polri.go.id",
    ),
    (
        "Balai Pelaksanaan Jalan Nasional (BPJN) Bali",
        "instansi_vertikal",
        "bpjn-bali@pu.demo.id",
        "https://binamarga.pu.go.id",
    ),
];

/// Adds the agencies not there yet; how many were added.
pub async fn load_agencies(store: &Store, system: &AuditActor) -> anyhow::Result<usize> {
    let mut drafts = Vec::new();
    for (name, kind, email, website) in AGENCIES {
        let input = AgencyInput {
            name: (*name).into(),
            kind: (*kind).into(),
            email: (*email).into(),
            phone: "0361 000000".into(),
            website: (*website).into(),
            active: Some("on".into()),
        };
        drafts.push(
            input
                .parse()
                .map_err(|e| anyhow::anyhow!("demo agency {name}: {e}"))?,
        );
    }
    Ok(agencies::seed(store, system, drafts).await?)
}
