//! [`Chunks`]: the bytes of a generated body, in up to three chunks, so a
//! page prepared when the layer was built is sent around the time of the
//! failure without being copied.

use bytes::Bytes;

/// A generated body: its chunks, sent in order as one data frame each.
///
/// A prepared page that shows the time is the text before it, the time,
/// and the text after it; each chunk is a shared `Bytes`, so an answer
/// costs three reference counts, not a copy of the page and an
/// allocation.
#[derive(Debug, Clone, Default)]
pub(crate) struct Chunks {
    /// Sent from the first; empty chunks are skipped.
    chunks: [Bytes; 3],
}

impl Chunks {
    /// `time` with the text `before` and `after` it.
    pub(crate) fn around(before: Bytes, time: Bytes, after: Bytes) -> Self {
        Self {
            chunks: [before, time, after],
        }
    }

    /// How many bytes are left to send.
    pub(crate) fn len(&self) -> usize {
        self.chunks.iter().map(Bytes::len).sum()
    }

    /// Whether nothing is left to send.
    pub(crate) fn is_empty(&self) -> bool {
        self.chunks.iter().all(Bytes::is_empty)
    }

    /// The next chunk to send, or `None` when all were sent.
    pub(crate) fn next_chunk(&mut self) -> Option<Bytes> {
        self.chunks
            .iter_mut()
            .find(|chunk| !chunk.is_empty())
            .map(std::mem::take)
    }

    /// All that is left, as one `Bytes`: free when it is one chunk.
    #[cfg(any(test, feature = "axum"))]
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
}

impl From<Bytes> for Chunks {
    fn from(bytes: Bytes) -> Self {
        Self {
            chunks: [bytes, Bytes::new(), Bytes::new()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_sent_in_order_and_empty_ones_skipped() {
        let mut chunks = Chunks::around(
            Bytes::from_static(b"<p>"),
            Bytes::new(),
            Bytes::from_static(b"</p>"),
        );
        assert_eq!(chunks.len(), 7);
        assert!(!chunks.is_empty());
        assert_eq!(chunks.next_chunk().unwrap(), "<p>");
        assert_eq!(chunks.next_chunk().unwrap(), "</p>");
        assert!(chunks.is_empty());
        assert_eq!(chunks.next_chunk(), None);
    }

    #[test]
    fn into_bytes_joins_the_chunks_left() {
        let chunks = Chunks::around(
            Bytes::from_static(b"a"),
            Bytes::from_static(b"bc"),
            Bytes::from_static(b"d"),
        );
        assert_eq!(chunks.into_bytes(), "abcd");
        let one = Bytes::from_static(b"whole");
        let chunks = Chunks::from(one.clone());
        assert_eq!(
            chunks.into_bytes().as_ptr(),
            one.as_ptr(),
            "one chunk is not copied"
        );
        assert_eq!(Chunks::default().into_bytes(), "");
    }
}
