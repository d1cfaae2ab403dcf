//! Charts drawn on the server as SVG: no script, no CDN. Every chart is `role="img"` with an
//! `aria-label` that says what it shows, and the page puts a table of the same numbers
//! beside it (the accessible form; the chart is for the eye).

/// Escapes text for SVG (XML) content and attributes.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One group of bars (a year): its label and up to two values (target, actual).
pub struct Group {
    pub label: String,
    pub values: [Option<f64>; 2],
}

/// Grouped bars: the first value of each group grey (target), the second blue (actual),
/// each with its number above it.
pub fn bars(groups: &[Group], label: &str, legend: [&str; 2]) -> String {
    let w_slot = 70.0;
    let width = (groups.len().max(1) as f64 * w_slot + 20.0).max(220.0);
    let height = 170.0;
    let base = 130.0;
    let max = groups
        .iter()
        .flat_map(|g| g.values.iter().flatten())
        .fold(0.0_f64, |a, b| a.max(*b))
        .max(1.0);
    let mut s = format!(
        "<svg class=\"chart\" role=\"img\" aria-label=\"{}\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" xmlns=\"http://www.w3.org/2000/svg\">",
        xml_escape(label)
    );
    s.push_str(&format!(
        "<line x1=\"10\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\" stroke=\"#444\"/>",
        width - 10.0
    ));
    let colours = ["#9aa3ad", "#1a5c9e"];
    for (i, g) in groups.iter().enumerate() {
        let x0 = 16.0 + i as f64 * w_slot;
        for (j, v) in g.values.iter().enumerate() {
            let Some(v) = v else { continue };
            let h = (v / max * 100.0).max(0.5);
            let x = x0 + j as f64 * 26.0;
            s.push_str(&format!(
                "<rect x=\"{x}\" y=\"{}\" width=\"24\" height=\"{h:.1}\" fill=\"{}\"/>",
                base - h,
                colours[j]
            ));
            s.push_str(&format!(
                "<text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#222\">{}</text>",
                x + 12.0,
                base - h - 3.0,
                xml_escape(&crate::pdf::trim_number(*v))
            ));
        }
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#222\">{}</text>",
            x0 + 25.0,
            base + 15.0,
            xml_escape(&g.label)
        ));
    }
    for (j, l) in legend.iter().enumerate().filter(|(_, l)| !l.is_empty()) {
        let x = 12.0 + j as f64 * 100.0;
        s.push_str(&format!(
            "<rect x=\"{x}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#222\">{}</text>",
            height - 16.0,
            colours[j],
            x + 14.0,
            height - 7.0,
            xml_escape(l)
        ));
    }
    s.push_str("</svg>");
    s
}

/// A QR code of `text` as SVG (the check-in code a participant shows at the venue).
pub fn qr(text: &str, label: &str) -> String {
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(180, 180)
                .quiet_zone(true)
                .build();
            // drop the XML declaration and name the picture
            let body = svg
                .split_once("<svg")
                .map(|(_, rest)| rest)
                .unwrap_or(&svg)
                .to_string();
            format!(
                "<svg role=\"img\" aria-label=\"{}\" class=\"qr\"{body}",
                xml_escape(label)
            )
        }
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_labelled_and_escaped() {
        let svg = bars(
            &[Group {
                label: "2026".into(),
                values: [Some(60.0), Some(72.5)],
            }],
            "Target <dan> capaian",
            ["Target", "Capaian"],
        );
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("aria-label=\"Target &lt;dan&gt; capaian\""));
        assert!(svg.contains(">72.5<"));
        let q = qr("K7QM-3XPA", "QR");
        assert!(q.starts_with("<svg role=\"img\" aria-label=\"QR\""), "{q}");
        assert!(q.contains("<path") || q.contains("<rect"));
    }
}
