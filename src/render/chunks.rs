//! [`Chunks`]: the bytes of a generated body, in up to three pieces, so a
//! page prepared when the layer was built is sent around the time of the
//! failure without being copied.

use bytes::Bytes;

/// A generated body: its pieces, sent in order as one data frame each.
///
/// A prepared page that shows the time is the text before it, the time,
/// and the text after it; each piece is a shared `Bytes`, so an answer
/// costs three reference counts, not a copy of the page and an
/// allocation.
#[derive(Debug, Clone, Default)]
pub(crate) struct Chunks {
    /// Sent from the first; empty pieces are skipped.
    pieces: [Bytes; 3],
}

impl Chunks {
    /// The pieces `before`, `middle` and `after`, in that order.
    pub(crate) fn three(before: Bytes, middle: Bytes, after: Bytes) -> Self {
        Self {
            pieces: [before, middle, after],
        }
    }

    /// How many bytes are left to send.
    pub(crate) fn len(&self) -> usize {
        self.pieces.iter().map(Bytes::len).sum()
    }

    /// Whether nothing is left to send.
    pub(crate) fn is_empty(&self) -> bool {
        self.pieces.iter().all(Bytes::is_empty)
    }

    /// The next piece to send, or `None` when all were sent.
    pub(crate) fn next_piece(&mut self) -> Option<Bytes> {
        self.pieces
            .iter_mut()
            .find(|piece| !piece.is_empty())
            .map(std::mem::take)
    }

    /// All that is left, as one `Bytes`: free when it is one piece.
    #[cfg(any(test, feature = "axum"))]
    pub(crate) fn into_bytes(mut self) -> Bytes {
        let Some(first) = self.next_piece() else {
            return Bytes::new();
        };
        if self.is_empty() {
            return first;
        }
        let mut all = bytes::BytesMut::with_capacity(first.len() + self.len());
        all.extend_from_slice(&first);
        while let Some(piece) = self.next_piece() {
            all.extend_from_slice(&piece);
        }
        all.freeze()
    }
}

impl From<Bytes> for Chunks {
    fn from(bytes: Bytes) -> Self {
        Self {
            pieces: [bytes, Bytes::new(), Bytes::new()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_are_sent_in_order_and_empty_ones_skipped() {
        let mut chunks = Chunks::three(
            Bytes::from_static(b"<p>"),
            Bytes::new(),
            Bytes::from_static(b"</p>"),
        );
        assert_eq!(chunks.len(), 7);
        assert!(!chunks.is_empty());
        assert_eq!(chunks.next_piece().unwrap(), "<p>");
        assert_eq!(chunks.next_piece().unwrap(), "</p>");
        assert!(chunks.is_empty());
        assert_eq!(chunks.next_piece(), None);
    }

    #[test]
    fn into_bytes_joins_the_pieces_left() {
        let chunks = Chunks::three(
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
            "one piece is not copied"
        );
        assert_eq!(Chunks::default().into_bytes(), "");
    }
}
