//! An ordered list of HTTP header fields, looked up case-insensitively.
//!
//! Names and values live in two contiguous buffers (one allocation each, not two per
//! field), which matters for a server parsing many handshakes.

/// One header field, borrowed from [`Headers`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header<'a> {
    /// Field name, as written on the wire.
    pub name: &'a str,
    /// Field value bytes (without surrounding whitespace). Usually ASCII, but
    /// `obs-text` bytes are kept as received.
    pub value: &'a [u8],
}

/// Header fields in wire order. Names compare ASCII case-insensitively; repeated
/// fields are kept as separate entries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Headers {
    names: String,
    values: Vec<u8>,
    /// End offsets of each field's name in `names` and value in `values`.
    ends: Vec<(usize, usize)>,
}

impl Headers {
    /// An empty list.
    pub fn new() -> Self {
        Headers::default()
    }

    pub(crate) fn from_httparse(raw: &[httparse::Header<'_>]) -> Self {
        let mut h = Headers {
            names: String::with_capacity(raw.iter().map(|f| f.name.len()).sum()),
            values: Vec::with_capacity(raw.iter().map(|f| f.value.len()).sum()),
            ends: Vec::with_capacity(raw.len()),
        };
        for f in raw {
            h.push(f.name, f.value);
        }
        h
    }

    /// Appends a field.
    pub fn push(&mut self, name: &str, value: impl AsRef<[u8]>) {
        self.names.push_str(name);
        self.values.extend_from_slice(value.as_ref());
        self.ends.push((self.names.len(), self.values.len()));
    }

    /// All fields in wire order.
    pub fn iter(&self) -> impl Iterator<Item = Header<'_>> + '_ {
        let mut name_start = 0;
        let mut value_start = 0;
        self.ends.iter().map(move |&(name_end, value_end)| {
            let h = Header {
                name: &self.names[name_start..name_end],
                value: &self.values[value_start..value_end],
            };
            name_start = name_end;
            value_start = value_end;
            h
        })
    }

    /// The value of the first field called `name`.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    }

    /// The value of the first field called `name`, if it is valid UTF-8.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|v| core::str::from_utf8(v).ok())
    }

    /// The values of every field called `name`, in wire order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    }

    /// How many fields are called `name`.
    pub fn count(&self, name: &str) -> usize {
        self.iter()
            .filter(|h| h.name.eq_ignore_ascii_case(name))
            .count()
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_is_case_insensitive_and_keeps_repeats() {
        let mut h = Headers::new();
        h.push("Sec-WebSocket-Protocol", "a");
        h.push("Host", "x");
        h.push("sec-websocket-protocol", "b");
        h.push("Empty", "");
        assert_eq!(h.get("HOST"), Some(&b"x"[..]));
        assert_eq!(h.get("empty"), Some(&b""[..]));
        assert_eq!(h.count("Sec-Websocket-Protocol"), 2);
        let all: Vec<_> = h.get_all("sec-websocket-protocol").collect();
        assert_eq!(all, vec![&b"a"[..], &b"b"[..]]);
        assert_eq!(h.get("missing"), None);
        assert_eq!(h.len(), 4);
        assert!(!h.is_empty());
        let names: Vec<_> = h.iter().map(|f| f.name).collect();
        assert_eq!(
            names,
            [
                "Sec-WebSocket-Protocol",
                "Host",
                "sec-websocket-protocol",
                "Empty"
            ]
        );
    }
}
