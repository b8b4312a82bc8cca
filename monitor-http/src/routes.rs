//! One call site per method and route template, made once and kept for the
//! life of the process, so requests are timed like `#[monitor]` functions.
//!
//! Call sites are `&'static` (the runtime's statistics are keyed by them):
//! each is leaked once. Routes are finite, but a service could register
//! routes at run time, and a method is whatever a client sends: so methods
//! outside the standard ones share one label, requests that matched no
//! route share one label, and past [`MAX_ROUTES`] call sites every new
//! pair shares one more.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::http::Method;
use monitor_runtime::__private::Callsite;
use monitor_runtime::Severity;
use parking_lot::RwLock;

/// The module every request's call site is in.
pub const MODULE: &str = "http";

/// The route label of a request no route matched (a 404, or a fallback).
pub const UNMATCHED: &str = "unmatched";

/// The most call sites made for (method, route) pairs; later pairs are
/// timed together under the function `other`.
pub const MAX_ROUTES: usize = 1_000;

/// The methods counted by name; others are `OTHER`.
const METHODS: [(Method, &str); 9] = [
    (Method::GET, "GET"),
    (Method::POST, "POST"),
    (Method::PUT, "PUT"),
    (Method::DELETE, "DELETE"),
    (Method::PATCH, "PATCH"),
    (Method::HEAD, "HEAD"),
    (Method::OPTIONS, "OPTIONS"),
    (Method::CONNECT, "CONNECT"),
    (Method::TRACE, "TRACE"),
];
const OTHER_METHOD: usize = METHODS.len();

static OVERFLOW: Callsite = Callsite::new(MODULE, "other", MODULE, 0, Severity::Error, 0, &[]);

struct Sites {
    by_route: HashMap<Box<str>, [Option<&'static Callsite>; OTHER_METHOD + 1]>,
    made: usize,
}

static SITES: LazyLock<RwLock<Sites>> = LazyLock::new(|| RwLock::new(Sites { by_route: HashMap::new(), made: 0 }));

fn method_index(method: &Method) -> usize {
    METHODS.iter().position(|(known, _)| known == method).unwrap_or(OTHER_METHOD)
}

fn method_label(index: usize) -> &'static str {
    METHODS.get(index).map_or("OTHER", |(_, label)| *label)
}

/// The call site of `method` on the route template `route` (`None`: no
/// route matched). After the first request of a pair, this is a read lock
/// and a hash lookup.
pub(crate) fn site(method: &Method, route: Option<&str>) -> &'static Callsite {
    let route = route.unwrap_or(UNMATCHED);
    let index = method_index(method);
    if let Some(site) = SITES.read().find(index, route) {
        return site;
    }
    SITES.write().make(index, route, MAX_ROUTES)
}

impl Sites {
    fn find(&self, index: usize, route: &str) -> Option<&'static Callsite> {
        self.by_route.get(route).and_then(|methods| methods[index])
    }

    #[cold]
    fn make(&mut self, index: usize, route: &str, max: usize) -> &'static Callsite {
        if let Some(site) = self.find(index, route) {
            return site;
        }
        let method = method_label(index);
        if self.made >= max {
            return &OVERFLOW;
        }
        self.made += 1;
        let function: &'static str = Box::leak(format!("{method} {route}").into_boxed_str());
        let callsite: &'static Callsite =
            Box::leak(Box::new(Callsite::new(MODULE, function, MODULE, 0, Severity::Error, 0, &[])));
        self.by_route.entry(route.into()).or_insert([None; OTHER_METHOD + 1])[index] = Some(callsite);
        callsite
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_site_per_method_and_route_and_odd_methods_share_one() {
        let first = site(&Method::GET, Some("/unit/{id}"));
        let again = site(&Method::GET, Some("/unit/{id}"));
        assert!(std::ptr::eq(first, again));
        assert_eq!((first.module(), first.function()), ("http", "GET /unit/{id}"));

        let post = site(&Method::POST, Some("/unit/{id}"));
        assert!(!std::ptr::eq(first, post));

        let odd = site(&Method::from_bytes(b"BREW").unwrap(), Some("/unit/{id}"));
        let odder = site(&Method::from_bytes(b"WHEN").unwrap(), Some("/unit/{id}"));
        assert!(std::ptr::eq(odd, odder));
        assert_eq!(odd.function(), "OTHER /unit/{id}");

        assert_eq!(site(&Method::GET, None).function(), "GET unmatched");
    }

    #[test]
    fn past_the_cap_new_pairs_share_the_overflow_site_and_known_ones_keep_theirs() {
        let mut sites = Sites { by_route: HashMap::new(), made: 0 };
        let get = method_index(&Method::GET);
        let kept = sites.make(get, "/a", 2);
        sites.make(get, "/b", 2);
        let over = sites.make(get, "/c", 2);
        assert!(std::ptr::eq(over, &OVERFLOW));
        assert_eq!(over.function(), "other");
        assert!(std::ptr::eq(sites.make(get, "/a", 2), kept));
        assert_eq!(sites.made, 2);
    }
}
