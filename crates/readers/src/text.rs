//! Decoding an export's bytes: UTF-8 with or without a BOM, UTF-16 (with
//! a BOM or found by its pattern of zero bytes), Windows-1252, and a clear
//! error for bytes the declared encoding contradicts or a binary file.

use super::*;

/// UTF-16 without a byte-order mark, recognised by its zero bytes: ASCII
/// (digits, delimiters, line ends) in UTF-16 is one zero byte per character,
/// always on the same side. Returns the encoding, or `None`.
pub(crate) fn utf16_by_pattern(head: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let pairs = head.len() / 2;
    if pairs < 2 {
        return None;
    }
    let zeros_at = |side: usize| head.chunks_exact(2).filter(|p| p[side] == 0).count();
    let (low, high) = (zeros_at(0), zeros_at(1));
    if high * 5 >= pairs && low * 10 <= high {
        Some(encoding_rs::UTF_16LE)
    } else if low * 5 >= pairs && high * 10 <= low {
        Some(encoding_rs::UTF_16BE)
    } else {
        None
    }
}

/// Decode CSV bytes to text. Returns a note when the encoding was guessed.
///
/// A declared encoding is a promise about the file. When the bytes plainly
/// break it (a UTF-16 file declared UTF-8, a UTF-8 file declared
/// Windows-1252) the file stops with [`FileError::DeclaredEncoding`] rather
/// than being read as mojibake: names garbled that way would silently fail
/// to link and districts would fail to match.
pub fn decode(bytes: &[u8], declared: Encoding) -> Result<(String, Option<String>), FileError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(FileError::Empty);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(FileError::Binary(", like an XLSX or ZIP file"));
    }
    let utf16 = |bytes: &[u8], enc: &'static encoding_rs::Encoding| {
        let (text, had_errors) = enc.decode_with_bom_removal(bytes);
        if had_errors {
            Err(FileError::Encoding {
                declared: "UTF-16",
                offset: 0,
            })
        } else {
            Ok(text.into_owned())
        }
    };
    let contradicts = |found: &'static str| match declared {
        Encoding::Utf8 => Err(FileError::DeclaredEncoding {
            declared: "utf-8",
            found,
        }),
        Encoding::Windows1252 => Err(FileError::DeclaredEncoding {
            declared: "windows-1252",
            found,
        }),
        Encoding::Utf16 => Err(FileError::DeclaredEncoding {
            declared: "utf-16",
            found,
        }),
        Encoding::Auto => Ok(()),
    };
    let bom16 = if bytes.starts_with(&[0xFF, 0xFE]) {
        Some(encoding_rs::UTF_16LE)
    } else if bytes.starts_with(&[0xFE, 0xFF]) {
        Some(encoding_rs::UTF_16BE)
    } else {
        None
    };
    if let Some(enc) = bom16 {
        if declared != Encoding::Utf16 {
            contradicts("UTF-16 (it starts with a UTF-16 byte-order mark)")?;
        }
        return Ok((utf16(bytes, enc)?, None));
    }
    let head = &bytes[..bytes.len().min(8192)];
    if let Some(enc) = utf16_by_pattern(head) {
        return match declared {
            Encoding::Utf16 => Ok((utf16(bytes, enc)?, None)),
            _ => {
                contradicts("UTF-16 (every other byte is zero)")?;
                Ok((
                    utf16(bytes, enc)?,
                    Some(format!(
                        "no byte-order mark; read as {} (declare `encoding` to silence this)",
                        enc.name()
                    )),
                ))
            }
        };
    }
    if declared == Encoding::Utf16 {
        contradicts("not UTF-16 (no byte-order mark, and no zero bytes between characters)")?;
    }
    if head.contains(&0) {
        return Err(FileError::Binary(""));
    }
    let (body, utf8_bom) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (rest, true),
        None => (bytes, false),
    };
    let utf8 = std::str::from_utf8(body);
    match declared {
        Encoding::Windows1252 => {
            if utf8_bom {
                contradicts("UTF-8 (it starts with a UTF-8 byte-order mark)")?;
            }
            if utf8.is_ok() && !body.is_ascii() {
                contradicts("UTF-8 (its accented or Bengali letters are valid UTF-8 sequences)")?;
            }
            Ok((encoding_rs::WINDOWS_1252.decode(body).0.into_owned(), None))
        }
        Encoding::Utf8 => match utf8 {
            Ok(s) => Ok((s.to_string(), None)),
            Err(e) => Err(FileError::Encoding {
                declared: "UTF-8",
                offset: e.valid_up_to() + usize::from(utf8_bom) * 3,
            }),
        },
        _ => match utf8 {
            Ok(s) => Ok((s.to_string(), None)),
            Err(_) => Ok((
                encoding_rs::WINDOWS_1252.decode(body).0.into_owned(),
                Some("not UTF-8; read as Windows-1252 (declare `encoding` to silence this)".into()),
            )),
        },
    }
}
