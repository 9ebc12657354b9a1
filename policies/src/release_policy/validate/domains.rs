//! Validation of the public domains and subgroup families of a release policy: labels, fallbacks,
//! bin edges.

use std::collections::{BTreeMap, HashSet};

use toml::Spanned;

use super::Checker;
use crate::release_policy::domain::Domain;
use crate::release_policy::raw::RawDomain;
use crate::release_policy::SUBGROUP;

fn domain(c: &mut Checker<'_>, name: &Spanned<String>, raw: &Spanned<RawDomain>, what: &str) -> Option<Domain> {
    let r = raw.get_ref();
    let fallback = match &r.fallback {
        Some(f) if c.label(&format!("{what} {} fallback", name.get_ref()), f) => Some(f.get_ref().clone()),
        Some(_) => return None,
        None => None,
    };
    match (&r.values, &r.edges) {
        (Some(values), None) => {
            if values.get_ref().is_empty() {
                c.at(values.span(), format!("{what} {}: values must not be empty", name.get_ref()));
                return None;
            }
            let mut seen = HashSet::new();
            let mut ok = true;
            for v in values.get_ref() {
                ok &= c.label(&format!("{what} {} value", name.get_ref()), v);
                if !seen.insert(v.get_ref().as_str()) {
                    c.at(v.span(), format!("{what} {}: value \"{}\" is listed twice", name.get_ref(), v.get_ref()));
                    ok = false;
                }
            }
            if let (Some(f), Some(fs)) = (&fallback, &r.fallback) {
                if seen.contains(f.as_str()) {
                    c.at(fs.span(), format!("{what} {}: fallback \"{f}\" is also a listed value", name.get_ref()));
                    ok = false;
                }
            }
            let values = values.get_ref().iter().map(|v| v.get_ref().clone()).collect();
            ok.then(|| Domain::values(name.get_ref(), values, fallback).with_description(r.description.clone()))
        }
        (None, Some(edges)) => {
            let e: Vec<f64> = edges.get_ref().iter().map(|e| *e.get_ref()).collect();
            if e.is_empty() || e.iter().any(|x| !x.is_finite()) || e.windows(2).any(|w| w[0] >= w[1]) {
                c.at(
                    edges.span(),
                    format!("{what} {}: edges must be finite numbers in strictly increasing order", name.get_ref()),
                );
                return None;
            }
            if let (Some(f), Some(fs)) = (&fallback, &r.fallback) {
                if Domain::bins(name.get_ref(), e.clone(), None).labels().contains(f) {
                    c.at(fs.span(), format!("{what} {}: fallback \"{f}\" is also a bin label", name.get_ref()));
                    return None;
                }
            }
            Some(Domain::bins(name.get_ref(), e, fallback).with_description(r.description.clone()))
        }
        (Some(_), Some(_)) => {
            c.at(raw.span(), format!("{what} {}: give either values or edges, not both", name.get_ref()));
            None
        }
        (None, None) => {
            c.at(raw.span(), format!("{what} {}: needs values = [...] or edges = [...]", name.get_ref()));
            None
        }
    }
}

pub(super) fn domains(
    c: &mut Checker<'_>,
    raw: &BTreeMap<Spanned<String>, Spanned<RawDomain>>,
) -> BTreeMap<String, Domain> {
    let mut out = BTreeMap::new();
    for (name, d) in raw {
        if !c.identifier("domain", name) {
            continue;
        }
        if name.get_ref() == SUBGROUP {
            c.at(name.span(), "domain name \"subgroup\" is reserved: declare subgroup families under [subgroups]");
            continue;
        }
        if let Some(d) = domain(c, name, d, "domain") {
            out.insert(name.get_ref().clone(), d);
        }
    }
    out
}

pub(super) fn subgroups(
    c: &mut Checker<'_>,
    raw: &BTreeMap<Spanned<String>, Spanned<RawDomain>>,
    domains: &BTreeMap<String, Domain>,
) -> Vec<Domain> {
    let mut out = Vec::new();
    for (name, d) in raw {
        if !c.identifier("subgroup family", name) {
            continue;
        }
        if domains.contains_key(name.get_ref()) {
            c.at(name.span(), format!("subgroup family \"{}\" has the same name as a domain", name.get_ref()));
            continue;
        }
        if d.get_ref().edges.is_some() {
            c.at(d.span(), format!("subgroup family {}: list values, not edges", name.get_ref()));
            continue;
        }
        if let Some(d) = domain(c, name, d, "subgroup family") {
            out.push(d);
        }
    }
    out
}
