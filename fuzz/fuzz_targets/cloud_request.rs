//! The cloud's request bodies on any bytes: the first byte picks one of the requests that take
//! a JSON body (Keystone, Valet, Heat), the rest is the body, sent with an admin token to an
//! in-process cloud holding one group and one plan to update.
//!
//! Every reply must be a 2xx or a 4xx whose body (if any) is JSON, never a 5xx or a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use subunit_fuzz::{call, cloud};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let (cloud, token, project) = cloud();
    let r = call(
        &cloud,
        &token,
        "POST",
        "/placement/v1/groups",
        br#"{"name": "g", "type": "exclusivity", "level": "host"}"#,
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let group: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let group = group["id"].as_str().expect("a group id").to_string();
    let requests: [(&str, String); 12] = [
        ("POST", "/identity/v3/auth/tokens".into()),
        ("POST", "/identity/v3/projects".into()),
        ("POST", "/identity/v3/users".into()),
        ("POST", "/placement/v1/groups".into()),
        ("PUT", format!("/placement/v1/groups/{group}")),
        ("PUT", format!("/placement/v1/groups/{group}/members")),
        ("DELETE", format!("/placement/v1/groups/{group}/members")),
        ("POST", "/placement/v1/plans".into()),
        ("PUT", "/placement/v1/plans/fuzz-stack".into()),
        ("POST", "/placement/v1/placements/fuzz-server".into()),
        ("POST", format!("/orchestration/v1/{project}/stacks")),
        ("PUT", format!("/orchestration/v1/{project}/stacks/s/x")),
    ];
    let (method, path) = &requests[usize::from(pick) % requests.len()];
    call(&cloud, &token, method, path, body);
});
