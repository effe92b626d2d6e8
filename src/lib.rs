//! rolesmith turns `ServiceRole` custom resources into AWS IAM roles.
//!
//! The crate is a pure core with thin edges:
//!
//! - core, no Kubernetes client and no AWS SDK: [`catalog`] (services, principals, presets) →
//!   [`policy`] (the policy language: documents, ARNs, actions, conditions) → [`render`]
//!   (a ServiceRole plus settings → the desired role) → [`diff`] (desired vs observed → the
//!   plan of IAM calls) and [`lint`] (every action, ARN and condition key against the AWS
//!   Service Authorization Reference);
//! - the resource definition: [`api`] (the CRD's types and schema) and [`manifest`] (reading
//!   manifests from files);
//! - edges: [`iam`] (the one module that calls AWS), [`controller`] (drives render, diff and
//!   the IAM adapter for each ServiceRole) and [`cli`] (the `rolesmith` command).

pub mod api;
pub mod catalog;
pub mod cli;
pub mod controller;
pub mod diff;
pub mod iam;
pub mod lint;
pub mod manifest;
pub mod policy;
pub mod render;
