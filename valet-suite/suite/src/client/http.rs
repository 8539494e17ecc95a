//! One HTTP exchange at a time over reqwest's blocking client, each recorded.
//!
//! Every request has the configured timeout (`[service-clients] http_timeout`), covering
//! connect, send and the whole body. Every exchange, failed or not, goes to the [`Recorder`]
//! with its method, URL, status and timing, so a test can attach what it did to its log.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::blocking::Client;

use super::error::{ClientError, error_chain, shorten};
use super::settings::ClientSettings;
use super::tls::{TlsSettings, certificate_problem};

/// One request and what came back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exchange {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The full URL.
    pub url: String,
    /// The response status, `None` when no response came (refused, timed out).
    pub status: Option<u16>,
    /// From the request's start to the end of the response body (or the failure).
    pub elapsed: Duration,
    /// The request body, when there was one (secrets masked).
    pub request_body: Option<String>,
    /// The response body, or what went wrong when no response came.
    pub response_body: String,
    /// Whether the caller got the status it expected (false for no response too).
    pub as_expected: bool,
}

impl Exchange {
    /// The log line Tempest's rest client writes for a request:
    /// `Request: 201 POST http://... 0.012s`.
    pub fn line(&self) -> String {
        let status = self
            .status
            .map_or_else(|| "---".to_owned(), |s| s.to_string());
        format!(
            "Request: {status} {} {} {:.3}s",
            self.method,
            self.url,
            self.elapsed.as_secs_f64()
        )
    }

    /// [`Exchange::line`] followed by the request and response bodies.
    pub fn with_bodies(&self) -> String {
        format!("{}\n{}", self.line(), self.bodies())
    }

    /// The request body (when there was one) and the response body, indented, a line each.
    pub fn bodies(&self) -> String {
        let mut out = String::new();
        if let Some(b) = &self.request_body {
            let _ = writeln!(out, "    Request Body: {}", shorten(b));
        }
        let _ = write!(out, "    Response Body: {}", shorten(&self.response_body));
        out
    }
}

/// Where exchanges are recorded; clones share one list.
#[derive(Clone, Debug, Default)]
pub struct Recorder(Arc<Mutex<Vec<Exchange>>>);

impl Recorder {
    /// A new, empty recorder.
    pub fn new() -> Recorder {
        Recorder::default()
    }

    fn push(&self, e: Exchange) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(e);
    }

    /// Removes and returns everything recorded so far.
    pub fn take(&self) -> Vec<Exchange> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// A copy of everything recorded so far.
    pub fn snapshot(&self) -> Vec<Exchange> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// A response, read whole.
#[derive(Clone, Debug)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The headers, names lower-case.
    pub headers: Vec<(String, String)>,
    /// The body as text (lossy UTF-8).
    pub body: String,
}

impl Response {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON; an empty body is `null`.
    pub fn json(&self) -> Result<serde_json::Value, serde_json::Error> {
        if self.body.trim().is_empty() {
            Ok(serde_json::Value::Null)
        } else {
            serde_json::from_str(&self.body)
        }
    }
}

/// The blocking HTTP client every service client shares.
#[derive(Clone, Debug)]
pub struct Http {
    client: Client,
    timeout: Duration,
    recorder: Recorder,
}

/// A request to send.
#[derive(Clone, Debug)]
pub struct Request<'a> {
    /// The method.
    pub method: &'a str,
    /// The full URL.
    pub url: &'a str,
    /// Extra headers.
    pub headers: &'a [(&'a str, &'a str)],
    /// A JSON body.
    pub body: Option<&'a serde_json::Value>,
}

impl Http {
    /// A client whose every request times out after `timeout`, recording into `recorder`;
    /// certificates are checked against the system's CAs.
    pub fn new(timeout: Duration, recorder: Recorder) -> Result<Http, ClientError> {
        Http::with_tls(timeout, &TlsSettings::default(), recorder)
    }

    /// The client `settings` describe: their timeout and certificate checks.
    pub fn from_settings(
        settings: &ClientSettings,
        recorder: Recorder,
    ) -> Result<Http, ClientError> {
        Http::with_tls(settings.http_timeout, &settings.tls, recorder)
    }

    /// A client whose every request times out after `timeout` and whose certificate checks
    /// are `tls`, recording into `recorder`.
    pub fn with_tls(
        timeout: Duration,
        tls: &TlsSettings,
        recorder: Recorder,
    ) -> Result<Http, ClientError> {
        let client = tls.client(|| Client::builder().timeout(timeout).connect_timeout(timeout))?;
        Ok(Http {
            client,
            timeout,
            recorder,
        })
    }

    /// The per-request timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The recorder.
    pub fn recorder(&self) -> &Recorder {
        &self.recorder
    }

    /// Sends `req` and reads the whole response. `expected` decides only how the exchange is
    /// recorded; the status is not checked here. `mask` is a string to hide in the recorded
    /// request body (a password).
    pub fn send(
        &self,
        req: &Request<'_>,
        expected: &[u16],
        mask: Option<&str>,
    ) -> Result<Response, ClientError> {
        let method = reqwest::Method::from_bytes(req.method.as_bytes())
            .map_err(|_| ClientError::Setup(format!("bad HTTP method {:?}", req.method)))?;
        let mut builder = self
            .client
            .request(method, req.url)
            .header("Accept", "application/json");
        for (k, v) in req.headers {
            builder = builder.header(*k, *v);
        }
        let request_body = req.body.map(|b| {
            let text = b.to_string();
            match mask {
                Some(secret) if !secret.is_empty() => text.replace(secret, "***"),
                _ => text,
            }
        });
        if let Some(b) = req.body {
            builder = builder.json(b);
        }
        let start = Instant::now();
        let outcome = builder.send().and_then(|r| {
            let status = r.status().as_u16();
            let headers = r
                .headers()
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            let body = r.bytes()?;
            Ok(Response {
                status,
                headers,
                body: String::from_utf8_lossy(&body).into_owned(),
            })
        });
        let elapsed = start.elapsed();
        match outcome {
            Ok(resp) => {
                self.recorder.push(Exchange {
                    method: req.method.to_owned(),
                    url: req.url.to_owned(),
                    status: Some(resp.status),
                    elapsed,
                    request_body,
                    response_body: resp.body.clone(),
                    as_expected: expected.contains(&resp.status),
                });
                Ok(resp)
            }
            Err(e) => {
                let err = if let Some((problem, fix)) = certificate_problem(&e) {
                    ClientError::Certificate {
                        method: req.method.to_owned(),
                        url: req.url.to_owned(),
                        problem,
                        fix: fix.to_owned(),
                    }
                } else if e.is_timeout() {
                    ClientError::Timeout {
                        method: req.method.to_owned(),
                        url: req.url.to_owned(),
                        after: self.timeout,
                    }
                } else {
                    ClientError::Connection {
                        method: req.method.to_owned(),
                        url: req.url.to_owned(),
                        reason: error_chain(&e),
                    }
                };
                self.recorder.push(Exchange {
                    method: req.method.to_owned(),
                    url: req.url.to_owned(),
                    status: None,
                    elapsed,
                    request_body,
                    response_body: err.to_string(),
                    as_expected: false,
                });
                Err(err)
            }
        }
    }
}

/// Percent-encodes `s` for a path segment or a query value (RFC 3986 unreserved kept).
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// `expected_success`: the body as JSON (`null` when empty) when the status is one of
/// `expected`, else [`ClientError::Status`].
pub(crate) fn check(
    method: &str,
    url: &str,
    resp: Response,
    expected: &[u16],
) -> Result<serde_json::Value, ClientError> {
    if !expected.contains(&resp.status) {
        return Err(ClientError::Status {
            method: method.to_owned(),
            url: url.to_owned(),
            expected: expected.to_vec(),
            status: resp.status,
            body: resp.body,
        });
    }
    resp.json().map_err(|e| ClientError::BadResponse {
        method: method.to_owned(),
        url: url.to_owned(),
        status: resp.status,
        problem: format!("a body that is not JSON ({e})"),
        body: resp.body.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::error::BODY_SHOWN;

    #[test]
    fn components_are_percent_encoded() {
        assert_eq!(encode_component("a b/c~d"), "a%20b%2Fc~d");
        assert_eq!(encode_component("é"), "%C3%A9");
    }

    #[test]
    fn long_bodies_are_cut_on_a_char_boundary() {
        let s = "é".repeat(BODY_SHOWN);
        let cut = shorten(&s);
        assert!(
            cut.ends_with(&format!("({} bytes in all)", s.len())),
            "{cut}"
        );
        assert_eq!(shorten("short"), "short");
    }

    #[test]
    fn a_refused_connection_is_recorded_and_named() {
        // Bind then drop a listener: its port is (almost surely) closed now.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let rec = Recorder::new();
        let http = Http::new(Duration::from_secs(2), rec.clone()).unwrap();
        let url = format!("http://127.0.0.1:{port}/v1/groups");
        let err = http
            .send(
                &Request {
                    method: "GET",
                    url: &url,
                    headers: &[],
                    body: None,
                },
                &[200],
                None,
            )
            .unwrap_err();
        assert!(matches!(err, ClientError::Connection { .. }), "{err}");
        assert!(err.to_string().contains(&format!("GET {url}")), "{err}");
        let ex = rec.take();
        assert_eq!(ex.len(), 1);
        assert_eq!(ex[0].status, None);
        assert!(
            ex[0]
                .line()
                .starts_with("Request: --- GET http://127.0.0.1:")
        );
    }
}
