//! An owned, ordered list of HTTP header fields, looked up case-insensitively.

/// One header field as received or to be sent: the name as written, the raw value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Field name, as written on the wire.
    pub name: String,
    /// Field value bytes (without surrounding whitespace). Usually ASCII, but
    /// `obs-text` bytes are kept as received.
    pub value: Vec<u8>,
}

/// Header fields in wire order. Names compare ASCII case-insensitively; repeated
/// fields are kept as separate entries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Headers {
    list: Vec<Header>,
}

impl Headers {
    /// An empty list.
    pub fn new() -> Self {
        Headers::default()
    }

    pub(crate) fn from_httparse(raw: &[httparse::Header<'_>]) -> Self {
        Headers {
            list: raw
                .iter()
                .map(|h| Header {
                    name: h.name.to_owned(),
                    value: h.value.to_vec(),
                })
                .collect(),
        }
    }

    /// Appends a field.
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<Vec<u8>>) {
        self.list.push(Header {
            name: name.into(),
            value: value.into(),
        });
    }

    /// The value of the first field called `name`.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.list
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_slice())
    }

    /// The value of the first field called `name`, if it is valid UTF-8.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|v| core::str::from_utf8(v).ok())
    }

    /// The values of every field called `name`, in wire order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.list
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_slice())
    }

    /// How many fields are called `name`.
    pub fn count(&self, name: &str) -> usize {
        self.list
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(name))
            .count()
    }

    /// All fields in wire order.
    pub fn iter(&self) -> impl Iterator<Item = &Header> {
        self.list.iter()
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
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
        assert_eq!(h.get("HOST"), Some(&b"x"[..]));
        assert_eq!(h.count("Sec-Websocket-Protocol"), 2);
        let all: Vec<_> = h.get_all("sec-websocket-protocol").collect();
        assert_eq!(all, vec![&b"a"[..], &b"b"[..]]);
        assert_eq!(h.get("missing"), None);
        assert_eq!(h.len(), 3);
        assert!(!h.is_empty());
    }
}
