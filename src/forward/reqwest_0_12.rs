//! [`Forward`] over reqwest 0.12, and over reqwest-middleware 0.4 with the
//! `reqwest-middleware-0-4` feature; see the [`forward`](super) module.

super::service::reqwest_forward!(
    reqwest_0_12,
    reqwest_middleware_0_4,
    "reqwest-middleware-0-4"
);
