//! Reading a template into [`Node`]s: literal text, placeholders, and
//! sections that must close in order, each refused with its line and
//! column.

use super::{position, Field, Node, TemplateError};

/// The nodes of `source`, with where each starts in it.
pub(super) fn nodes(source: &str) -> Result<Vec<Node>, TemplateError> {
    // Open sections: the field (and its name), whether it shows when the
    // field is present, the nodes outside it so far, and where it opened.
    let mut stack: Vec<(Field, &str, bool, Vec<Node>, usize)> = Vec::new();
    let mut nodes = Vec::new();
    let mut offset = 0;
    while let Some(found) = source[offset..].find("{{") {
        let open = offset + found;
        if open > offset {
            nodes.push(Node::Literal {
                text: source[offset..open].to_owned(),
                at: offset,
            });
        }
        let inner_start = open + 2;
        let close = source[inner_start..].find("}}").ok_or_else(|| {
            let (line, column) = position(source, open);
            TemplateError::Unclosed { line, column }
        })?;
        let inner = source[inner_start..inner_start + close].trim();
        let (marker, name) = match inner.as_bytes().first() {
            // A comment, as in Mustache: nothing comes out.
            Some(b'!') => {
                offset = inner_start + close + 2;
                continue;
            }
            // Mustache's unescaped output, partials and delimiters, which
            // this language leaves out on purpose.
            Some(&marker @ (b'{' | b'&' | b'>' | b'=')) => {
                let (line, column) = position(source, open);
                return Err(TemplateError::Unsupported {
                    tag: char::from(marker),
                    line,
                    column,
                });
            }
            Some(&marker @ (b'#' | b'^' | b'/')) => (marker, inner[1..].trim()),
            _ => (0, inner),
        };
        let field = Field::from_name(name).ok_or_else(|| {
            let (line, column) = position(source, open);
            TemplateError::UnknownField {
                field: name.to_owned(),
                line,
                column,
            }
        })?;
        match marker {
            b'#' | b'^' => {
                let outside = std::mem::take(&mut nodes);
                stack.push((field, name, marker == b'#', outside, open));
            }
            b'/' => {
                match stack.last() {
                    Some((opened, ..)) if *opened == field => {}
                    // Closing an outer section: the inner one is the
                    // one left open.
                    Some((_, inner, _, _, at)) if stack.iter().any(|s| s.0 == field) => {
                        let (line, column) = position(source, *at);
                        return Err(TemplateError::UnclosedSection {
                            field: (*inner).to_owned(),
                            line,
                            column,
                        });
                    }
                    _ => return Err(unmatched_end(source, name, open)),
                }
                let Some((_, _, when_present, outside, _)) = stack.pop() else {
                    unreachable!("the last section was just looked at");
                };
                let body = std::mem::replace(&mut nodes, outside);
                nodes.push(Node::Section {
                    field,
                    when_present,
                    body,
                });
            }
            _ => nodes.push(Node::Field { field, at: open }),
        }
        offset = inner_start + close + 2;
    }
    if offset < source.len() {
        nodes.push(Node::Literal {
            text: source[offset..].to_owned(),
            at: offset,
        });
    }
    if let Some((_, name, _, _, at)) = stack.pop() {
        let (line, column) = position(source, at);
        return Err(TemplateError::UnclosedSection {
            field: name.to_owned(),
            line,
            column,
        });
    }
    Ok(nodes)
}

fn unmatched_end(source: &str, name: &str, at: usize) -> TemplateError {
    let (line, column) = position(source, at);
    TemplateError::UnmatchedEnd {
        field: name.to_owned(),
        line,
        column,
    }
}

#[cfg(test)]
mod tests {
    use crate::render::template::{Template, TemplateError};
    use crate::render::BodyFormat;

    #[test]
    fn unknown_fields_are_named_with_their_line_and_column() {
        let err = Template::parse(BodyFormat::Html, "<h1>\n<p>{{ stauts }}</p>").unwrap_err();
        assert_eq!(
            err,
            TemplateError::UnknownField {
                field: "stauts".into(),
                line: 2,
                column: 4
            }
        );
        assert!(err.to_string().contains("`{{stauts}}`"), "{err}");
        assert!(err.to_string().contains("line 2, column 4"), "{err}");
        assert!(err.to_string().contains("request_id"), "{err}");
    }

    #[test]
    fn comments_leave_nothing() {
        let template =
            Template::parse(BodyFormat::Text, "a{{! a note,\nover lines }}b{{!}}c").unwrap();
        let fields = crate::render::Fields::sample();
        assert_eq!(template.render(&fields), "abc");
    }

    #[test]
    fn mustache_features_left_out_are_named() {
        for (source, tag, says) in [
            ("<p>{{{detail}}}</p>", '{', "escaped"),
            ("<p>{{&detail}}</p>", '&', "escaped"),
            ("{{> footer}}", '>', "partials"),
            ("{{=<% %>=}}", '=', "delimiters"),
        ] {
            let err = Template::parse(BodyFormat::Html, source).unwrap_err();
            assert!(
                matches!(err, TemplateError::Unsupported { tag: t, .. } if t == tag),
                "{source}: {err}"
            );
            assert!(err.to_string().contains(says), "{err}");
        }
    }

    #[test]
    fn unclosed_braces_are_rejected() {
        let err = Template::parse(BodyFormat::Html, "<p>{{status</p>").unwrap_err();
        assert_eq!(err, TemplateError::Unclosed { line: 1, column: 4 });
    }

    #[test]
    fn sections_must_close_in_order() {
        let err = Template::parse(BodyFormat::Html, "{{#error}}x").unwrap_err();
        assert_eq!(
            err,
            TemplateError::UnclosedSection {
                field: "error".into(),
                line: 1,
                column: 1
            }
        );
        let err = Template::parse(BodyFormat::Html, "{{#error}}{{/request_id}}").unwrap_err();
        assert!(matches!(err, TemplateError::UnmatchedEnd { .. }), "{err}");
        let err = Template::parse(BodyFormat::Html, "x{{/error}}").unwrap_err();
        assert!(err.to_string().contains("closes no open"), "{err}");
    }

    #[test]
    fn crossed_sections_name_the_one_left_open() {
        let err =
            Template::parse(BodyFormat::Html, "{{#error}}{{#request_id}}x{{/error}}").unwrap_err();
        assert_eq!(
            err,
            TemplateError::UnclosedSection {
                field: "request_id".into(),
                line: 1,
                column: 11
            }
        );
    }
}
