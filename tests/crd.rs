//! The committed CRD matches the Rust types, and every field explains itself.

use rolesmith::api::{crd, crd_yaml};
use serde_json::Value;

#[test]
fn committed_crd_is_up_to_date() {
    let committed =
        std::fs::read_to_string("crds/servicerole.yaml").expect("crds/servicerole.yaml");
    assert!(
        committed == crd_yaml(),
        "crds/servicerole.yaml is stale: run `cargo run -- crd > crds/servicerole.yaml`"
    );
}

/// Every property below `schema` names itself in `missing` if it has no description.
fn undescribed(schema: &Value, path: &str, missing: &mut Vec<String>) {
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        for (name, property) in properties {
            let field = format!("{path}.{name}");
            if property
                .get("description")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                missing.push(field.clone());
            }
            undescribed(property, &field, missing);
        }
    }
    if let Some(items) = schema.get("items") {
        undescribed(items, &format!("{path}[]"), missing);
    }
}

#[test]
fn every_field_has_a_description_for_kubectl_explain() {
    let crd = serde_json::to_value(crd()).unwrap();
    let schema = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
    let mut missing = Vec::new();
    undescribed(&schema["properties"]["spec"], "spec", &mut missing);
    undescribed(&schema["properties"]["status"], "status", &mut missing);
    assert!(
        missing.is_empty(),
        "fields without a description: {missing:?}"
    );
    assert!(
        schema["properties"]["spec"]["properties"]
            .as_object()
            .unwrap()
            .len()
            >= 10
    );
}

#[test]
fn identity_printer_columns_and_validations_are_as_designed() {
    let crd = serde_json::to_value(crd()).unwrap();
    assert_eq!(crd["spec"]["group"], "rolesmith.dev");
    assert_eq!(crd["spec"]["scope"], "Namespaced");
    assert_eq!(
        crd["spec"]["names"]["shortNames"],
        serde_json::json!(["srole"])
    );
    assert_eq!(
        crd["spec"]["names"]["categories"],
        serde_json::json!(["rolesmith"])
    );
    let version = &crd["spec"]["versions"][0];
    assert_eq!(version["name"], "v1alpha1");
    let columns: Vec<&str> = version["additionalPrinterColumns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|column| column["name"].as_str().unwrap())
        .collect();
    assert_eq!(columns, ["Service", "Ready", "Role ARN", "Age"]);
    assert_eq!(version["additionalPrinterColumns"][2]["priority"], 1);
    let spec = &version["schema"]["openAPIV3Schema"]["properties"]["spec"];
    let rules: Vec<&str> = spec["x-kubernetes-validations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rule| rule["rule"].as_str().unwrap())
        .collect();
    assert!(rules.iter().any(|rule| rule.contains("oldSelf.roleName")));
    assert!(
        rules
            .iter()
            .any(|rule| rule.contains("self.defaultPolicies.all"))
    );
    assert_eq!(spec["properties"]["maxSessionDuration"]["minimum"], 3600.0);
    assert_eq!(spec["properties"]["maxSessionDuration"]["maximum"], 43200.0);
    assert_eq!(
        spec["properties"]["service"]["enum"]
            .as_array()
            .unwrap()
            .len(),
        14
    );
}
