//! The IAM policy language as rolesmith writes it: documents, ARNs, actions and conditions.
//! Pure data and checks, shared by the renderer and (later) the linter and the diff.

pub mod action;
pub mod arn;
pub mod arn_match;
pub mod condition;
pub mod document;
pub mod normalize;
pub mod s3;

pub use document::{
    ConditionBlock, ConditionValue, POLICY_VERSION, PolicyDocument, PolicyStatement,
};
