//! The text a reader sees in an XML part of an office document: character data with its
//! entities resolved, tags dropped, a space for every tag that ends a paragraph, a cell, a
//! line or a tab. A word processor splits a sentence into runs wherever formatting,
//! spell-checking or an edit changed (`<w:t>Ana Mü</w:t></w:r><w:r><w:t>ller</w:t>`), so a
//! name can be missing from the raw XML and still be on the page.

use quick_xml::events::Event;

/// Local names of elements that separate words: paragraphs, headings, line and page
/// breaks, tabs, table cells and rows (OOXML `w:`/`a:`, spreadsheet `c`/`si`, ODF `text:`
/// and `table:`, XHTML).
const SEPARATING: &[&str] = &[
    "p",
    "h",
    "br",
    "tab",
    "cr",
    "tc",
    "tr",
    "c",
    "si",
    "row",
    "cell",
    "table-cell",
    "table-row",
    "line-break",
    "s",
    "li",
    "div",
    "td",
    "th",
];

/// The visible text of `xml`; what follows a syntax error is read as plain text, so a
/// damaged part is still searched.
pub(super) fn visible_text(xml: &str) -> String {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = String::with_capacity(xml.len() / 2);
    loop {
        match reader.read_event() {
            Ok(Event::Text(t)) => out.push_str(&t.xml10_content()),
            Ok(Event::CData(t)) => out.push_str(&t.xml10_content()),
            Ok(Event::GeneralRef(r)) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    out.push(c);
                } else if let Some(s) =
                    quick_xml::escape::resolve_predefined_entity(&r.xml10_content())
                {
                    out.push_str(s);
                }
            }
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                separate(&mut out, e.local_name().as_ref())
            }
            Ok(Event::End(e)) => separate(&mut out, e.local_name().as_ref()),
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(_) => {
                let at = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
                out.push(' ');
                out.push_str(xml.get(at..).unwrap_or_default());
                break;
            }
        }
    }
    out
}

fn separate(out: &mut String, local: &str) {
    if SEPARATING.contains(&local) && !out.ends_with(' ') {
        out.push(' ');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_runs_and_separates_paragraphs() {
        let xml = r#"<w:document><w:body><w:p><w:r><w:t>Dear Ana Mü</w:t></w:r><w:r><w:t>ller,</w:t></w:r></w:p><w:p><w:r><w:t>O&apos;Brien &amp; co&#46;</w:t></w:r></w:p></w:body></w:document>"#;
        assert_eq!(visible_text(xml).trim(), "Dear Ana Müller, O'Brien & co.");
    }

    #[test]
    fn reads_on_after_a_syntax_error() {
        assert!(visible_text("<a>fine</a><b attr=>Ana Quill").contains("Ana Quill"));
    }
}
