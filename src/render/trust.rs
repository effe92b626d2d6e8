//! The trust policy: exactly one service principal, and confused-deputy conditions only where
//! the service sends the keys they test.

use std::collections::BTreeMap;

use crate::api::Trust;
use crate::catalog::{SERVICES, Service};
use crate::policy::arn::Arn;
use crate::policy::{ConditionBlock, ConditionValue, PolicyDocument, PolicyStatement};

use super::{Problems, Settings};

pub fn build_trust_policy(
    service: &Service,
    trust: Option<&Trust>,
    settings: &Settings,
    problems: &mut Problems,
) -> PolicyDocument {
    let mut actions = vec!["sts:AssumeRole".to_string()];
    actions.extend(
        service
            .extra_trust_actions
            .iter()
            .map(|action| action.to_string()),
    );
    let conditions = trust
        .map(|trust| trust_conditions(service, trust, settings, problems))
        .unwrap_or_default();
    PolicyDocument::new(vec![PolicyStatement {
        sid: None,
        effect: "Allow".to_string(),
        principal: Some(BTreeMap::from([(
            "Service".to_string(),
            service.principal.to_string(),
        )])),
        actions,
        resources: Vec::new(),
        conditions,
    }])
}

fn supporting_services(source_account: bool) -> String {
    SERVICES
        .iter()
        .filter(|s| {
            if source_account {
                s.confused_deputy.source_account
            } else {
                s.confused_deputy.source_arn_service.is_some()
            }
        })
        .map(|s| s.name)
        .collect::<Vec<_>>()
        .join(", ")
}

fn trust_conditions(
    service: &Service,
    trust: &Trust,
    settings: &Settings,
    problems: &mut Problems,
) -> ConditionBlock {
    let mut block = ConditionBlock::new();
    if trust.source_account.is_none() && trust.source_arns.is_empty() {
        problems.push(
            "spec.trust",
            "needs sourceAccount, sourceArns or both".to_string(),
        );
    }

    if let Some(account) = &trust.source_account {
        let field = "spec.trust.sourceAccount";
        if !service.confused_deputy.source_account {
            problems.push(
                field,
                format!(
                    "{} does not send aws:SourceAccount when it assumes a role, so this \
                     condition would make every AssumeRole fail; services that send it: {}",
                    service.name,
                    supporting_services(true)
                ),
            );
        }
        match settings.substitute(account) {
            Ok(account) if account.len() == 12 && account.chars().all(|c| c.is_ascii_digit()) => {
                block.entry("StringEquals".to_string()).or_default().insert(
                    "aws:SourceAccount".to_string(),
                    ConditionValue::One(account),
                );
            }
            Ok(account) => problems.push(
                field,
                format!("'{account}' is not a 12-digit account id (or ${{AccountId}})"),
            ),
            Err(message) => problems.push(field, message),
        }
    }

    if !trust.source_arns.is_empty() {
        let Some(arn_service) = service.confused_deputy.source_arn_service else {
            problems.push(
                "spec.trust.sourceArns",
                format!(
                    "{} does not send aws:SourceArn when it assumes a role, so this condition \
                     would make every AssumeRole fail; services that send it: {}",
                    service.name,
                    supporting_services(false)
                ),
            );
            return block;
        };
        let mut arns = Vec::new();
        for (index, template) in trust.source_arns.iter().enumerate() {
            let field = format!("spec.trust.sourceArns[{index}]");
            let arn = match settings.substitute(template) {
                Ok(arn) => arn,
                Err(message) => {
                    problems.push(field, message);
                    continue;
                }
            };
            let checked = Arn::parse(&arn).and_then(|parsed| {
                parsed.validate(&settings.partition)?;
                Ok(parsed.service.to_string())
            });
            match checked {
                Ok(found) if found == arn_service => arns.push(arn),
                Ok(found) => problems.push(
                    field,
                    format!(
                        "'{arn}' is a {found} ARN, but {} assumes the role on behalf of \
                         {arn_service} resources (arn:{}:{arn_service}:...)",
                        service.name, settings.partition
                    ),
                ),
                Err(error) => problems.push(field, error.0),
            }
        }
        if !arns.is_empty() {
            block.entry("ArnLike".to_string()).or_default().insert(
                "aws:SourceArn".to_string(),
                ConditionValue::from_values(arns),
            );
        }
    }
    block
}
