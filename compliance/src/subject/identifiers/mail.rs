//! Every decoded text of a raw RFC 5322 message, through Stalwart's `mail-parser`: header
//! values with RFC 2047 encoded words decoded, bodies with their transfer encoding and
//! charset decoded, parts of every multipart, nested messages, attachment file names.

use std::borrow::Cow;

use mail_parser::decoders::html::html_to_text;
use mail_parser::{Addr, Address, HeaderValue, Host, Message, MessageParser, PartType};

/// Nested `message/rfc822` parts followed at most this deep (a forwarded forward...).
const MAX_NESTING: usize = 8;

/// Calls `found` with each decoded text of the message until it returns `true`; `true`
/// then, `false` when no text did (or the bytes are not a message at all).
pub(super) fn any_text(raw: &[u8], found: &mut dyn FnMut(&str) -> bool) -> bool {
    // Every header not parsed as MIME, address or date is read as text with its encoded
    // words decoded (the default keeps unknown headers raw).
    let parser = MessageParser::new()
        .with_mime_headers()
        .with_address_headers()
        .with_date_headers()
        .default_header_text();
    parser
        .parse(raw)
        .is_some_and(|message| message_text(&message, 0, found))
}

fn message_text(message: &Message<'_>, depth: usize, found: &mut dyn FnMut(&str) -> bool) -> bool {
    for part in &message.parts {
        if part.headers.iter().any(|h| header_text(&h.value, found)) {
            return true;
        }
        let hit = match &part.body {
            PartType::Text(text) => found(text),
            // Tags stripped and entities decoded, and the source too: attributes such as
            // `href="mailto:..."` hold addresses the visible text may not.
            PartType::Html(html) => found(&html_to_text(html)) || found(html),
            // A CSV or JSON attachment is text under another type.
            PartType::Binary(bytes) | PartType::InlineBinary(bytes) => {
                found(&String::from_utf8_lossy(bytes))
            }
            PartType::Message(nested) => {
                depth < MAX_NESTING && message_text(nested, depth + 1, found)
            }
            PartType::Multipart(_) => false,
        };
        if hit {
            return true;
        }
    }
    false
}

fn header_text(value: &HeaderValue<'_>, found: &mut dyn FnMut(&str) -> bool) -> bool {
    match value {
        HeaderValue::Text(text) => found(text),
        HeaderValue::TextList(list) => list.iter().any(|t| found(t)),
        HeaderValue::Address(Address::List(list)) => addrs_text(list, found),
        HeaderValue::Address(Address::Group(groups)) => groups
            .iter()
            .any(|g| g.name.as_deref().is_some_and(&mut *found) || addrs_text(&g.addresses, found)),
        // Content-Type and Content-Disposition parameters: `name`, `filename`.
        HeaderValue::ContentType(ct) => ct
            .attributes()
            .unwrap_or_default()
            .iter()
            .any(|a| found(&a.value)),
        HeaderValue::Received(r) => {
            let hosts = [&r.from, &r.by, &r.helo]
                .into_iter()
                .filter_map(|h| match h {
                    Some(Host::Name(n)) => Some(n.clone()),
                    _ => None,
                });
            let texts: Vec<Cow<'_, str>> = hosts
                .chain(
                    [&r.for_, &r.from_iprev, &r.id, &r.ident, &r.via]
                        .into_iter()
                        .flatten()
                        .cloned(),
                )
                .collect();
            texts.iter().any(|t| found(t))
        }
        HeaderValue::DateTime(_) | HeaderValue::Empty => false,
    }
}

fn addrs_text(list: &[Addr<'_>], found: &mut dyn FnMut(&str) -> bool) -> bool {
    list.iter().any(|a| {
        a.name.as_deref().is_some_and(&mut *found) || a.address.as_deref().is_some_and(&mut *found)
    })
}

/// The message as plain text a person can read: the `From`, `To`, `Cc`, `Date` and
/// `Subject` headers decoded, each text body (HTML with tags stripped), and one line per
/// attachment naming it (its content is not kept). `None` when the bytes are not a
/// message. Used where a message naming an erased person must be kept for someone else as
/// evidence, redacted: an encoded original cannot be redacted in place.
pub(super) fn plain_text(raw: &[u8]) -> Option<String> {
    let message = MessageParser::default().parse(raw)?;
    let mut out = String::new();
    let addresses = |a: Option<&Address<'_>>| {
        a.map(|a| {
            a.iter()
                .map(|x| match (x.name.as_deref(), x.address.as_deref()) {
                    (Some(n), Some(e)) => format!("{n} <{e}>"),
                    (Some(n), None) => n.to_owned(),
                    (None, Some(e)) => e.to_owned(),
                    (None, None) => String::new(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
    };
    for (name, value) in [
        ("From", addresses(message.from())),
        ("To", addresses(message.to())),
        ("Cc", addresses(message.cc())),
        ("Date", message.date().map(|d| d.to_rfc3339())),
        ("Subject", message.subject().map(str::to_owned)),
    ] {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            out.push_str(&format!("{name}: {v}\n"));
        }
    }
    out.push('\n');
    for i in 0..message.text_body_count() {
        if let Some(body) = message.body_text(i) {
            out.push_str(body.trim_end());
            out.push('\n');
        }
    }
    for part in message.attachments() {
        let name = mail_parser::MimeHeaders::attachment_name(part).unwrap_or("unnamed");
        out.push_str(&format!("[attachment not kept: {name}]\n"));
    }
    Some(out)
}
