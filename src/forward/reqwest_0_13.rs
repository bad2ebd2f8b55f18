//! [`Forward`] over reqwest 0.13, and over reqwest-middleware 0.5 with the
//! `reqwest-middleware-0-5` feature; see the [`forward`](super) module.

super::service::reqwest_forward!(
    reqwest_0_13,
    reqwest_middleware_0_5,
    "reqwest-middleware-0-5"
);
