//! rolesmith turns `ServiceRole` custom resources into AWS IAM roles.
//!
//! The crate is a pure core with thin edges:
//!
//! - core, no Kubernetes client and no AWS SDK: [`catalog`] (services, principals, presets) →
//!   [`policy`] (the policy language: documents, ARNs, actions, conditions) → [`render`]
//!   (a ServiceRole plus settings → the desired role);
//! - the resource definition: [`api`] (the CRD's types and schema) and [`manifest`] (reading
//!   manifests from files);
//! - edges: [`cli`] (the `rolesmith` command).

pub mod api;
pub mod catalog;
pub mod cli;
pub mod manifest;
pub mod policy;
pub mod render;
