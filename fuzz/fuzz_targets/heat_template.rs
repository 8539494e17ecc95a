//! The Heat template engine on any template text (YAML or JSON, as `openstack stack create`
//! sends it): a stack is created from it in an in-process cloud, shown, and deleted. A NUL byte
//! splits the input: what follows it is the nested template file `inner.yaml` (the `files`
//! python-heatclient sends).
//!
//! Every reply must be a 2xx or a 4xx with a JSON body (a template Heat refuses is its 400),
//! never a 5xx or a panic; a stack that was accepted can be shown and deleted.
#![no_main]

use libfuzzer_sys::fuzz_target;
use subunit_fuzz::{call, cloud};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (template, inner) = text.split_once('\0').unwrap_or((text, ""));
    let (cloud, token, project) = cloud();
    let stacks = format!("/orchestration/v1/{project}/stacks");
    let body = serde_json::json!({"stack_name": "fuzz", "template": template,
                                  "files": {"inner.yaml": inner}});
    let r = call(&cloud, &token, "POST", &stacks, body.to_string().as_bytes());
    if r.status == 201 {
        let v: serde_json::Value = serde_json::from_str(&r.body).expect("a JSON stack");
        let id = v["stack"]["id"].as_str().expect("the stack's id");
        let r = call(&cloud, &token, "GET", &format!("{stacks}/fuzz/{id}"), b"");
        assert_eq!(r.status, 200, "{}", r.body);
        let r = call(
            &cloud,
            &token,
            "DELETE",
            &format!("{stacks}/fuzz/{id}"),
            b"",
        );
        assert_eq!(r.status, 204, "{}", r.body);
    }
});
