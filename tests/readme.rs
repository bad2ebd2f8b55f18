//! The README's kind → status table must say what the code does.

use tower_gateway_error::UpstreamErrorKind;

#[test]
fn the_readme_table_matches_every_kind() {
    let readme = include_str!("../README.md");
    for kind in UpstreamErrorKind::ALL {
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
