//! Invariant checks shared by the fuzz targets (`fuzz/`) and the seed-corpus replay
//! test, so both exercise exactly the same code. Not part of the stable API.

use crate::{Decoded, FrameHeader, MAX_HEADER_LEN};

/// Decodes `data` as a header and panics if any documented guarantee is broken:
/// a complete header is at most `data.len()` and [`MAX_HEADER_LEN`] bytes, encodes back
/// to exactly those bytes, and every prefix of the header decodes as incomplete with
/// the right count of missing bytes.
pub fn check_header_decode(data: &[u8]) {
    match FrameHeader::decode(data) {
        Ok(Decoded::Complete(header, len)) => {
            assert!(len <= data.len() && len <= MAX_HEADER_LEN);
            assert!(header.payload_len >> 63 == 0);
            let mut out = [0u8; MAX_HEADER_LEN];
            let written = header.encode(&mut out);
            assert_eq!(written, len);
            assert_eq!(&out[..len], &data[..len]);
            for cut in 0..len {
                match FrameHeader::decode(&data[..cut]) {
                    Ok(Decoded::Incomplete(more)) => assert!(cut + more <= len),
                    other => panic!("prefix {cut} of a valid header gave {other:?}"),
                }
            }
        }
        Ok(Decoded::Incomplete(more)) => {
            assert!(more > 0 && data.len() + more <= MAX_HEADER_LEN);
        }
        Err(error) => {
            assert_eq!(error.close_code(), crate::CloseCode::PROTOCOL_ERROR);
        }
    }
}
