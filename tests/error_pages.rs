//! The pages a visitor sees: in their language, with advice that follows
//! `Retry-After`, a support link that is checked and escaped, the time, and
//! within the size budget. Over real sockets to an upstream that refuses,
//! except the size budget, which renders every kind (no socket makes every
//! kind happen on demand).

mod support;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use tower::{service_fn, Layer, ServiceExt};
use tower_gateway_error::render::{BodyFormat, Translation};
use tower_gateway_error::retry::RetryAfter;
use tower_gateway_error::{ConfigError, GatewayErrorLayer, UpstreamError, UpstreamErrorKind};

use support::*;

const HTML: &str = "text/html";

/// One failure of a refused upstream through `layer`: status, headers and
/// body as text.
async fn refused_through(
    layer: &GatewayErrorLayer,
    headers: &[(&str, &str)],
) -> (Response<()>, String) {
    let addr = closed_port().await;
    let response = layer
        .layer(client())
        .oneshot(get(&format!("http://{addr}/orders"), headers))
        .await
        .unwrap();
    let (head, body) = response.into_parts();
    let body = body_bytes(Response::new(body)).await;
    let text = String::from_utf8(body.to_vec()).unwrap();
    assert_no_leak(&text, addr);
    (Response::from_parts(head, ()), text)
}

#[tokio::test]
async fn the_page_is_in_the_visitors_language() {
    let layer = GatewayErrorLayer::new();
    for (accept_language, lang, heading) in [
        (None, "en", "This site can’t reach its server"),
        (
            Some("de-CH, en;q=0.5"),
            "de",
            "Diese Website erreicht ihren Server nicht",
        ),
        (
            Some("fr;q=0, es;q=0.8, en;q=0.1"),
            "es",
            "Este sitio no puede conectar con el servidor",
        ),
        (
            Some("zh-CN,zh;q=0.9"),
            "zh-Hans",
            "本网站无法连接到其服务器",
        ),
        (Some("ja"), "ja", "このサイトはサーバーに接続できません"),
        (
            Some("pt-BR"),
            "pt-BR",
            "Este site não consegue se conectar ao servidor",
        ),
        (
            Some("en;q=0, *"),
            "de",
            "Diese Website erreicht ihren Server nicht",
        ),
        (
            Some("fr-CA"),
            "fr",
            "Ce site ne parvient pas à joindre son serveur",
        ),
        (
            Some("nl, sv;q=0.5"),
            "en",
            "This site can’t reach its server",
        ),
        (Some("de;q=0"), "en", "This site can’t reach its server"),
        // A refused language, by no route: not by truncating `de-CH`, not
        // by prefix.
        (
            Some("de-CH, de;q=0"),
            "en",
            "This site can’t reach its server",
        ),
        (
            Some("zh, zh-Hans;q=0"),
            "en",
            "This site can’t reach its server",
        ),
        // Chrome's default in Taiwan: Traditional, not offered, and a `zh`
        // that means it too: English, never Simplified.
        (
            Some("zh-TW,zh;q=0.9,en-US;q=0.8,en;q=0.7"),
            "en",
            "This site can’t reach its server",
        ),
        (
            Some("zh-HK, zh;q=0.5"),
            "en",
            "This site can’t reach its server",
        ),
        // The Brazilian pages, truthfully labelled, for any Portuguese.
        (
            Some("pt-PT"),
            "pt-BR",
            "Este site não consegue se conectar ao servidor",
        ),
    ] {
        let mut headers = vec![("accept", HTML)];
        headers.extend(accept_language.map(|value| ("accept-language", value)));
        let (head, page) = refused_through(&layer, &headers).await;
        let case = format!("{accept_language:?}");
        assert_eq!(head.status(), StatusCode::BAD_GATEWAY, "{case}");
        assert_eq!(head.headers()["content-language"], lang, "{case}");
        assert_eq!(head.headers()["vary"], "accept, accept-language", "{case}");
        assert!(
            page.contains(&format!("<html lang=\"{lang}\">")),
            "{case}: {page}"
        );
        assert!(
            page.contains(&format!("<h1>{heading}</h1>")),
            "{case}: {page}"
        );
        assert_eq!(head.headers()["content-length"], page.len().to_string());
    }
}

/// `Accept` and `Accept-Language` sent as several field lines are one list
/// each (RFC 9110 §5.3), not their first line.
#[tokio::test]
async fn several_field_lines_are_one_list() {
    let layer = GatewayErrorLayer::new();
    let (head, page) = refused_through(
        &layer,
        &[
            ("accept", "text/html;q=0.1"),
            ("accept", "application/json"),
            ("accept-language", "nl;q=0.9"),
            ("accept-language", "fr"),
        ],
    )
    .await;
    assert_eq!(head.headers()["content-type"], "application/problem+json");
    assert!(page.starts_with('{'), "{page}");
    let (head, _) = refused_through(
        &layer,
        &[
            ("accept", "text/html"),
            ("accept-language", "nl;q=0.9"),
            ("accept-language", "fr"),
        ],
    )
    .await;
    assert_eq!(head.headers()["content-language"], "fr");
}

#[tokio::test]
async fn text_pages_are_translated_and_json_stays_as_it_is() {
    let layer = GatewayErrorLayer::new();
    let (head, text) = refused_through(
        &layer,
        &[("accept", "text/plain"), ("accept-language", "ja")],
    )
    .await;
    assert_eq!(head.headers()["content-language"], "ja");
    assert!(
        text.starts_with("エラー 502: このサイトはサーバーに接続できません\n"),
        "{text}"
    );
    assert!(
        text.contains("エラーの種類: connection_refused\n"),
        "{text}"
    );

    let (head, json) = refused_through(
        &layer,
        &[("accept", "application/json"), ("accept-language", "ja")],
    )
    .await;
    assert!(head.headers().get("content-language").is_none());
    assert_eq!(head.headers()["vary"], "accept");
    let problem: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(problem["title"], "Bad Gateway");
    assert_eq!(
        problem["detail"],
        "The upstream server refused the connection."
    );
}

#[tokio::test]
async fn a_language_of_your_own_and_a_default() {
    // A new language must set every string: build it from the errors,
    // which name the first string missing each time.
    let mut dutch = Translation::new("nl");
    let mut keys = Vec::new();
    loop {
        match GatewayErrorLayer::builder()
            .translation(dutch.clone())
            .build()
        {
            Ok(_) => break,
            Err(ConfigError::Translation(error)) => {
                let message = error.to_string();
                let key = message
                    .split('`')
                    .nth(1)
                    .expect("the key is named")
                    .to_owned();
                assert!(!keys.contains(&key), "{key} asked for twice");
                let value = match key.as_str() {
                    "retry_in_seconds" => "Probeer het over {n} seconden opnieuw.",
                    "retry_in_minutes" => "Probeer het over {n} minuten opnieuw.",
                    "unreachable_heading" => "Deze site bereikt zijn server niet",
                    _ => "NL",
                };
                dutch = dutch.text(key.clone(), value);
                keys.push(key);
            }
            Err(other) => panic!("{other}"),
        }
    }
    assert!(keys.len() > 40, "{keys:?}");

    let layer = GatewayErrorLayer::builder()
        .translation(dutch)
        .translation(Translation::new("de").text("support_link", "Zum Statusportal"))
        .default_language("nl")
        .support_url("https://status.example.com")
        .build()
        .unwrap();
    let (head, page) =
        refused_through(&layer, &[("accept", HTML), ("accept-language", "sv")]).await;
    assert_eq!(head.headers()["content-language"], "nl");
    assert!(
        page.contains("<h1>Deze site bereikt zijn server niet</h1>"),
        "{page}"
    );
    let (_, page) =
        refused_through(&layer, &[("accept", HTML), ("accept-language", "de-AT")]).await;
    assert!(page.contains(">Zum Statusportal</a>"), "{page}");
    assert!(
        page.contains("<h1>Diese Website erreicht ihren Server nicht</h1>"),
        "{page}"
    );

    let unknown = GatewayErrorLayer::builder()
        .languages(["en", "nl"])
        .build()
        .unwrap_err();
    assert!(
        unknown
            .to_string()
            .contains("there is no language nl; use one of en, de"),
        "{unknown}"
    );
}

#[tokio::test]
async fn the_advice_follows_retry_after() {
    for (retry_after, language, advice) in [
        (
            None,
            "en",
            "This is usually temporary. Try again in a few minutes.",
        ),
        (Some(30), "en", "Try again in 30 seconds."),
        (Some(30), "de", "Versuchen Sie es in 30 Sekunden erneut."),
        (Some(600), "fr", "Réessayez dans 10 minutes."),
        (Some(125), "en", "Try again in 3 minutes."),
        (Some(1), "en", "Try again in 1 second."),
        (Some(1), "fr", "Réessayez dans 1 seconde."),
        (Some(0), "en", "Try again in a moment."),
    ] {
        let mut builder = GatewayErrorLayer::builder();
        if let Some(seconds) = retry_after {
            builder = builder.retry_after_for(
                UpstreamErrorKind::ConnectionRefused,
                RetryAfter::from(Duration::from_secs(seconds)),
            );
        }
        let layer = builder.build().unwrap();
        for accept in [HTML, "text/plain"] {
            let (head, page) =
                refused_through(&layer, &[("accept", accept), ("accept-language", language)]).await;
            let case = format!("{retry_after:?} {language} {accept}");
            assert_eq!(
                head.headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap().to_owned()),
                retry_after.map(|s| s.to_string()),
                "{case}"
            );
            assert!(page.contains(advice), "{case}: {page}");
        }
    }
}

/// A language whose numbers take several forms, built from the public
/// API: Polish, with its CLDR rule (one; few for 2–4, 22–24, …; many for
/// the rest of the whole numbers).
#[tokio::test]
async fn a_translation_gives_each_plural_form_its_numbers() {
    use tower_gateway_error::render::PluralCategory::{self, Few, Many, One};
    fn polish(n: u64) -> PluralCategory {
        if n == 1 {
            One
        } else if (2..=4).contains(&(n % 10)) && !(12..=14).contains(&(n % 100)) {
            Few
        } else {
            Many
        }
    }
    let mut pl = Translation::new("pl").plural_rule(polish);
    for key in [
        "error",
        "what_you_can_do",
        "where_it_failed",
        "you",
        "this_site",
        "server",
        "hop_visitor",
        "hop_upstream",
        "working",
        "failed",
        "not_tried",
        "answered_with_error",
        "details",
        "error_type",
        "request_id",
        "quote_request_id",
        "time",
        "support_link",
        "retry_soon",
        "check_before_resending",
    ] {
        pl = pl.text(key, format!("pl {key}"));
    }
    for situation in [
        "unreachable",
        "timeout",
        "broken",
        "invalid",
        "secure",
        "busy",
        "refused",
        "upstream_error",
        "failed",
    ] {
        for part in ["heading", "what", "advice"] {
            let key = format!("{situation}_{part}");
            pl = pl.text(key.clone(), format!("pl {key}"));
        }
    }
    let pl = pl
        // `other` is for fractions in Polish: never a whole number of
        // seconds, so it must never show here.
        .text("retry_in_seconds", "Spróbuj ponownie za {n} s (other).")
        .plural("retry_in_seconds", One, "Spróbuj ponownie za {n} sekundę.")
        .plural("retry_in_seconds", Few, "Spróbuj ponownie za {n} sekundy.")
        .plural("retry_in_seconds", Many, "Spróbuj ponownie za {n} sekund.")
        .text("retry_in_minutes", "Spróbuj ponownie za {n} minut.")
        .plural("retry_in_minutes", Few, "Spróbuj ponownie za {n} minuty.");
    for (seconds, advice) in [
        (1, "za 1 sekundę."),
        (2, "za 2 sekundy."),
        (5, "za 5 sekund."),
        (22, "za 22 sekundy."),
        (25, "za 25 sekund."),
        (12, "za 12 sekund."),
        (180, "za 3 minuty."),
        (300, "za 5 minut."),
    ] {
        let layer = GatewayErrorLayer::builder()
            .translation(pl.clone())
            .retry_after(RetryAfter::seconds(seconds))
            .build()
            .unwrap();
        let (head, page) = refused_through(
            &layer,
            &[("accept", "text/plain"), ("accept-language", "pl")],
        )
        .await;
        assert_eq!(head.headers()["content-language"], "pl");
        assert!(page.contains(advice), "{seconds}: {page}");
    }
    // Forms without a rule to pick them, or for a string with no number,
    // are refused with what to do.
    let error = GatewayErrorLayer::builder()
        .translation(Translation::new("xx").plural("retry_in_seconds", Few, "{n} x"))
        .build()
        .unwrap_err();
    assert!(error.to_string().contains("plural_rule"), "{error}");
    let error = GatewayErrorLayer::builder()
        .translation(Translation::new("en").plural("error", Few, "{n} x"))
        .build()
        .unwrap_err();
    assert!(error.to_string().contains("shows no number"), "{error}");
}

#[tokio::test]
async fn timeouts_warn_before_a_form_is_sent_twice() {
    let stalling = raw_upstream(stall).await;
    let layer = GatewayErrorLayer::new();
    let gateway = layer.layer(tower::timeout::Timeout::new(
        client(),
        Duration::from_millis(200),
    ));
    let response = gateway
        .oneshot(get(&format!("http://{stalling}/"), &[("accept", HTML)]))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
    let page = String::from_utf8(body_bytes(response).await.to_vec()).unwrap();
    assert!(page.contains("<h1>The server took too long</h1>"), "{page}");
    assert!(
        page.contains("check whether it went through before you send it again"),
        "{page}"
    );
}

#[tokio::test]
async fn the_support_link_is_checked_and_escaped() {
    let layer = GatewayErrorLayer::builder()
        .support_url("https://help.example.com/status?from=502&lang='en'")
        .build()
        .unwrap();
    let (_, page) = refused_through(&layer, &[("accept", HTML)]).await;
    assert!(
        page.contains(
            "<a href=\"https://help.example.com/status?from=502&amp;lang=&#39;en&#39;\">Get help</a>"
        ),
        "{page}"
    );
    let (_, text) = refused_through(&layer, &[("accept", "text/plain")]).await;
    assert!(text.contains("Get help: https://help.example.com/status?from=502&lang='en'\n"));

    for (bad, reason) in [
        ("javascript:alert(1)", "only http and https"),
        ("/help", "not absolute"),
        ("https://example.com/\"><script>", "percent-encode"),
    ] {
        let error = GatewayErrorLayer::builder()
            .support_url(bad)
            .build()
            .unwrap_err();
        let message = error.to_string();
        assert!(message.contains(reason), "{bad}: {message}");
        assert!(
            message.contains("such as \"https://status.example.com\""),
            "{message}"
        );
    }
    // Without one, no link at all.
    let (_, page) = refused_through(&GatewayErrorLayer::new(), &[("accept", HTML)]).await;
    assert!(!page.contains("<a "), "{page}");
}

#[tokio::test]
async fn the_time_of_the_failure_is_on_the_page() {
    let layer = GatewayErrorLayer::new();
    let before = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let (_, text) = refused_through(&layer, &[("accept", "text/plain")]).await;
    let after = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let line = text
        .lines()
        .find_map(|line| line.strip_prefix("Time: "))
        .unwrap_or_else(|| panic!("no time in {text}"));
    // `YYYY-MM-DD hh:mm:ss UTC`, checked against the clock by its
    // time of day (the date part is checked by the crate's unit tests).
    assert!(line.ends_with(" UTC") && line.len() == 23, "{line}");
    let clock: Vec<u64> = line[11..19]
        .split(':')
        .map(|n| n.parse().unwrap())
        .collect();
    let seconds_of_day = clock[0] * 3600 + clock[1] * 60 + clock[2];
    assert!(
        (before % 86_400..=after % 86_400).contains(&seconds_of_day)
            || after % 86_400 < before % 86_400,
        "{line} is not between {before} and {after}"
    );
}

/// The page a gateway serves, over HTTP/1.1 and HTTP/2, is whole and as
/// long as it says: a prepared page is sent in chunks (its text around the
/// request id and the time), and each client must get them as one body of
/// `Content-Length` bytes, with the id in it, escaped when it must be.
#[tokio::test]
async fn a_page_sent_in_chunks_arrives_whole_over_http1_and_http2() {
    let upstream = closed_port().await;
    let gateway = serve(GatewayErrorLayer::new().layer(proxy_to(upstream))).await;
    for (protocol, client) in [("HTTP/1.1", client()), ("HTTP/2", h2_client())] {
        for accept in [HTML, "text/plain", "application/json"] {
            for (id, shown) in [
                (None, None),
                (Some("0f8fad5b-d9cb-469f"), Some("0f8fad5b-d9cb-469f")),
                (
                    Some("<b>"),
                    Some(match accept {
                        HTML => "&lt;b&gt;",
                        "text/plain" => "<b>",
                        _ => "\\u003cb\\u003e",
                    }),
                ),
            ] {
                let mut headers = vec![("accept", accept)];
                headers.extend(id.map(|id| ("x-request-id", id)));
                let url = format!("http://{gateway}/orders");
                let response = client.request(get(&url, &headers)).await.unwrap();
                assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
                let body = body_as_declared(response).await;
                let text = String::from_utf8(body.to_vec()).unwrap();
                let case = format!("{protocol} {accept} {id:?}");
                if let Some(shown) = shown {
                    assert!(text.contains(shown), "{case}: no {shown} in {text}");
                }
                let end = match accept {
                    HTML => "</html>",
                    "text/plain" => "UTC",
                    _ => "}",
                };
                assert!(text.trim_end().ends_with(end), "{case}: {text:?}");
                if accept != "application/json" {
                    assert!(text.contains(" UTC"), "{case}: no time in {text}");
                }
            }
        }
    }
}

/// Every kind's page in every language, with a request id and a support
/// link, stays under 3 KB.
#[tokio::test]
async fn every_page_fits_in_3_kb() {
    let layer = GatewayErrorLayer::builder()
        .support_url("https://status.example.com/?from=error-page")
        .build()
        .unwrap();
    let mut largest = (0, String::new());
    for &kind in UpstreamErrorKind::ALL {
        let failing = layer.layer(service_fn(move |_: Request<Full<Bytes>>| async move {
            Err::<Response<Full<Bytes>>, _>(UpstreamError::from_kind(kind))
        }));
        for language in ["en", "de", "es", "fr", "ja", "pt-BR", "zh-Hans"] {
            for accept in [HTML, "text/plain"] {
                let request = get(
                    "http://gateway.test/",
                    &[
                        ("accept", accept),
                        ("accept-language", language),
                        ("x-request-id", "5f0c6a2e-8d1b-4c3e-9f7a-2b6d4e8c1a90"),
                    ],
                );
                let response = failing.clone().oneshot(request).await.unwrap();
                let size = body_bytes(response).await.len();
                if size > largest.0 {
                    largest = (size, format!("{kind} {language} {accept}"));
                }
            }
        }
    }
    eprintln!("the largest page: {} bytes, {}", largest.0, largest.1);
    assert!(largest.0 < 3 * 1024, "{} bytes: {}", largest.0, largest.1);
}

/// WCAG 2's contrast ratio of two `#rrggbb` colours.
fn contrast(a: &str, b: &str) -> f64 {
    fn luminance(hex: &str) -> f64 {
        let hex = hex.trim_start_matches('#');
        let hex = if hex.len() == 3 {
            hex.chars().flat_map(|c| [c, c]).collect()
        } else {
            hex.to_owned()
        };
        let channel = |i: usize| {
            let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap()) / 255.0;
            if c <= 0.040_45 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4)
    }
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[tokio::test]
async fn text_contrast_is_at_least_4_5_to_1_in_light_and_dark() {
    let (_, page) = refused_through(&GatewayErrorLayer::new(), &[("accept", HTML)]).await;
    let css = &page[page.find("<style>").unwrap()..page.find("</style>").unwrap()];
    // The colour variables of each scheme: `:root{--f:#...;...}`.
    let schemes: Vec<Vec<(&str, &str)>> = css
        .match_indices(":root{")
        .map(|(at, _)| {
            let block = &css[at + 6..];
            block[..block.find('}').unwrap()]
                .split(';')
                .filter_map(|pair| pair.split_once(':'))
                .collect()
        })
        .collect();
    assert_eq!(schemes.len(), 2, "a light and a dark scheme: {css}");
    assert!(css.contains("@media(prefers-color-scheme:dark)"));
    for scheme in &schemes {
        let colour = |name: &str| {
            scheme
                .iter()
                .find(|(n, _)| *n == name)
                .unwrap_or_else(|| panic!("no {name} in {scheme:?}"))
                .1
        };
        // Text, muted text, "working" and "failed" on the background.
        for text in ["--f", "--m", "--ok", "--x"] {
            let ratio = contrast(colour(text), colour("--b"));
            assert!(ratio >= 4.5, "{text} on --b is {ratio:.2}:1 in {scheme:?}");
        }
    }
    assert!(page.contains("<html lang=\"en\">"));
    assert!(page.contains("<meta name=\"viewport\""));
    assert!(page.contains("<h1>") && page.contains("<h2>"));
}

#[tokio::test]
async fn an_intercepted_503_page_says_when_to_come_back() {
    let upstream = raw_upstream(reply(VALID_503)).await;
    let layer = GatewayErrorLayer::builder()
        .intercept([StatusCode::SERVICE_UNAVAILABLE])
        .fixed_format(BodyFormat::Text)
        .build()
        .unwrap();
    let response = layer
        .layer(client())
        .oneshot(get(
            &format!("http://{upstream}/"),
            &[("accept-language", "es")],
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "120");
    assert_eq!(response.headers()["content-language"], "es");
    assert_eq!(response.headers()["vary"], "accept-language");
    let text = String::from_utf8(body_bytes(response).await.to_vec()).unwrap();
    assert!(
        text.starts_with("Error 503: El servidor tuvo un problema\n"),
        "{text}"
    );
    assert!(
        text.contains("Vuelva a intentarlo dentro de 2 minutos."),
        "{text}"
    );
}
