//! [`Chunks`]: the bytes of a generated body as a few chunks, so a page
//! prepared when the layer was built is sent around the request id and
//! the time of the failure without being copied.

use bytes::Bytes;

/// A generated body: a page's text, and the request id and the time to
/// send between its parts, each chunk one data frame.
///
/// The text chunks are slices of one shared `Bytes`, so an answer costs a
/// reference count, not a copy of the page and an allocation. It stays
/// small ([`Layout`] is a few numbers): a response holding it is moved
/// several times per failure, and `memcpy` costs more above 256 bytes.
#[derive(Debug, Clone, Default)]
pub(crate) struct Chunks {
    page: Bytes,
    id: Bytes,
    time: Bytes,
    layout: Layout,
    /// The next chunk of `layout` to send.
    next: u8,
}

/// What a body sends, in order: parts of its page, the id, the time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Layout([Chunk; Layout::MAX]);

/// One chunk of a [`Layout`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Chunk {
    /// Past the end.
    #[default]
    End,
    /// The whole page.
    Page,
    /// The page from one offset to another.
    Text(u16, u16),
    RequestId,
    Time,
}

impl Layout {
    /// The most chunks a body sends: the text around a request id and a
    /// time.
    pub(crate) const MAX: usize = 5;

    /// The whole page in one chunk.
    pub(crate) const WHOLE: Self = {
        let mut chunks = [Chunk::End; Self::MAX];
        chunks[0] = Chunk::Page;
        Self(chunks)
    };

    /// The layout of `chunks`, in order; `None` when they are more than
    /// [`MAX`](Self::MAX).
    pub(crate) fn of(chunks: &[Chunk]) -> Option<Self> {
        let mut layout = Self::default();
        layout.0.get_mut(..chunks.len())?.copy_from_slice(chunks);
        Some(layout)
    }

    /// Whether a chunk after the `at`-th sends what `chunk` does: the
    /// page (in part or whole), the id, or the time.
    fn again(&self, at: usize, chunk: Chunk) -> bool {
        let page = |chunk: &Chunk| matches!(chunk, Chunk::Page | Chunk::Text(..));
        self.0[at + 1..]
            .iter()
            .any(|later| *later == chunk || (page(later) && page(&chunk)))
    }
}

impl Chunks {
    /// `page`'s text in `layout`, with `id` and `time` in their places.
    pub(crate) fn new(page: Bytes, layout: Layout, id: Bytes, time: Bytes) -> Self {
        Self {
            page,
            id,
            time,
            layout,
            next: 0,
        }
    }

    fn chunk_len(&self, chunk: Chunk) -> usize {
        match chunk {
            Chunk::End => 0,
            Chunk::Page => self.page.len(),
            Chunk::Text(start, end) => usize::from(end - start),
            Chunk::RequestId => self.id.len(),
            Chunk::Time => self.time.len(),
        }
    }

    /// How many bytes are left to send.
    pub(crate) fn len(&self) -> usize {
        self.layout.0[usize::from(self.next)..]
            .iter()
            .map(|&chunk| self.chunk_len(chunk))
            .sum()
    }

    /// Whether nothing is left to send.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The next chunk to send, or `None` when all were sent; empty chunks
    /// are skipped. The last use of the page, the id or the time takes it
    /// rather than count one more reference.
    pub(crate) fn next_chunk(&mut self) -> Option<Bytes> {
        while usize::from(self.next) < Layout::MAX {
            let at = usize::from(self.next);
            self.next += 1;
            let chunk = self.layout.0[at];
            let bytes = match chunk {
                Chunk::End => return None,
                Chunk::Page | Chunk::Text(..) => {
                    let mut page = if self.layout.again(at, chunk) {
                        self.page.clone()
                    } else {
                        std::mem::take(&mut self.page)
                    };
                    if let Chunk::Text(start, end) = chunk {
                        page.truncate(usize::from(end));
                        let _ = page.split_to(usize::from(start));
                    }
                    page
                }
                Chunk::RequestId | Chunk::Time => {
                    let value = if chunk == Chunk::RequestId {
                        &mut self.id
                    } else {
                        &mut self.time
                    };
                    if self.layout.again(at, chunk) {
                        value.clone()
                    } else {
                        std::mem::take(value)
                    }
                }
            };
            if !bytes.is_empty() {
                return Some(bytes);
            }
        }
        None
    }

    /// All that is left, as one `Bytes`: free when it is one chunk.
    #[cfg(any(test, feature = "axum", feature = "pingora-proxy"))]
    pub(crate) fn into_bytes(mut self) -> Bytes {
        let Some(first) = self.next_chunk() else {
            return Bytes::new();
        };
        if self.is_empty() {
            return first;
        }
        let mut all = bytes::BytesMut::with_capacity(first.len() + self.len());
        all.extend_from_slice(&first);
        while let Some(chunk) = self.next_chunk() {
            all.extend_from_slice(&chunk);
        }
        all.freeze()
    }

    /// Whether the page's text is sent from `page` itself, not a copy.
    #[cfg(test)]
    pub(crate) fn shares(&self, page: &Bytes) -> bool {
        !page.is_empty() && self.page.as_ptr() == page.as_ptr()
    }
}

impl From<Bytes> for Chunks {
    fn from(page: Bytes) -> Self {
        Self::new(page, Layout::WHOLE, Bytes::new(), Bytes::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn around_time() -> Chunks {
        let layout = Layout::of(&[Chunk::Text(0, 3), Chunk::Time, Chunk::Text(3, 7)]).unwrap();
        Chunks::new(
            Bytes::from_static(b"<p></p>"),
            layout,
            Bytes::new(),
            Bytes::from_static(b"12:00"),
        )
    }

    #[test]
    fn chunks_are_sent_in_order_and_empty_ones_skipped() {
        let mut chunks = around_time();
        assert_eq!(chunks.len(), 12);
        assert!(!chunks.is_empty());
        assert_eq!(chunks.next_chunk().unwrap(), "<p>");
        assert_eq!(chunks.len(), 9, "what is left");
        assert_eq!(chunks.next_chunk().unwrap(), "12:00");
        assert_eq!(chunks.next_chunk().unwrap(), "</p>");
        assert!(chunks.is_empty());
        assert_eq!(chunks.next_chunk(), None);

        // The id is empty here: no chunk for it.
        let layout = Layout::of(&[Chunk::Text(0, 1), Chunk::RequestId, Chunk::Text(1, 2)]);
        let mut chunks = Chunks::new(
            Bytes::from_static(b"ab"),
            layout.unwrap(),
            Bytes::new(),
            Bytes::new(),
        );
        assert_eq!(chunks.next_chunk().unwrap(), "a");
        assert_eq!(chunks.next_chunk().unwrap(), "b");
        assert_eq!(chunks.next_chunk(), None);
    }

    #[test]
    fn a_value_shown_twice_is_sent_twice() {
        let layout = [Chunk::Time, Chunk::Text(0, 1), Chunk::Time];
        let chunks = Chunks::new(
            Bytes::from_static(b"|"),
            Layout::of(&layout).unwrap(),
            Bytes::new(),
            Bytes::from_static(b"t"),
        );
        assert_eq!(chunks.into_bytes(), "t|t");
        assert!(Layout::of(&[Chunk::Time; Layout::MAX + 1]).is_none());
    }

    #[test]
    fn into_bytes_joins_the_chunks_left() {
        assert_eq!(around_time().into_bytes(), "<p>12:00</p>");
        let one = Bytes::from_static(b"whole");
        let chunks = Chunks::from(one.clone());
        assert_eq!(chunks.len(), 5);
        assert_eq!(
            chunks.into_bytes().as_ptr(),
            one.as_ptr(),
            "one chunk is not copied"
        );
        assert_eq!(Chunks::default().into_bytes(), "");
        assert!(Chunks::default().is_empty());
    }
}
