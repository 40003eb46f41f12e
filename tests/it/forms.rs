//! The compose form as a browser fills it in: read from the page, changed, posted (multipart,
//! with files), and the answer followed. Shared by the tests and the load generator.

use crate::harness::{Browser, Page};

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';').filter(|e| *e < 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let ch = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") => u32::from_str_radix(&e[2..], 16).ok().and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The value of input `name` (or the text of textarea `name`) on a compose page.
pub fn field(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\"");
    if let Some(i) = body.find(&format!("<textarea id=\"{name}\" {marker}")) {
        let start = body[i..].find('>').map(|j| i + j + 1).unwrap_or(i);
        let end = body[start..].find("</textarea>").map(|j| start + j).unwrap_or(start);
        return unescape(&body[start..end]);
    }
    let Some(i) = body.find(&marker) else { panic!("no field {name} on the page") };
    let tag_end = body[i..].find('>').map(|j| i + j).unwrap_or(body.len());
    let tag = &body[i..tag_end];
    match tag.find("value=\"") {
        Some(v) => unescape(tag[v + 7..].split('"').next().unwrap_or_default()),
        None => String::new(),
    }
}

/// A compose form as the page gave it, ready to be changed and posted.
pub struct Form {
    pub fields: Vec<(String, String)>,
}

impl Form {
    pub fn from_page(body: &str) -> Self {
        let names = ["csrf", "draft", "send_key", "in_reply_to", "references", "origin", "replaces", "rich", "html", "identity", "to", "cc", "bcc", "subject", "body"];
        let mut fields: Vec<(String, String)> = names.iter().filter(|n| **n != "identity").map(|n| (n.to_string(), field(body, n))).collect();
        let identity = body
            .split("<option value=\"")
            .skip(1)
            .find(|o| o.contains("selected"))
            .and_then(|o| o.split('"').next())
            .unwrap_or("0")
            .to_string();
        fields.push(("identity".into(), identity));
        Self { fields }
    }

    pub fn get(&self, name: &str) -> String {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default()
    }

    pub fn set(&mut self, name: &str, value: &str) -> &mut Self {
        match self.fields.iter_mut().find(|(k, _)| k == name) {
            Some(f) => f.1 = value.to_string(),
            None => self.fields.push((name.to_string(), value.to_string())),
        }
        self
    }
}

/// Posts the compose form with `op` and files (name, bytes, content type).
pub async fn post_compose(b: &Browser, form: &Form, op: &str, files: &[(&str, Vec<u8>, &str)], json: bool) -> reqwest::Response {
    compose_request(b, form, op, files, json).send().await.expect("POST /compose")
}

/// The request [`post_compose`] sends.
pub fn compose_request(b: &Browser, form: &Form, op: &str, files: &[(&str, Vec<u8>, &str)], json: bool) -> reqwest::RequestBuilder {
    let mut mp = reqwest::multipart::Form::new();
    for (k, v) in &form.fields {
        mp = mp.text(k.clone(), v.clone());
    }
    mp = mp.text("op", op.to_string());
    for (name, bytes, ct) in files {
        let part = reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.to_string()).mime_str(ct).unwrap();
        mp = mp.part("attachments", part);
    }
    let mut req = b.http.post(format!("{}/compose", b.base())).header("accept-language", "en").multipart(mp);
    if json {
        req = req.header("accept", "application/json");
    }
    req
}

/// The redirect target of a response, followed; or the page itself.
pub async fn follow(b: &Browser, res: reqwest::Response) -> Page {
    if res.status().is_redirection() {
        let loc = res.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or("/").to_string();
        return b.get(&loc).await;
    }
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let url = res.url().to_string();
    Page { status, url, body: res.text().await.unwrap_or_default(), headers }
}
