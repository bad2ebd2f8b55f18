//! [`ResponseBody`]: the upstream's body passed through, or the generated one.

use std::fmt;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

use crate::lifecycle::{BodyEnd, BodyWatch, Chunks};
use crate::BoxError;

pin_project! {
    /// The body of every response from a
    /// [`GatewayErrorService`](crate::GatewayErrorService): the upstream's own
    /// body, passed through frame by frame, or the bytes of an error
    /// response the layer wrote.
    ///
    /// The status of a response cannot change once its head is sent, so a
    /// failure in the middle of the upstream's body (the upstream resets, or
    /// closes before `Content-Length` bytes) is passed on as this body's
    /// error: the server then aborts the response and the client sees a
    /// broken transfer, never a clean short body. A gRPC call answered with
    /// a gRPC stream gets `grpc-status` and `grpc-message` trailers
    /// instead, which end its stream with a status. Either way the layer's
    /// hook and log are told, as
    /// [`HttpResponseIncomplete`](crate::UpstreamErrorKind::HttpResponseIncomplete).
    pub struct ResponseBody<B> {
        #[pin]
        kind: Kind<B>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<B> {
        Upstream {
            #[pin]
            body: B,
            watch: Option<BodyWatch>,
        },
        Generated {
            data: Chunks,
        },
    }
}

impl<B> ResponseBody<B> {
    /// Wraps the upstream's own body, passed through untouched; for code
    /// that builds responses itself with
    /// [`GatewayErrorLayer::error_response`](crate::GatewayErrorLayer::error_response).
    /// No hook or log event sees its failures.
    pub fn upstream(body: B) -> Self {
        Self {
            kind: Kind::Upstream { body, watch: None },
        }
    }

    pub(crate) fn watched(body: B, watch: BodyWatch) -> Self {
        Self {
            kind: Kind::Upstream {
                body,
                watch: Some(watch),
            },
        }
    }

    pub(crate) fn generated(data: impl Into<Chunks>) -> Self {
        Self {
            kind: Kind::Generated { data: data.into() },
        }
    }

    pub(crate) fn empty() -> Self {
        Self::generated(Chunks::default())
    }
}

/// An empty body, for middleware that writes responses of its own (tower-http's
/// `TimeoutLayer` stacked outside this layer needs it).
impl<B> Default for ResponseBody<B> {
    fn default() -> Self {
        Self::empty()
    }
}

impl<B> Body for ResponseBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let mut kind = self.project().kind;
        let error = match kind.as_mut().project() {
            KindProj::Upstream { body, watch } => match ready!(body.poll_frame(cx)) {
                Some(Ok(frame)) => return Poll::Ready(Some(Ok(frame))),
                None => return Poll::Ready(None),
                Some(Err(error)) => match watch.take() {
                    None => error.into(),
                    Some(watch) => match watch.on_error(error.into()) {
                        BodyEnd::Error(error) => error,
                        BodyEnd::Trailers(trailers) => {
                            kind.set(Kind::Generated {
                                data: Chunks::default(),
                            });
                            return Poll::Ready(Some(Ok(Frame::trailers(trailers))));
                        }
                    },
                },
            },
            KindProj::Generated { data } => {
                return Poll::Ready(data.next_chunk().map(|d| Ok(Frame::data(d))));
            }
        };
        // The failed upstream body is dropped, so a later poll cannot read a
        // clean end from it.
        kind.set(Kind::Generated {
            data: Chunks::default(),
        });
        Poll::Ready(Some(Err(error)))
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Upstream { body, .. } => body.is_end_stream(),
            Kind::Generated { data } => data.is_empty(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Upstream { body, .. } => body.size_hint(),
            Kind::Generated { data } => SizeHint::with_exact(data.len() as u64),
        }
    }
}

impl<B> fmt::Debug for ResponseBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Upstream { watch, .. } => f
                .debug_struct("ResponseBody::Upstream")
                .field("watched", &watch.is_some())
                .finish_non_exhaustive(),
            Kind::Generated { data } => f
                .debug_struct("ResponseBody::Generated")
                .field("len", &data.len())
                .finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::task::Waker;

    use http_body::Body as _;

    use super::*;
    use crate::respond::{Chunk, Layout};

    type Polled<B> = Poll<Option<Result<Frame<<B as Body>::Data>, <B as Body>::Error>>>;

    fn poll<B: Body + Unpin>(body: &mut B) -> Polled<B> {
        Pin::new(body).poll_frame(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn a_generated_body_is_one_frame_of_known_size() {
        let mut body = ResponseBody::<String>::generated(Bytes::from_static(b"502 Bad Gateway"));
        assert_eq!(body.size_hint().exact(), Some(15));
        assert!(!body.is_end_stream());
        let Poll::Ready(Some(Ok(frame))) = poll(&mut body) else {
            panic!("one data frame");
        };
        assert_eq!(frame.into_data().unwrap(), "502 Bad Gateway");
        assert!(body.is_end_stream());
        assert!(matches!(poll(&mut body), Poll::Ready(None)));

        let empty = ResponseBody::<String>::generated(Bytes::new());
        assert!(empty.is_end_stream());
        assert_eq!(
            ResponseBody::<String>::default().size_hint().exact(),
            Some(0)
        );
    }

    #[test]
    fn a_page_sent_around_its_time_is_three_frames_of_known_size() {
        let page = Layout::of(&[Chunk::Text(0, 3), Chunk::Time, Chunk::Text(3, 7)]).unwrap();
        let mut body = ResponseBody::<String>::generated(Chunks::new(
            Bytes::from_static(b"<p></p>"),
            page,
            Bytes::new(),
            Bytes::from_static(b"2031-01-02 03:04:05 UTC"),
        ));
        assert_eq!(body.size_hint().exact(), Some(30));
        let mut sent = Vec::new();
        while let Poll::Ready(Some(Ok(frame))) = poll(&mut body) {
            sent.push(frame.into_data().unwrap());
            assert_eq!(
                body.size_hint().exact(),
                Some(30 - sent.iter().map(Bytes::len).sum::<usize>() as u64),
                "the hint is what is left"
            );
        }
        assert_eq!(sent, ["<p>", "2031-01-02 03:04:05 UTC", "</p>"]);
        assert!(body.is_end_stream());

        // An empty chunk (no request id) is no frame: the end comes right
        // after the last.
        let page = Layout::of(&[Chunk::Text(0, 1), Chunk::RequestId, Chunk::Text(1, 2)]).unwrap();
        let mut body = ResponseBody::<String>::generated(Chunks::new(
            Bytes::from_static(b"ab"),
            page,
            Bytes::new(),
            Bytes::new(),
        ));
        assert!(matches!(poll(&mut body), Poll::Ready(Some(Ok(_)))));
        assert!(!body.is_end_stream());
        assert!(matches!(poll(&mut body), Poll::Ready(Some(Ok(_)))));
        assert!(body.is_end_stream());
        assert!(matches!(poll(&mut body), Poll::Ready(None)));
    }

    /// An upstream body that sends one frame, then fails.
    struct Breaks(bool);

    impl Body for Breaks {
        type Data = Bytes;
        type Error = std::io::Error;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
            if std::mem::replace(&mut self.0, true) {
                Poll::Ready(Some(Err(std::io::ErrorKind::ConnectionReset.into())))
            } else {
                Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b"0123")))))
            }
        }
    }

    #[test]
    fn an_upstream_body_passes_through_and_its_failure_ends_it() {
        let mut body = ResponseBody::upstream(Breaks(false));
        assert!(matches!(poll(&mut body), Poll::Ready(Some(Ok(_)))));
        let Poll::Ready(Some(Err(error))) = poll(&mut body) else {
            panic!("the upstream's failure is the body's");
        };
        assert!(
            error.is::<std::io::Error>(),
            "unwatched: passed on as it is"
        );
        // The failed body is dropped: no clean end can follow.
        assert!(matches!(poll(&mut body), Poll::Ready(None)));
    }
}
