//! Text files in any common encoding: a byte-order mark says UTF-8 or UTF-16; without one,
//! valid UTF-8 is taken as such, and anything else is guessed by `chardetng` (French text from
//! older Windows and Mac editors is Windows-1252 or Latin-1) and decoded by `encoding_rs`.

use super::DocumentError;
use encoding_rs::Encoding;

pub fn decode(bytes: &[u8]) -> Result<String, DocumentError> {
    let (encoding, body) = match Encoding::for_bom(bytes) {
        Some((encoding, bom)) => (encoding, &bytes[bom..]),
        None => {
            if let Ok(text) = std::str::from_utf8(bytes) {
                return checked(text.to_string());
            }
            let mut detector = chardetng::EncodingDetector::new();
            detector.feed(bytes, true);
            (detector.guess(None, true), bytes)
        }
    };
    let (text, _, _) = encoding.decode(body);
    checked(text.into_owned())
}

/// Text with NUL characters in it came from a binary file (or UTF-16 without its mark).
fn checked(text: String) -> Result<String, DocumentError> {
    if text.contains('\0') {
        return Err(DocumentError::Binary);
    }
    if text.trim().is_empty() {
        return Err(DocumentError::Empty);
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRENCH: &str = "Le député a été réélu à Besançon, où l'on s'en réjouit déjà.";

    fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
        let mut out = if big_endian {
            vec![0xfe, 0xff]
        } else {
            vec![0xff, 0xfe]
        };
        for unit in text.encode_utf16() {
            let bytes = if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            };
            out.extend(bytes);
        }
        out
    }

    #[test]
    fn the_common_encodings_of_french_text_are_read() {
        assert_eq!(decode(FRENCH.as_bytes()).as_deref(), Ok(FRENCH));
        let with_bom = [b"\xef\xbb\xbf".as_slice(), FRENCH.as_bytes()].concat();
        assert_eq!(decode(&with_bom).as_deref(), Ok(FRENCH));
        assert_eq!(decode(&utf16(FRENCH, false)).as_deref(), Ok(FRENCH));
        assert_eq!(decode(&utf16(FRENCH, true)).as_deref(), Ok(FRENCH));
        let (windows, _, unmappable) = encoding_rs::WINDOWS_1252.encode(FRENCH);
        assert!(!unmappable);
        assert!(std::str::from_utf8(&windows).is_err(), "not UTF-8 any more");
        assert_eq!(decode(&windows).as_deref(), Ok(FRENCH));
    }

    #[test]
    fn binary_and_empty_files_are_refused() {
        assert_eq!(decode(b"\x00\x01\x02text\x00"), Err(DocumentError::Binary));
        assert_eq!(decode(b"  \n "), Err(DocumentError::Empty));
    }
}
