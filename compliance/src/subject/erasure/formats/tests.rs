//! Each format family of the module doc: what is found, what is rewritten, what is
//! withheld, and that ordinary words containing a name are left alone.

use std::io::{Cursor, Read, Write};

use lopdf::content::{Content, Operation};
use lopdf::{Document, Object, Stream, dictionary};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use super::*;

const P: &str = "erased-7f3a";

fn zed() -> SubjectIdentifiers {
    SubjectIdentifiers::new("zed.q@example.com", "Zed Quillfeather")
}

fn docx(document_xml: &str, creator: &str) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    w.start_file("mimetype", stored).unwrap();
    w.write_all(b"application/vnd.oasis.opendocument.text")
        .unwrap();
    w.start_file("[Content_Types].xml", deflated).unwrap();
    w.write_all(br#"<?xml version="1.0"?><Types/>"#).unwrap();
    w.start_file("word/document.xml", deflated).unwrap();
    w.write_all(document_xml.as_bytes()).unwrap();
    w.start_file("docProps/core.xml", deflated).unwrap();
    write!(
        w,
        "<cp:coreProperties><dc:creator>{creator}</dc:creator></cp:coreProperties>"
    )
    .unwrap();
    w.start_file("word/media/image1.png", stored).unwrap();
    w.write_all(&[0x89, b'P', b'N', b'G', 0, 1, 2, 0xff])
        .unwrap();
    w.finish().unwrap().into_inner()
}

fn body(paragraphs: &str) -> String {
    format!(r#"<?xml version="1.0"?><w:document><w:body>{paragraphs}</w:body></w:document>"#)
}

fn parts(bytes: &[u8]) -> Vec<(String, CompressionMethod, Vec<u8>)> {
    let mut archive = ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut e = archive.by_index(i).unwrap();
            let mut data = Vec::new();
            e.read_to_end(&mut data).unwrap();
            (e.name().unwrap().into_owned(), e.compression(), data)
        })
        .collect()
}

#[test]
fn an_office_document_naming_the_subject_is_rewritten_in_place() {
    let original = docx(
        &body("<w:p><w:r><w:t>Report for Zed Quillfeather, zed.q@example.com</w:t></w:r></w:p>"),
        "Zed Quillfeather",
    );
    let FileRedaction::Rewritten(copy) = redact_file(
        &zed(),
        P,
        &original,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ) else {
        panic!("expected a rewritten document");
    };
    let before = parts(&original);
    let after = parts(&copy);
    assert_eq!(after.len(), before.len());
    assert_eq!(after[0].0, "mimetype", "the first part stays first");
    assert_eq!(after[0].1, CompressionMethod::Stored, "and stored");
    let doc = String::from_utf8(after[2].2.clone()).unwrap();
    assert!(doc.contains(&format!("Report for {P}, {P}")), "{doc}");
    let core = String::from_utf8(after[3].2.clone()).unwrap();
    assert!(
        core.contains(&format!("<dc:creator>{P}</dc:creator>")),
        "{core}"
    );
    assert_eq!(after[4], before[4], "the image is copied byte for byte");
    assert_eq!(
        redact_file(&zed(), P, &copy, "application/zip"),
        FileRedaction::Clean
    );
}

#[test]
fn a_name_split_across_formatting_runs_withholds_the_document() {
    let original = docx(
        &body("<w:p><w:r><w:t>Dear Zed Quill</w:t></w:r><w:r><w:t>feather,</w:t></w:r></w:p>"),
        "someone",
    );
    assert_eq!(
        redact_file(
            &zed(),
            P,
            &original,
            "application/vnd.oasis.opendocument.text"
        ),
        FileRedaction::Withheld
    );
}

#[test]
fn a_document_with_the_name_inside_ordinary_words_is_untouched() {
    let ids = SubjectIdentifiers::new("ana@example.com", "Ana Lopes");
    let original = docx(
        &body("<w:p><w:r><w:t>Bananas and Analopes</w:t></w:r></w:p>"),
        "Ana",
    );
    assert_eq!(
        redact_file(&ids, P, &original, "application/zip"),
        FileRedaction::Clean
    );
}

#[test]
fn an_entry_named_after_the_subject_withholds_the_archive() {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    w.start_file("photos/Zed Quillfeather.jpg", SimpleFileOptions::default())
        .unwrap();
    w.write_all(&[0xff, 0xd8, 0xff, 0x00]).unwrap();
    let bytes = w.finish().unwrap().into_inner();
    assert_eq!(
        redact_file(&zed(), P, &bytes, "application/zip"),
        FileRedaction::Withheld
    );
}

#[test]
fn an_archive_past_the_entry_limit_is_unchecked() {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..=MAX_ENTRIES {
        w.start_file(format!("{i}.txt"), SimpleFileOptions::default())
            .unwrap();
    }
    let bytes = w.finish().unwrap().into_inner();
    assert_eq!(
        redact_file(&zed(), P, &bytes, "application/zip"),
        FileRedaction::Unchecked
    );
}

/// A one-page PDF whose content stream (compressed) shows `operations`, with `info` as its
/// document information dictionary.
fn pdf(operations: Vec<Operation>, info: Option<lopdf::Dictionary>) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let resources_id = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font_id } });
    let mut ops = vec![
        Operation::new("BT", vec![]),
        Operation::new("Tf", vec!["F1".into(), 12.into()]),
        Operation::new("Td", vec![72.into(), 720.into()]),
    ];
    ops.extend(operations);
    ops.push(Operation::new("ET", vec![]));
    let content = Content { operations: ops }.encode().unwrap();
    let content_id = doc.add_object(Stream::new(dictionary! {}, content));
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1,
            "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    if let Some(info) = info {
        let info_id = doc.add_object(info);
        doc.trailer.set("Info", info_id);
    }
    doc.compress();
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

fn shows(text: &str) -> Operation {
    Operation::new("Tj", vec![Object::string_literal(text)])
}

#[test]
fn a_pdf_naming_the_subject_in_its_page_text_is_withheld() {
    let kerned = Operation::new(
        "TJ",
        vec![Object::Array(vec![
            Object::string_literal("Invoice for Zed Quill"),
            (-120).into(),
            Object::string_literal("feather"),
        ])],
    );
    // Enough text that the content stream is stored compressed.
    let filler: Vec<Operation> = (0..40)
        .map(|i| shows(&format!("Line {i} of the invoice")))
        .collect();
    let bytes = pdf(filler.into_iter().chain([kerned]).collect(), None);
    assert!(
        !String::from_utf8_lossy(&bytes).contains("Quill"),
        "the content stream is compressed"
    );
    assert_eq!(
        redact_file(&zed(), P, &bytes, "application/pdf"),
        FileRedaction::Withheld
    );
}

#[test]
fn a_pdf_naming_the_subject_only_in_its_metadata_is_withheld() {
    let utf16: Vec<u8> = [0xfe, 0xff]
        .into_iter()
        .chain("Zed Quillfeather".encode_utf16().flat_map(u16::to_be_bytes))
        .collect();
    let info = dictionary! {
        "Title" => Object::string_literal("Quarterly report"),
        "Author" => Object::String(utf16, lopdf::StringFormat::Hexadecimal),
    };
    let bytes = pdf(vec![shows("Quarterly report")], Some(info));
    assert_eq!(
        redact_file(&zed(), P, &bytes, "application/pdf"),
        FileRedaction::Withheld
    );
}

#[test]
fn a_pdf_that_names_nobody_is_kept() {
    let bytes = pdf(
        vec![shows("Quarterly report for Quill & Feather Ltd")],
        None,
    );
    assert_eq!(
        redact_file(&zed(), P, &bytes, "application/pdf"),
        FileRedaction::Clean
    );
}

#[test]
fn an_unreadable_pdf_is_unchecked_not_kept_silently() {
    let bytes = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Length 999 >> stream\n\x00\x01";
    assert_eq!(
        redact_file(&zed(), P, bytes, "application/pdf"),
        FileRedaction::Unchecked
    );
}

#[test]
fn an_image_naming_the_subject_in_its_metadata_is_withheld() {
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    png.extend_from_slice(b"\0\0\0\x14tEXtAuthor\0Zed Quillfeather\0\x9a\x12");
    assert_eq!(
        redact_file(&zed(), P, &png, "image/png"),
        FileRedaction::Withheld
    );
    let clean = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 1];
    assert_eq!(
        redact_file(&zed(), P, &clean, "image/png"),
        FileRedaction::Clean
    );
}

#[test]
fn a_gzip_file_is_read_decompressed() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"notes.txt\0\0\0 ask zed.q@example.com first")
        .unwrap();
    let bytes = gz.finish().unwrap();
    assert_eq!(
        redact_file(&zed(), P, &bytes, "application/gzip"),
        FileRedaction::Withheld
    );
}

#[test]
fn text_is_rewritten_and_latin1_text_is_withheld() {
    assert_eq!(
        redact_file(&zed(), P, b"Hi Zed Quillfeather", "text/plain"),
        FileRedaction::Rewritten(format!("Hi {P}").into_bytes())
    );
    let ids = SubjectIdentifiers::new("", "Jürgen Quillfeather");
    assert_eq!(
        redact_file(&ids, P, b"Hallo J\xfcrgen Quillfeather", "text/plain"),
        FileRedaction::Withheld
    );
}

fn zoe() -> SubjectIdentifiers {
    SubjectIdentifiers::new("zoe.angstrom@example.com", "Zoë Ångström")
}

/// The fresh tester's files that kept the name (issue 10), each now rewritten or withheld.
#[test]
fn encoded_names_in_text_files_are_found() {
    let utf16: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain(
            "Brief for Zoë Ångström\n"
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        )
        .collect();
    let FileRedaction::Rewritten(copy) = redact_file(&zoe(), P, &utf16, "application/octet-stream")
    else {
        panic!("UTF-16 text is rewritten");
    };
    assert_eq!(
        copy,
        [0xff, 0xfe]
            .into_iter()
            .chain(
                format!("Brief for {P}\n")
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes)
            )
            .collect::<Vec<u8>>(),
        "still UTF-16 with its mark"
    );
    let json = br#"{"client": "Zo\u00eb \u00c5ngstr\u00f6m", "n": 1}"#;
    let FileRedaction::Rewritten(copy) = redact_file(&zoe(), P, json, "application/json") else {
        panic!("JSON is rewritten");
    };
    assert_eq!(
        String::from_utf8(copy).unwrap(),
        format!(r#"{{"client":"{P}","n":1}}"#)
    );
    for (what, text) in [
        ("html", "<p>Dear Zo&euml; &Aring;ngstr&ouml;m,</p>"),
        ("base64", "payload: Wm/DqyDDhW5nc3Ryw7ZtIHNlbnQgdGhpcw=="),
        (
            "mail",
            "From: bart@example.com\nSubject: =?utf-8?b?Rm9yIFpvw6sgw4VuZ3N0csO2bQ==?=\nMIME-Version: 1.0\n\nhello",
        ),
    ] {
        assert_eq!(
            redact_file(&zoe(), P, text.as_bytes(), "text/plain"),
            FileRedaction::Withheld,
            "{what}"
        );
    }
}

#[test]
fn a_legacy_word_document_is_read_as_utf16() {
    let mut doc = vec![0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 0];
    doc.extend(
        "Invoice: Zoë Ångström"
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    doc.extend_from_slice(&[0, 0, 0x13, 0x37]);
    assert_eq!(
        redact_file(&zoe(), P, &doc, "application/x-ole-storage"),
        FileRedaction::Withheld
    );
}

#[test]
fn a_document_inside_an_archive_is_rewritten_inside_it() {
    let inner = docx(
        &body("<w:p><w:r><w:t>Report for Zed Quillfeather</w:t></w:r></w:p>"),
        "someone",
    );
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    w.start_file("reports/q3.docx", SimpleFileOptions::default())
        .unwrap();
    w.write_all(&inner).unwrap();
    let outer = w.finish().unwrap().into_inner();
    let FileRedaction::Rewritten(copy) = redact_file(&zed(), P, &outer, "application/zip") else {
        panic!("the archive is rewritten");
    };
    let rewritten_inner = &parts(&copy)[0].2;
    let doc = String::from_utf8(parts(rewritten_inner)[2].2.clone()).unwrap();
    assert!(doc.contains(&format!("Report for {P}")), "{doc}");
}
