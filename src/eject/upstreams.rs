//! Which state a request's upstream has: one for the layer, or one per
//! key (its authority, a header) in a table of bounded size.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Mutex};

use http::{header, Request};

use super::health::Health;
use super::UpstreamKey;

pub(super) enum Upstreams {
    One(Arc<Health>),
    Keyed {
        key: UpstreamKey,
        max: usize,
        /// By the key's hash: 64 bits, so two upstreams sharing a state is
        /// not a practical concern, and the table keeps no request's bytes.
        table: Mutex<HashMap<u64, Arc<Health>>>,
        hasher: RandomState,
    },
}

impl Upstreams {
    pub(super) fn one() -> Self {
        Self::One(Arc::default())
    }

    pub(super) fn keyed(key: UpstreamKey, max: usize) -> Self {
        Self::Keyed {
            key,
            max,
            table: Mutex::default(),
            hasher: RandomState::new(),
        }
    }

    /// The state of `request`'s upstream; `None` when it is not tracked.
    /// `now` is the ejector's clock, read only for the keyed table.
    #[inline]
    pub(super) fn find<B>(
        &self,
        request: &Request<B>,
        now: impl FnOnce() -> u64,
    ) -> Option<Arc<Health>> {
        match self {
            Self::One(health) => Some(health.clone()),
            Self::Keyed {
                key,
                max,
                table,
                hasher,
            } => {
                let hash = hash_key(key, hasher, request)?;
                let now = now();
                let mut table = table
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                if let Some(health) = table.get(&hash) {
                    health.touch(now);
                    return Some(health.clone());
                }
                if table.len() >= *max {
                    // Forget an upstream that is neither ejected nor
                    // probed and has no call under way: one with nothing
                    // to remember first, then the one unused the longest.
                    // If none, this one goes untracked. A scan, under the
                    // lock, only when the table is full and a new
                    // upstream comes.
                    let forget = table
                        .iter()
                        .filter(|(_, health)| Arc::strong_count(health) == 1)
                        .filter_map(|(&hash, health)| Some((health.forgettable(now)?, hash)))
                        .min()
                        .map(|(_, hash)| hash)?;
                    table.remove(&forget);
                }
                let health = Arc::<Health>::default();
                health.touch(now);
                table.insert(hash, health.clone());
                Some(health)
            }
        }
    }
}

/// The hash of `request`'s key, `None` when it has none.
fn hash_key<B>(key: &UpstreamKey, hasher: &RandomState, request: &Request<B>) -> Option<u64> {
    let mut state = hasher.build_hasher();
    match key {
        UpstreamKey::Authority => {
            let authority = match request.uri().authority() {
                Some(authority) => authority.as_str().as_bytes(),
                None => request.headers().get(header::HOST)?.as_bytes(),
            };
            // Host and port, without any userinfo, the host without case.
            let authority = match authority.iter().rposition(|&b| b == b'@') {
                Some(at) => &authority[at + 1..],
                None => authority,
            };
            for byte in authority {
                state.write_u8(byte.to_ascii_lowercase());
            }
        }
        UpstreamKey::Header(name) => state.write(request.headers().get(name)?.as_bytes()),
    }
    Some(state.finish())
}

impl fmt::Debug for Upstreams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::One(health) => f.debug_tuple("One").field(health).finish(),
            Self::Keyed { key, max, .. } => f
                .debug_struct("Keyed")
                .field("key", key)
                .field("max", max)
                .finish_non_exhaustive(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to(authority: &str) -> Request<()> {
        Request::get(format!("http://{authority}/"))
            .body(())
            .unwrap()
    }

    fn now() -> u64 {
        1
    }

    #[test]
    fn each_authority_has_its_own_state_and_the_table_is_bounded() {
        let upstreams = Upstreams::keyed(UpstreamKey::Authority, 2);
        let a = upstreams.find(&to("a.example:80"), now).unwrap();
        let same = upstreams.find(&to("user@A.EXAMPLE:80"), now).unwrap();
        assert!(Arc::ptr_eq(&a, &same), "authority compared without case");
        let by_host = Request::get("/")
            .header("host", "a.example:80")
            .body(())
            .unwrap();
        assert!(Arc::ptr_eq(&a, &upstreams.find(&by_host, now).unwrap()));
        let b = upstreams.find(&to("b.example"), now).unwrap();
        assert!(!Arc::ptr_eq(&a, &b));
        // Full, and both in use: a third upstream is not tracked.
        assert!(upstreams.find(&to("c.example"), now).is_none());
        // Once `b` is no longer in use, it makes room.
        drop(b);
        assert!(upstreams.find(&to("c.example"), now).is_some());
        assert!(upstreams.find(&Request::new(()), now).is_none(), "no key");
    }
}
