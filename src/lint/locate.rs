//! Where in a file a finding belongs: documents of a YAML stream and lines of field paths.
//!
//! The YAML and JSON parsers keep no positions for values, so lines are found from the text:
//! keys by indentation, list items by their `- `, and the offending value by search. Good
//! enough to put a finding on the right line in a code-scanning view; a miss falls back to
//! the nearest enclosing key.

/// Each document of a YAML stream as (first line, 1-based; text), in the order a YAML parser
/// yields them: a leading `---` opens the first document rather than ending an empty one.
pub fn split_documents(text: &str) -> Vec<(usize, String)> {
    let mut documents = vec![(1usize, String::new())];
    for (number, line) in text.lines().enumerate() {
        let is_separator = line == "---" || line.starts_with("--- ");
        if is_separator {
            documents.push((number + 2, String::new()));
        } else if let Some((_, current)) = documents.last_mut() {
            current.push_str(line);
            current.push('\n');
        }
    }
    let blank = |text: &str| {
        text.lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    };
    if documents.len() > 1 && blank(&documents[0].1) {
        documents.remove(0);
    }
    if documents.len() > 1 && documents.last().is_some_and(|(_, text)| blank(text)) {
        documents.pop();
    }
    documents
}

enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

fn segments(field: &str) -> Vec<Segment<'_>> {
    let mut segments = Vec::new();
    for part in field.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(open) => (&part[..open], &part[open..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            segments.push(Segment::Key(key));
        }
        while let Some(close) = rest.find(']') {
            if let Ok(index) = rest[1..close].parse() {
                segments.push(Segment::Index(index));
            }
            rest = &rest[close + 1..];
        }
    }
    segments
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The content of a line after any `- ` list markers, and its column.
fn content(line: &str) -> (usize, &str) {
    let mut column = indentation(line);
    let mut rest = line.trim_start();
    while let Some(stripped) = rest.strip_prefix("- ") {
        column += 2 + (stripped.len() - stripped.trim_start().len());
        rest = stripped.trim_start();
    }
    (column, rest)
}

fn is_key(text: &str, key: &str) -> bool {
    let text = text.trim_start_matches(['"', '\'']);
    text.strip_prefix(key)
        .map(|rest| {
            rest.trim_start_matches(['"', '\''])
                .trim_start()
                .starts_with(':')
        })
        .unwrap_or(false)
}

/// The 1-based line, within `text`, of the field path (and its offending value, if given).
pub fn line_of(text: &str, field: &str, value: Option<&str>) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    let mut current: Option<usize> = None;
    let mut column: isize = -1;
    for segment in segments(field) {
        let start = current.map_or(0, |line| line + 1);
        match segment {
            Segment::Key(key) => {
                // The key may sit on the current line after a list marker (`- sid: x`).
                if let Some(line) = current
                    && content(lines[line]).1.starts_with(key)
                    && is_key(content(lines[line]).1, key)
                {
                    continue;
                }
                let found = (start..lines.len()).find(|&i| {
                    let (key_column, text) = content(lines[i]);
                    key_column as isize > column && is_key(text, key)
                });
                match found {
                    Some(line) => {
                        column = content(lines[line]).0 as isize;
                        current = Some(line);
                    }
                    None => break,
                }
            }
            Segment::Index(index) => {
                let mut seen = 0;
                let mut item_column = None;
                let mut found = None;
                for (i, line) in lines.iter().enumerate().skip(start) {
                    if line.trim().is_empty() || line.trim_start().starts_with('#') {
                        continue;
                    }
                    let indent = indentation(line);
                    if (indent as isize) < column
                        || (indent as isize == column && !line.trim_start().starts_with("- "))
                    {
                        break;
                    }
                    if line.trim_start().starts_with("- ")
                        && item_column.is_none_or(|c| c == indent)
                    {
                        item_column = Some(indent);
                        if seen == index {
                            found = Some(i);
                            break;
                        }
                        seen += 1;
                    }
                }
                if let Some(line) = found {
                    current = Some(line);
                    column = item_column.unwrap_or(0) as isize;
                }
                // Flow lists (`[a, b]`) stay on the key's line; the value search places them.
            }
        }
    }
    let from = current.unwrap_or(0);
    if let Some(value) = value.filter(|v| !v.is_empty())
        && let Some(offset) = lines[from..].iter().position(|line| line.contains(value))
    {
        return from + offset + 1;
    }
    from + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = "apiVersion: rolesmith.dev/v1alpha1
kind: ServiceRole
metadata:
  name: reader
spec:
  service: lambda
  statements:
    - sid: First
      actions: [s3:GetObject]
      resources: ['*']
    - actions:
        - sqs:SendMessage
        - sqs:RecieveMessage
      resources:
        - arn:aws:sqs:us-east-1:123456789012:queue/orders
  managedPolicyArns:
    - arn:aws:iam::aws:policy/AdministratorAccess
";

    #[test]
    fn fields_land_on_their_lines() {
        assert_eq!(line_of(MANIFEST, "spec.service", None), 6);
        assert_eq!(line_of(MANIFEST, "spec.statements[0].sid", None), 8);
        assert_eq!(
            line_of(
                MANIFEST,
                "spec.statements[0].actions[0]",
                Some("s3:GetObject")
            ),
            9
        );
        assert_eq!(
            line_of(
                MANIFEST,
                "spec.statements[1].actions[1]",
                Some("sqs:RecieveMessage")
            ),
            13
        );
        assert_eq!(
            line_of(MANIFEST, "spec.statements[1].resources[0]", None),
            15
        );
        assert_eq!(
            line_of(
                MANIFEST,
                "spec.managedPolicyArns[0]",
                Some("AdministratorAccess")
            ),
            17
        );
    }

    #[test]
    fn json_policies_are_found_by_value() {
        let policy = "{\n  \"Statement\": [\n    {\n      \"Action\": \"s3:GetObjekt\",\n      \"Resource\": \"*\"\n    }\n  ]\n}\n";
        assert_eq!(
            line_of(policy, "Statement[0].Action", Some("s3:GetObjekt")),
            4
        );
    }

    #[test]
    fn documents_split_like_a_yaml_parser() {
        let stream = "---\na: 1\n---\nb: 2\n---\n";
        let documents = split_documents(stream);
        assert_eq!(
            documents.iter().map(|(line, _)| *line).collect::<Vec<_>>(),
            [2, 4]
        );
        let documents = split_documents("# header\na: 1\n---\nb: 2\n");
        assert_eq!(
            documents.iter().map(|(line, _)| *line).collect::<Vec<_>>(),
            [1, 4]
        );
    }
}
