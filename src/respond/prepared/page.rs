//! [`Prepared`]: a page's template evaluated when the layer is built, with
//! holes for the request id and the time, and its body for one failure.
//!
//! A page with few holes is kept as shared `Bytes` between them, and its
//! body is those chunks with the id and the time put between: nothing is
//! copied. A request id that would need escaping, and a page with more
//! holes, are written out into a new buffer instead.

use bytes::Bytes;
use http::HeaderValue;

use super::chunks::{Chunk, Chunks, Layout};
use crate::render::{
    is_plain, push_time, push_value, request_id_text, string_quote, BodyFormat, Fields, Piece,
    Template, MAX_REQUEST_ID_LEN,
};

/// A template evaluated when the layer was built: the pieces of the body
/// around the holes for the request id and the time.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    format: BodyFormat,
    without_id: Page,
    /// `None` when the id changes nothing.
    with_id: Option<Page>,
}

/// The page for requests with an id, or without.
#[derive(Debug, Clone)]
struct Page {
    pieces: Vec<Piece>,
    /// Its length with the time and without the id (nor, in JSON, the
    /// id's quotes): what the body's buffer starts with.
    length: usize,
    /// Whether it shows the time, which is then asked for.
    shows_time: bool,
    /// The text between the holes, one after another, and how to send it
    /// with the holes filled, when they are few enough to send that way.
    chunks: Option<(Bytes, Layout)>,
}

impl Prepared {
    /// `template` with `fields`, which must hold neither the request id
    /// nor the time: evaluated but for them.
    pub(super) fn of(template: &Template, fields: &Fields<'_>) -> Self {
        let (without_id, with_id) = template.pieces(fields);
        Self::new(template.format(), without_id, with_id)
    }

    /// The page of `format` made of the pieces `without_id`, and
    /// `with_id` when an id changes it.
    fn new(format: BodyFormat, without_id: Vec<Piece>, with_id: Option<Vec<Piece>>) -> Self {
        // Every time has the same length, escaped the same way.
        let mut time = String::new();
        push_time(&mut time, format, &crate::time::utc_text(0));
        let page = |pieces: Vec<Piece>| Page {
            length: pieces
                .iter()
                .map(|piece| match piece {
                    Piece::Text(text) => text.len(),
                    Piece::Time => time.len(),
                    Piece::RequestId => 0,
                })
                .sum(),
            chunks: chunks(format, &pieces),
            shows_time: pieces.contains(&Piece::Time),
            pieces,
        };
        Self {
            format,
            without_id: page(without_id),
            with_id: with_id.map(page),
        }
    }

    /// The body for a request whose id header is `request_id`, failed at
    /// `time()` (as [`utc_text`](crate::time::utc_text) writes it), which
    /// is only asked for when the body shows it.
    pub(crate) fn body(
        &self,
        request_id: Option<&HeaderValue>,
        time: impl FnOnce() -> Bytes,
    ) -> Chunks {
        let (page, id) = match (request_id, &self.with_id) {
            (Some(id), Some(page)) => (page, Some(id)),
            _ => (&self.without_id, None),
        };
        let time = if page.shows_time {
            time()
        } else {
            Bytes::new()
        };
        if let Some((text, layout)) = &page.chunks {
            match id.map(plain_id) {
                None => return Chunks::new(text.clone(), *layout, Bytes::new(), time),
                Some(Some(id)) => return Chunks::new(text.clone(), *layout, id, time),
                // Escaped, the id is a different text: written out below.
                Some(None) => {}
            }
        }
        self.write(page, id, &time)
    }

    /// The body written out into one buffer, with `time` where it shows.
    fn write(&self, page: &Page, request_id: Option<&HeaderValue>, time: &[u8]) -> Chunks {
        let id = request_id.map(request_id_text);
        // Exactly the length without an id, so `Bytes` takes the buffer
        // without allocating a header for it; room to escape an id.
        let extra = id.as_ref().map_or(0, |id| id.len() + 16);
        let mut out = String::with_capacity(page.length + extra);
        let time = std::str::from_utf8(time).unwrap_or("");
        for piece in &page.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::RequestId => push_value(&mut out, self.format, id.as_deref()),
                Piece::Time => push_time(&mut out, self.format, time),
            }
        }
        Bytes::from(out).into()
    }

    /// The length of the body for a request without an id.
    pub(crate) fn len(&self) -> usize {
        self.without_id.length
    }
}

/// `pieces` as the text between the holes, one after another, with
/// `format`'s quotes around each hole in it, and the layout that sends it
/// with the holes filled; `None` when they are more chunks than a body
/// sends, or the text around holes is longer than a layout's offsets
/// reach (64 KiB): such a page is written out per failure.
fn chunks(format: BodyFormat, pieces: &[Piece]) -> Option<(Bytes, Layout)> {
    // A JSON page shows the id and the time as strings, so their quotes go
    // into the text around them. (Without an id, a JSON page has `null` in
    // its text, and no hole for it.)
    let quote = string_quote(format);
    let mut text = String::new();
    let mut layout = Vec::new();
    let mut start = 0;
    if let [Piece::Text(whole)] = pieces {
        // No hole: the whole page, of any size, in one chunk.
        return Some((shared(whole.clone()), Layout::WHOLE));
    }
    for piece in pieces {
        let hole = match piece {
            Piece::Text(piece) => {
                text.push_str(piece);
                continue;
            }
            Piece::RequestId => Chunk::RequestId,
            Piece::Time => Chunk::Time,
        };
        text.push_str(quote);
        cut(&text, &mut start, &mut layout)?;
        layout.push(hole);
        text.push_str(quote);
    }
    cut(&text, &mut start, &mut layout)?;
    Some((shared(text), Layout::of(&layout)?))
}

/// `text` as a `Bytes` made shared now, when the layer is built, not on
/// the first failure: a `Bytes` from a buffer with room to spare is shared
/// at once, one from an exactly sized buffer on its first clone.
fn shared(text: String) -> Bytes {
    let text = Bytes::from(text);
    drop(text.clone());
    text
}

/// Ends the text chunk that began at `start`, if it holds anything;
/// `None` past the offsets a layout holds.
fn cut(text: &str, start: &mut usize, layout: &mut Vec<Chunk>) -> Option<()> {
    if text.len() > *start {
        let from = u16::try_from(*start).ok()?;
        let to = u16::try_from(text.len()).ok()?;
        layout.push(Chunk::Text(from, to));
        *start = text.len();
    }
    Some(())
}

/// The id as every format shows it unescaped: a copy of the few bytes of
/// the header (`http` does not lend a header value's `Bytes`), where the
/// page would be a copy of the whole page; `None` when some format would
/// escape it, or it would be cut short.
fn plain_id(id: &HeaderValue) -> Option<Bytes> {
    let bytes = id.as_bytes();
    (bytes.len() <= MAX_REQUEST_ID_LEN && is_plain(bytes)).then(|| Bytes::copy_from_slice(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_on_the_request_id_alone_is_prepared_both_ways() {
        let (_, prepared) = prepare(
            BodyFormat::Html,
            "{{#request_id}}Quote your id.{{/request_id}}{{^request_id}}No id.{{/request_id}}",
        );
        assert_eq!(filled(&prepared, None), "No id.");
        let id = HeaderValue::from_static("r-1");
        assert_eq!(filled(&prepared, Some(&id)), "Quote your id.");
    }

    const TIME: &str = "2031-01-02 03:04:05 UTC";

    /// The sample fields as a page is prepared: no id, no time.
    fn unprepared() -> Fields<'static> {
        Fields {
            time: None,
            ..Fields::sample()
        }
    }

    /// `source` parsed as a template of `format`, and prepared.
    fn prepare(format: BodyFormat, source: &str) -> (Template, Prepared) {
        let template = Template::parse(format, source).unwrap();
        let prepared = Prepared::of(&template, &unprepared());
        (template, prepared)
    }

    /// `prepared`'s body for a request with `id`, failed at `TIME`.
    fn filled(prepared: &Prepared, id: Option<&HeaderValue>) -> Bytes {
        prepared
            .body(id, || Bytes::from_static(TIME.as_bytes()))
            .into_bytes()
    }

    #[test]
    fn prepared_bodies_fill_every_hole_as_a_full_render_would() {
        let (template, prepared) = prepare(
            BodyFormat::Json,
            r#"{"a": {{request_id}}, "b": [{{request_id}}], "s": {{status}}, "t": {{time}}}"#,
        );
        let without_id = filled(&prepared, None);
        assert_eq!(
            without_id,
            format!(r#"{{"a": null, "b": [null], "s": 502, "t": "{TIME}"}}"#)
        );
        assert_eq!(prepared.len(), without_id.len());
        let id = HeaderValue::from_static("r\"1");
        let mut fields = Fields::sample();
        fields.request_id = Some("r\"1".into());
        fields.time = Some(TIME);
        assert_eq!(filled(&prepared, Some(&id)), template.render(&fields));

        let (_, prepared) = prepare(BodyFormat::Html, "<p>{{status}}</p>");
        assert_eq!(filled(&prepared, Some(&id)), "<p>502</p>");
    }

    #[test]
    fn a_page_with_few_holes_is_sent_in_chunks_around_them() {
        let once = prepare(BodyFormat::Json, r#"{"t": {{time}}, "s": {{status}}}"#).1;
        assert!(once.without_id.chunks.is_some());
        assert_eq!(
            filled(&once, None),
            format!(r#"{{"t": "{TIME}", "s": 502}}"#)
        );

        let twice = prepare(BodyFormat::Html, "<p>{{time}}</p><p>{{time}}</p>").1;
        assert!(
            twice.without_id.chunks.is_some(),
            "a time twice is 5 chunks"
        );
        assert_eq!(filled(&twice, None), format!("<p>{TIME}</p><p>{TIME}</p>"));

        let thrice = prepare(BodyFormat::Html, "<p>{{time}}</p><p>{{time}}</p>{{time}}.").1;
        assert!(thrice.without_id.chunks.is_none(), "7 chunks are too many");
        assert_eq!(
            filled(&thrice, None),
            format!("<p>{TIME}</p><p>{TIME}</p>{TIME}.")
        );
    }

    #[test]
    fn ids_at_the_length_limit_and_shown_twice_are_as_rendered() {
        let (template, prepared) = prepare(
            BodyFormat::Html,
            "<p>{{request_id}}{{time}}{{request_id}}</p>",
        );
        assert!(
            prepared.with_id.as_ref().unwrap().chunks.is_some(),
            "5 chunks"
        );
        for len in [
            MAX_REQUEST_ID_LEN - 1,
            MAX_REQUEST_ID_LEN,
            MAX_REQUEST_ID_LEN + 1,
        ] {
            let value = HeaderValue::from_str(&"7".repeat(len)).unwrap();
            // As a full render is given it: cut to the limit.
            let mut fields = Fields::sample();
            fields.request_id = Some(request_id_text(&value));
            fields.time = Some(TIME);
            assert_eq!(
                fields.request_id.as_deref().map(str::len),
                Some(len.min(MAX_REQUEST_ID_LEN))
            );
            assert_eq!(
                filled(&prepared, Some(&value)),
                template.render(&fields),
                "{len}"
            );
        }
    }

    #[test]
    fn a_large_page_is_shared_whole_or_written_out_around_its_holes() {
        let big = "x".repeat(70_000);
        let whole = prepare(BodyFormat::Html, &big).1;
        let (text, _) = whole.without_id.chunks.as_ref().unwrap();
        let body = whole.body(None, || Bytes::from_static(TIME.as_bytes()));
        assert!(body.shares(text), "a page with no hole is never copied");
        assert_eq!(body.len(), 70_000);

        let source = format!("{big}{{{{time}}}}");
        let holed = prepare(BodyFormat::Html, &source).1;
        assert!(holed.without_id.chunks.is_none(), "past a layout's offsets");
        assert_eq!(filled(&holed, None), format!("{big}{TIME}"));
    }

    #[test]
    fn an_id_that_needs_no_escaping_is_sent_as_it_came() {
        for format in BodyFormat::ALL {
            let (template, prepared) = prepare(
                format,
                if format == BodyFormat::Json {
                    r#"{"id": {{request_id}}, "t": {{time}}}"#
                } else {
                    "<p>{{request_id}}</p>{{time}}!"
                },
            );
            assert!(prepared.with_id.as_ref().unwrap().chunks.is_some());
            for id in [
                "0f8fad5b-d9cb-469f-a165-70867728950e",
                "a b",
                "",
                "x<y",
                "q\"",
                "é",
            ] {
                let value = HeaderValue::from_bytes(id.as_bytes()).unwrap();
                let mut fields = Fields::sample();
                fields.request_id = Some(id.into());
                fields.time = Some(TIME);
                assert_eq!(
                    filled(&prepared, Some(&value)),
                    template.render(&fields),
                    "{format:?} {id:?}"
                );
            }
            let (text, _) = prepared.with_id.as_ref().unwrap().chunks.as_ref().unwrap();
            let id = HeaderValue::from_static("req-1");
            let body = prepared.body(Some(&id), || Bytes::from_static(TIME.as_bytes()));
            assert!(
                body.shares(text),
                "{format:?}: the page's text is not copied"
            );
        }
        let long = "x".repeat(MAX_REQUEST_ID_LEN + 1);
        assert!(plain_id(&HeaderValue::from_str(&long).unwrap()).is_none());
        assert!(plain_id(&HeaderValue::from_static("it's")).is_none());
    }
}
