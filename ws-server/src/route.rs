//! Path mapping: exact paths and URI templates with whole-segment `{name}`
//! parameters, with Tomcat's precedence (an exact path wins, then templates with the
//! request's segment count; among those, a literal segment beats a parameter at the
//! first position where they differ).

use std::collections::{BTreeMap, HashMap};

use ws_tokio::PathParams;

use crate::error::DeployError;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
}

/// A parsed endpoint path.
#[derive(Clone, Debug)]
struct Template {
    segments: Vec<Segment>,
}

impl Template {
    fn key(&self) -> Vec<Option<&str>> {
        self.segments
            .iter()
            .map(|s| match s {
                Segment::Literal(l) => Some(l.as_str()),
                Segment::Param(_) => None,
            })
            .collect()
    }

    /// Sort key: at the first differing position a literal segment comes first
    /// (parameter names do not matter).
    fn rank(&self) -> Vec<(bool, &str)> {
        self.key()
            .into_iter()
            .map(|k| (k.is_none(), k.unwrap_or("")))
            .collect()
    }

    fn is_exact(&self) -> bool {
        self.segments
            .iter()
            .all(|s| matches!(s, Segment::Literal(_)))
    }

    fn matches(&self, segments: &[&str]) -> Option<PathParams> {
        if segments.len() != self.segments.len() {
            return None;
        }
        let mut params = Vec::new();
        for (seg, have) in self.segments.iter().zip(segments) {
            match seg {
                Segment::Literal(l) if l == have => {}
                Segment::Literal(_) => return None,
                Segment::Param(_) if have.is_empty() => return None,
                Segment::Param(name) => params.push((name.clone(), (*have).to_owned())),
            }
        }
        Some(PathParams::new(params))
    }
}

/// Checks an endpoint path and parses it: starts with `/`; no `//`, `/./`, `/../`
/// (nor ending in `/.` or `/..`); no query or fragment; `{name}` only as a whole
/// segment, names unique and non-empty.
fn parse(path: &str) -> Result<Template, DeployError> {
    let bad = |why| Err(DeployError::InvalidPath(path.to_owned(), why));
    if !path.starts_with('/') {
        return bad("must start with '/'");
    }
    if path.contains(['?', '#']) || path.bytes().any(|b| !b.is_ascii_graphic()) {
        return bad("must be visible ASCII without '?' or '#'");
    }
    if path == "/" {
        return Ok(Template { segments: vec![] });
    }
    let mut segments = Vec::new();
    for seg in path[1..].split('/') {
        match seg {
            "" => return bad("empty segment ('//' or a trailing '/')"),
            "." | ".." => return bad("'.' and '..' segments are not allowed"),
            _ => {}
        }
        if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            if name.is_empty() || name.contains(['{', '}']) {
                return bad("a parameter needs a name: {name}");
            }
            if segments
                .iter()
                .any(|s| matches!(s, Segment::Param(n) if n == name))
            {
                return bad("duplicate parameter name");
            }
            segments.push(Segment::Param(name.to_owned()));
        } else if seg.contains(['{', '}']) {
            return bad("a parameter must be a whole segment");
        } else {
            segments.push(Segment::Literal(seg.to_owned()));
        }
    }
    Ok(Template { segments })
}

/// Splits a request path into segments (`/` is no segment at all).
fn request_segments(path: &str) -> Vec<&str> {
    match path.strip_prefix('/') {
        Some("") | None => Vec::new(),
        Some(rest) => rest.split('/').collect(),
    }
}

/// Endpoints by path, generic over what is stored per endpoint.
#[derive(Debug)]
pub(crate) struct Router<T> {
    exact: HashMap<String, T>,
    /// Templates by segment count, kept sorted (literal-first) within each group.
    templates: BTreeMap<usize, Vec<(Template, T)>>,
}

impl<T> Default for Router<T> {
    fn default() -> Self {
        Router {
            exact: HashMap::new(),
            templates: BTreeMap::new(),
        }
    }
}

impl<T: Clone> Router<T> {
    /// Adds `value` at `path`; refuses invalid and duplicate paths.
    pub(crate) fn insert(&mut self, path: &str, value: T) -> Result<(), DeployError> {
        let template = parse(path)?;
        let duplicate = || Err(DeployError::Duplicate(path.to_owned()));
        if template.is_exact() {
            let normal = normalize(&template);
            if self.exact.contains_key(&normal) {
                return duplicate();
            }
            self.exact.insert(normal, value);
            return Ok(());
        }
        let group = self.templates.entry(template.segments.len()).or_default();
        if group.iter().any(|(t, _)| t.key() == template.key()) {
            return duplicate();
        }
        group.push((template, value));
        group.sort_by(|(a, _), (b, _)| a.rank().cmp(&b.rank()));
        Ok(())
    }

    /// The value for a request path and its parameters.
    pub(crate) fn lookup(&self, path: &str) -> Option<(T, PathParams)> {
        if let Some(v) = self.exact.get(path) {
            return Some((v.clone(), PathParams::default()));
        }
        let segments = request_segments(path);
        self.templates
            .get(&segments.len())?
            .iter()
            .find_map(|(t, v)| t.matches(&segments).map(|p| (v.clone(), p)))
    }

    /// Every stored value.
    pub(crate) fn values(&self) -> impl Iterator<Item = &T> {
        self.exact
            .values()
            .chain(self.templates.values().flatten().map(|(_, v)| v))
    }
}

fn normalize(t: &Template) -> String {
    if t.segments.is_empty() {
        return "/".into();
    }
    let mut s = String::new();
    for seg in &t.segments {
        s.push('/');
        if let Segment::Literal(l) = seg {
            s.push_str(l);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(paths: &[&str]) -> Router<&'static str> {
        let mut r = Router::default();
        for (i, p) in paths.iter().enumerate() {
            let name: &'static str = Box::leak(format!("{i}").into_boxed_str());
            r.insert(p, name).unwrap();
        }
        r
    }

    #[test]
    fn invalid_paths_are_refused() {
        let mut r = Router::default();
        for p in [
            "", "a", "/a//b", "/a/./b", "/a/../b", "/a/.", "/a/..", "/a/", "/a?b", "/{}", "/x{a}",
            "/{a}/{a}", "/a b",
        ] {
            assert!(
                matches!(r.insert(p, 0), Err(DeployError::InvalidPath(..))),
                "{p}"
            );
        }
    }

    #[test]
    fn duplicates_are_refused() {
        let mut r = Router::default();
        r.insert("/a/{x}", 0).unwrap();
        assert_eq!(
            r.insert("/a/{y}", 1),
            Err(DeployError::Duplicate("/a/{y}".into()))
        );
        r.insert("/a", 0).unwrap();
        assert!(r.insert("/a", 1).is_err());
        r.insert("/", 0).unwrap();
        assert!(r.insert("/", 1).is_err());
    }

    #[test]
    fn precedence() {
        let r = router(&["/a/{x}", "/a/b", "/{y}/b", "/{p}/{q}", "/{one}"]);
        assert_eq!(r.lookup("/a/b").unwrap().0, "1"); // exact first
        let (v, p) = r.lookup("/a/c").unwrap();
        assert_eq!((v, p.get("x")), ("0", Some("c"))); // literal segment first
        let (v, p) = r.lookup("/z/b").unwrap();
        assert_eq!((v, p.get("y")), ("2", Some("z")));
        let (v, p) = r.lookup("/z/c").unwrap();
        assert_eq!((v, p.get("p"), p.get("q")), ("3", Some("z"), Some("c")));
        assert_eq!(r.lookup("/solo").unwrap().0, "4");
        assert!(r.lookup("/a/b/c").is_none());
        assert!(r.lookup("/a/").is_none()); // empty segment never binds a parameter
    }
}
