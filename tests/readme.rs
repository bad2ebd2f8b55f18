//! The README's kind → status table must say what the code does.

use tower_gateway_error::UpstreamErrorKind;

mod support;

#[test]
fn the_readme_table_matches_every_kind() {
    let readme = include_str!("../README.md");
    for &kind in UpstreamErrorKind::ALL {
        let token = kind.as_str();
        let row = readme
            .lines()
            .find(|line| line.starts_with(&format!("| `{token}`")))
            .unwrap_or_else(|| panic!("README has no row for `{token}`"));
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        assert_eq!(
            cells[2],
            kind.default_status().as_str(),
            "status of {token}"
        );
        assert_eq!(
            cells[3],
            if kind.is_retry_safe() { "yes" } else { "no" },
            "retry-safe of {token}"
        );
    }
}

/// The README's sample exchange is what the demo's gateway answers.
#[tokio::test]
async fn the_readme_sample_response_is_real() {
    use http_body_util::BodyExt;
    use tower::{Layer, ServiceExt};
    use tower_gateway_error::GatewayErrorLayer;

    let readme = include_str!("../README.md");
    let start = readme
        .find("$ curl -i -H 'accept: application/json'")
        .unwrap();
    let block = &readme[start..];
    let block = &block[..block.find("```").unwrap()];
    let mut lines = block.lines().skip(1);
    assert_eq!(lines.next(), Some("HTTP/1.1 502 Bad Gateway"));
    let mut expected_headers: Vec<(String, String)> = Vec::new();
    for line in lines.by_ref() {
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(": ").unwrap();
        expected_headers.push((name.to_owned(), value.to_owned()));
    }
    let expected_body = format!("{}\n", lines.next().unwrap());

    // The demo's gateway: the same settings, a client, a port nobody serves.
    let addr = support::closed_port().await;
    let client = support::client();
    let gateway = GatewayErrorLayer::builder()
        .proxy_name("demo-gateway")
        .build()
        .unwrap()
        .layer(client);
    let request = support::get(
        &format!("http://{addr}/refused"),
        &[("accept", "application/json"), ("x-request-id", "demo-1")],
    );
    let response = gateway.oneshot(request).await.unwrap();

    let actual_headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    assert_eq!(actual_headers, expected_headers);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(std::str::from_utf8(&body).unwrap(), expected_body);
}
