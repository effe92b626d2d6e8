//! Reading ServiceRole manifests: multi-document YAML (or JSON), as written in a repository.
//!
//! Each document is checked strictly: a wrong type names its field, and an unknown field (a
//! typo such as `defaultPolicy`) is an error rather than silently dropped, as the apiserver
//! would drop it.

use serde::Deserialize;
use serde_json::Value;

use crate::api::{GROUP, ServiceRole};
use crate::render::Problems;

/// `apiVersion` of ServiceRole manifests.
pub const API_VERSION: &str = "rolesmith.dev/v1alpha1";

/// One YAML document of a manifest file.
#[derive(Debug)]
pub struct Document {
    /// 1-based position of the document in its file.
    pub index: usize,
    pub content: Content,
}

#[derive(Debug)]
pub enum Content {
    /// A ServiceRole that deserialised cleanly (it may still fail to render).
    ServiceRole(Box<ServiceRole>),
    /// A document of another kind, or an empty one; not ours to judge.
    Other,
    /// A document that claims to be a ServiceRole, or cannot be read at all.
    Invalid {
        name: Option<String>,
        problems: Problems,
    },
}

/// Split `text` into documents and read each; `default_namespace` fills a missing namespace
/// the way kubectl would.
pub fn read_documents(text: &str, default_namespace: &str) -> Vec<Document> {
    let mut documents = Vec::new();
    for (position, yaml) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        let index = position + 1;
        let value = match Value::deserialize(yaml) {
            Ok(value) => value,
            Err(error) => {
                let content = Content::Invalid {
                    name: None,
                    problems: one("document", error),
                };
                documents.push(Document { index, content });
                // The YAML stream cannot be resynchronised after a syntax error.
                break;
            }
        };
        for content in read_value(value, default_namespace) {
            documents.push(Document { index, content });
        }
    }
    documents
}

fn one(field: &str, message: impl ToString) -> Problems {
    let mut problems = Problems::default();
    problems.push(field, message.to_string());
    problems
}

fn read_value(value: Value, default_namespace: &str) -> Vec<Content> {
    let Value::Object(object) = &value else {
        return match value {
            Value::Null => vec![Content::Other],
            _ => vec![Content::Invalid {
                name: None,
                problems: one(
                    "document",
                    "is not a mapping (apiVersion, kind, metadata, spec)",
                ),
            }],
        };
    };
    let kind = object
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let api_version = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();

    // `kubectl get -o yaml` wraps objects in a List.
    if kind == "List" {
        let items = object
            .get("items")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        return items
            .into_iter()
            .flat_map(|item| read_value(item, default_namespace))
            .collect();
    }
    if kind != "ServiceRole" || !api_version.starts_with(&format!("{GROUP}/")) {
        return vec![Content::Other];
    }
    let name = object
        .get("metadata")
        .and_then(|metadata| metadata.get("name"))
        .and_then(Value::as_str)
        .map(str::to_string);
    if api_version != API_VERSION {
        return vec![Content::Invalid {
            name,
            problems: one(
                "apiVersion",
                format!("'{api_version}' is not served; this rolesmith reads {API_VERSION}"),
            ),
        }];
    }

    match strict_service_role(value) {
        Ok(mut role) => {
            if role.metadata.namespace.is_none() {
                role.metadata.namespace = Some(default_namespace.to_string());
            }
            vec![Content::ServiceRole(Box::new(role))]
        }
        Err(problems) => vec![Content::Invalid { name, problems }],
    }
}

/// Deserialise, naming the field of a type error, and refuse fields the schema does not know.
fn strict_service_role(value: Value) -> Result<ServiceRole, Problems> {
    let mut unknown: Vec<String> = Vec::new();
    // The typed object keeps apiVersion and kind in its type, not in fields.
    let mut record = |path: serde_ignored::Path| {
        let field = ignored_path(&path);
        if field != "apiVersion" && field != "kind" {
            unknown.push(field);
        }
    };
    let ignored = serde_ignored::Deserializer::new(value, &mut record);
    let role: Result<ServiceRole, _> = serde_path_to_error::deserialize(ignored);
    let mut problems = Problems::default();
    match role {
        Err(error) => {
            let field = typed_path(error.path());
            problems.push(
                if field.is_empty() {
                    "document".to_string()
                } else {
                    field
                },
                error.inner().to_string(),
            );
            Err(problems)
        }
        Ok(_) if !unknown.is_empty() => {
            for field in unknown {
                problems.push(
                    field,
                    "unknown field; check its spelling against `kubectl explain servicerole.spec`"
                        .to_string(),
                );
            }
            Err(problems)
        }
        Ok(role) => Ok(role),
    }
}

fn typed_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut text = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => text.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !text.is_empty() {
                    text.push('.');
                }
                text.push_str(key);
            }
            Segment::Unknown => {}
        }
    }
    text
}

fn ignored_path(path: &serde_ignored::Path) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => format!("{}[{index}]", ignored_path(parent)),
        Path::Map { parent, key } => {
            let parent = ignored_path(parent);
            if parent.is_empty() {
                key.clone()
            } else {
                format!("{parent}.{key}")
            }
        }
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => ignored_path(parent),
    }
}

impl Document {
    /// `document 2 (team-a/reader)`: how error lines name a document.
    pub fn label(&self) -> String {
        let name = match &self.content {
            Content::ServiceRole(role) => Some(format!(
                "{}/{}",
                role.metadata.namespace.as_deref().unwrap_or_default(),
                role.metadata.name.as_deref().unwrap_or("<unnamed>")
            )),
            Content::Invalid { name, .. } => name.clone(),
            Content::Other => None,
        };
        match name {
            Some(name) => format!("document {} ({name})", self.index),
            None => format!("document {}", self.index),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::Problem;

    /// The problems of a document that could not be read (none for the other kinds).
    fn problems_of(content: &Content) -> &[Problem] {
        match content {
            Content::Invalid { problems, .. } => &problems.problems,
            _ => &[],
        }
    }

    fn only(text: &str) -> Content {
        let mut documents = read_documents(text, "default");
        assert_eq!(documents.len(), 1, "{documents:?}");
        documents.remove(0).content
    }

    fn fields(content: &Content) -> Vec<String> {
        problems_of(content)
            .iter()
            .map(|p| p.field.clone())
            .collect()
    }

    #[test]
    fn reads_several_documents_and_skips_other_kinds() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n\
                    apiVersion: rolesmith.dev/v1alpha1\nkind: ServiceRole\n\
                    metadata: {name: fn}\nspec: {service: lambda}\n---\n";
        let documents = read_documents(text, "apps");
        assert!(matches!(documents[0].content, Content::Other));
        let Content::ServiceRole(role) = &documents[1].content else {
            panic!("{documents:?}")
        };
        assert_eq!(role.metadata.namespace.as_deref(), Some("apps"));
        assert_eq!(documents[1].label(), "document 2 (apps/fn)");
    }

    #[test]
    fn names_the_field_of_a_type_error() {
        let content = only(
            "apiVersion: rolesmith.dev/v1alpha1\nkind: ServiceRole\nmetadata: {name: fn}\n\
             spec:\n  service: lambda\n  statements:\n  - actions: [s3:GetObject]\n    \
             resources: ['*']\n    effect: Permit\n",
        );
        assert_eq!(fields(&content), ["spec.statements[0].effect"]);
        assert!(problems_of(&content)[0].message.contains("Permit"));
    }

    #[test]
    fn refuses_unknown_fields_by_path() {
        let content = only(
            "apiVersion: rolesmith.dev/v1alpha1\nkind: ServiceRole\nmetadata: {name: fn}\n\
             spec:\n  service: lambda\n  defaultPolicy: [basic-execution]\n  statements:\n  \
             - actions: [s3:GetObject]\n    resource: ['*']\n    resources: ['*']\n",
        );
        assert_eq!(
            fields(&content),
            ["spec.defaultPolicy", "spec.statements[0].resource"]
        );
    }

    #[test]
    fn refuses_other_versions_and_non_mappings() {
        let content =
            only("apiVersion: rolesmith.dev/v2\nkind: ServiceRole\nmetadata: {name: fn}\n");
        assert_eq!(fields(&content), ["apiVersion"]);
        assert_eq!(fields(&only("- a list\n")), ["document"]);
    }

    #[test]
    fn unwraps_lists_from_kubectl_get() {
        let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: rolesmith.dev/v1alpha1\n  \
                    kind: ServiceRole\n  metadata: {name: a, namespace: n}\n  spec: {service: ec2}\n";
        assert!(matches!(only(text), Content::ServiceRole(_)));
    }

    #[test]
    fn a_yaml_syntax_error_is_reported_not_panicked() {
        let content = only("apiVersion: [unclosed\n");
        assert_eq!(fields(&content), ["document"]);
    }
}
