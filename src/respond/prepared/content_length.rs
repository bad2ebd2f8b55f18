//! `Content-Length` values without an allocation ([`content_length`]): a
//! body with a request id in it has a length known only per failure, and
//! `HeaderValue::from(usize)` writes each into a new buffer.

use bytes::Bytes;
use http::HeaderValue;

/// The lengths with a value ready: bodies shorter than this (the built-in
/// pages are under 3 KB, a request id at most 128 bytes).
const READY: usize = 10_000;

/// The decimal numbers 0 to 9,999 one after another: 10 of one digit, 90
/// of two, 900 of three and 9,000 of four.
const DIGITS_LEN: usize = 10 + 90 * 2 + 900 * 3 + 9_000 * 4;

static DIGITS: [u8; DIGITS_LEN] = digits();

const fn digits() -> [u8; DIGITS_LEN] {
    let mut out = [0; DIGITS_LEN];
    let mut n = 0;
    let mut at = 0;
    while n < READY {
        let width = width(n);
        let mut left = n;
        let mut i = width;
        while i > 0 {
            i -= 1;
            out[at + i] = b'0' + (left % 10) as u8;
            left /= 10;
        }
        at += width;
        n += 1;
    }
    out
}

const fn width(n: usize) -> usize {
    match n {
        0..=9 => 1,
        10..=99 => 2,
        100..=999 => 3,
        _ => 4,
    }
}

/// Where `n` starts in [`DIGITS`].
const fn offset(n: usize) -> usize {
    match n {
        0..=9 => n,
        10..=99 => 10 + 2 * (n - 10),
        100..=999 => 190 + 3 * (n - 100),
        _ => 2_890 + 4 * (n - 1_000),
    }
}

/// `length` as a `Content-Length` value: a slice of a static buffer below
/// 10,000, so nothing is allocated or formatted.
pub(crate) fn content_length(length: usize) -> HeaderValue {
    if length >= READY {
        return HeaderValue::from(length);
    }
    let digits = &DIGITS[offset(length)..offset(length) + width(length)];
    HeaderValue::from_maybe_shared(Bytes::from_static(digits))
        .unwrap_or_else(|_| HeaderValue::from(length))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_length_is_its_decimal_number() {
        for length in (0..12_000).chain([usize::MAX]) {
            assert_eq!(content_length(length), length.to_string(), "{length}");
        }
    }
}
