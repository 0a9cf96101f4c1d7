//! Frames as bytes on the wire, for raw peers: encoding (masked like a client, or
//! plain like a server) and a parser for what the other end sent, written here
//! rather than taken from the crates under test.

use tokio::io::{AsyncRead, AsyncReadExt};

/// The mask key of raw client frames (not zero, so unmasking is exercised).
const KEY: [u8; 4] = [0x3c, 0xa5, 0x0f, 0x71];

/// One frame: first byte (FIN, RSV, opcode) and payload (unmasked).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub first: u8,
    pub payload: Vec<u8>,
}

impl Frame {
    pub fn opcode(&self) -> u8 {
        self.first & 0x0f
    }

    /// The code of a close frame.
    pub fn close_code(&self) -> Option<u16> {
        (self.opcode() == 0x8 && self.payload.len() >= 2)
            .then(|| u16::from_be_bytes([self.payload[0], self.payload[1]]))
    }

    /// A short description for assertion messages.
    pub fn describe(&self) -> String {
        match self.opcode() {
            0x1 => format!("text {:?}", String::from_utf8_lossy(&self.payload)),
            0x2 => format!("binary {} B", self.payload.len()),
            0x8 => format!("close {:?}", self.close_code()),
            op => format!("opcode {op:#x}, {} B", self.payload.len()),
        }
    }
}

/// A frame with `first` as its first byte and `payload`, masked when `masked`
/// (frames from a client), with the shortest length encoding.
pub fn frame(first: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    let mut out = vec![first];
    let mask_bit = if masked { 0x80 } else { 0 };
    match payload.len() {
        n if n < 126 => out.push(mask_bit | n as u8),
        n if n <= 0xffff => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    if masked {
        out.extend_from_slice(&KEY);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ KEY[i % 4]));
    } else {
        out.extend_from_slice(payload);
    }
    out
}

/// A client's (masked) frame.
pub fn client_frame(first: u8, payload: &[u8]) -> Vec<u8> {
    frame(first, payload, true)
}

/// A server's (unmasked) frame.
pub fn server_frame(first: u8, payload: &[u8]) -> Vec<u8> {
    frame(first, payload, false)
}

/// A close frame's payload: the code and a reason.
pub fn close_payload(code: u16, reason: &str) -> Vec<u8> {
    let mut p = code.to_be_bytes().to_vec();
    p.extend_from_slice(reason.as_bytes());
    p
}

/// The whole frames at the front of `buf` (unmasked), and how many bytes they took.
pub fn parse(buf: &[u8]) -> (Vec<Frame>, usize) {
    let mut frames = Vec::new();
    let mut at = 0;
    loop {
        let rest = &buf[at..];
        if rest.len() < 2 {
            break;
        }
        let masked = rest[1] & 0x80 != 0;
        let (len, mut start) = match rest[1] & 0x7f {
            126 if rest.len() >= 4 => (u16::from_be_bytes([rest[2], rest[3]]) as usize, 4),
            127 if rest.len() >= 10 => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&rest[2..10]);
                (u64::from_be_bytes(b) as usize, 10)
            }
            126 | 127 => break,
            n => (n as usize, 2),
        };
        let key = if masked {
            if rest.len() < start + 4 {
                break;
            }
            start += 4;
            Some([
                rest[start - 4],
                rest[start - 3],
                rest[start - 2],
                rest[start - 1],
            ])
        } else {
            None
        };
        if rest.len() < start + len {
            break;
        }
        let mut payload = rest[start..start + len].to_vec();
        if let Some(key) = key {
            for (i, b) in payload.iter_mut().enumerate() {
                *b ^= key[i % 4];
            }
        }
        frames.push(Frame {
            first: rest[0],
            payload,
        });
        at += start + len;
    }
    (frames, at)
}

/// Reads and parses frames until a close frame arrives or the stream ends (or
/// fails); returns every frame read, the close frame last if there was one.
pub async fn frames_until_close<S: AsyncRead + Unpin>(stream: &mut S) -> Vec<Frame> {
    let mut frames = Vec::new();
    let mut pending = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let (mut new, used) = parse(&pending);
        pending.drain(..used);
        let closed = new.iter().any(|f| f.opcode() == 0x8);
        frames.append(&mut new);
        if closed {
            return frames;
        }
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return frames,
            Ok(n) => pending.extend_from_slice(&buf[..n]),
        }
    }
}

/// Descriptions of `frames`, for assertion messages.
pub fn describe(frames: &[Frame]) -> Vec<String> {
    frames.iter().map(Frame::describe).collect()
}

/// Reads an HTTP head byte by byte, up to and with its blank line; what came
/// before the end of the connection (or a read error) if it ends sooner.
pub async fn read_head_bytes<S: AsyncRead + Unpin>(s: &mut S) -> Vec<u8> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    head
}
