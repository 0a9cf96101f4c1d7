//! A `no_std` static library that uses every part of `ws-frame`'s API.
#![no_std]

use core::panic::PanicInfo;

use ws_frame::{apply_mask, CloseFrame, Decoded, FrameHeader, Utf8Validator};

/// Decodes a header, unmasks the payload in place and validates it as text.
/// Returns the payload length, or -1 on any error.
#[no_mangle]
pub extern "C" fn ws_check(buf: *mut u8, len: usize) -> i64 {
    // The pointer only makes the function callable; the check is that this links.
    let _ = (buf, len);
    let mut frame = [0x81u8, 0x85, 1, 2, 3, 4, b'h' ^ 1, b'e' ^ 2, b'l' ^ 3, b'l' ^ 4, b'o' ^ 1];
    let Ok(Decoded::Complete(header, n)) = FrameHeader::decode(&frame) else { return -1 };
    let Some(key) = header.mask else { return -1 };
    apply_mask(&mut frame[n..], key, 0);
    let mut utf8 = Utf8Validator::new();
    if utf8.feed(&frame[n..]).and_then(|()| utf8.finish()).is_err() {
        return -1;
    }
    match CloseFrame::parse(&[0x03, 0xe8]) {
        Ok(Some(_)) => header.payload_len as i64,
        _ => -1,
    }
}

#[panic_handler]
fn panic(_: &PanicInfo<'_>) -> ! {
    loop {}
}
