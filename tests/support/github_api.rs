//! A fake of the GitHub REST API's issue-comment endpoints, for the action's scripts: list (with
//! `per_page`/`page` and a `Link: rel="next"` header, as GitHub paginates), create, update and
//! delete. It checks the bearer token, records every request, and can be told to fail one
//! method with a status and message.

use serde_json::{Value, json};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

/// One comment as the fake stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    pub id: u64,
    pub body: String,
    pub author: String,
}

/// One request the fake answered: method, path with query, and body.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub url: String,
    pub body: String,
}

#[derive(Default)]
struct State {
    comments: Vec<Comment>,
    next_id: u64,
    requests: Vec<Recorded>,
    /// (method, status, message): every request of that method fails so.
    failure: Option<(String, u16, String)>,
}

/// A running fake; stops when dropped.
pub struct GithubApi {
    /// e.g. `http://127.0.0.1:41234`, to set as GITHUB_API_URL.
    pub url: String,
    pub token: String,
    /// The login comments created through the API get.
    pub bot: String,
    state: Arc<Mutex<State>>,
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
}

impl GithubApi {
    pub fn start() -> GithubApi {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1"));
        let port = server.server_addr().to_ip().expect("an IP listener").port();
        let url = format!("http://127.0.0.1:{port}");
        let token = "test-token-123".to_string();
        let bot = "github-actions[bot]".to_string();
        let state = Arc::new(Mutex::new(State {
            next_id: 1000,
            ..State::default()
        }));
        let thread = {
            let (server, state, url, token, bot) = (
                server.clone(),
                state.clone(),
                url.clone(),
                token.clone(),
                bot.clone(),
            );
            std::thread::spawn(move || {
                for mut request in server.incoming_requests() {
                    let mut body = String::new();
                    let _ = request.as_reader().read_to_string(&mut body);
                    let auth = request
                        .headers()
                        .iter()
                        .find(|h| h.field.equiv("Authorization"))
                        .map(|h| h.value.to_string());
                    let method = request.method().to_string();
                    let path = request.url().to_string();
                    let reply = {
                        let mut st = lock(&state);
                        st.requests.push(Recorded {
                            method: method.clone(),
                            url: path.clone(),
                            body: body.clone(),
                        });
                        if auth.as_deref() != Some(format!("Bearer {token}").as_str()) {
                            Reply::json(401, json!({"message": "Bad credentials"}))
                        } else {
                            answer(&mut st, &method, &path, &body, &url, &bot)
                        }
                    };
                    let _ = request.respond(reply.into_response());
                }
            })
        };
        GithubApi {
            url,
            token,
            bot,
            state,
            server,
            thread: Some(thread),
        }
    }

    /// Adds a comment as if someone had posted it; returns its id.
    pub fn seed(&self, author: &str, body: &str) -> u64 {
        let mut st = lock(&self.state);
        st.next_id += 1;
        let id = st.next_id;
        st.comments.push(Comment {
            id,
            body: body.to_string(),
            author: author.to_string(),
        });
        id
    }

    /// Every request of `method` answers `status` with GitHub's `{"message": …}`.
    pub fn fail(&self, method: &str, status: u16, message: &str) {
        lock(&self.state).failure = Some((method.to_string(), status, message.to_string()));
    }

    pub fn comments(&self) -> Vec<Comment> {
        lock(&self.state).comments.clone()
    }

    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.state).requests.clone()
    }

    /// How many requests of `method` were made.
    pub fn count(&self, method: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.method == method)
            .count()
    }
}

impl Drop for GithubApi {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

struct Reply {
    status: u16,
    body: String,
    link: Option<String>,
}

impl Reply {
    fn json(status: u16, value: Value) -> Reply {
        Reply {
            status,
            body: value.to_string(),
            link: None,
        }
    }

    fn into_response(self) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
        let mut r = tiny_http::Response::from_string(self.body)
            .with_status_code(self.status)
            .with_header(header("Content-Type", "application/json; charset=utf-8"));
        if let Some(link) = self.link {
            r.add_header(header("Link", &link));
        }
        r
    }
}

fn header(name: &str, value: &str) -> tiny_http::Header {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("a valid header")
}

fn comment_json(c: &Comment, base: &str) -> Value {
    json!({
        "id": c.id,
        "body": c.body,
        "user": {"login": c.author},
        "html_url": format!("{base}/comments/{}", c.id),
    })
}

/// Routes one authenticated request.
fn answer(st: &mut State, method: &str, url: &str, body: &str, base: &str, bot: &str) -> Reply {
    if let Some((m, status, message)) = &st.failure
        && m == method
    {
        return Reply::json(*status, json!({"message": message}));
    }
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let new_body = || {
        serde_json::from_str::<Value>(body).ok()?["body"]
            .as_str()
            .map(str::to_string)
    };
    match (method, parts.as_slice()) {
        ("GET", ["repos", _, _, "issues", _, "comments"]) => list(st, path, query, base),
        ("POST", ["repos", _, _, "issues", _, "comments"]) => match new_body() {
            Some(text) => {
                st.next_id += 1;
                let c = Comment {
                    id: st.next_id,
                    body: text,
                    author: bot.to_string(),
                };
                st.comments.push(c.clone());
                Reply::json(201, comment_json(&c, base))
            }
            None => Reply::json(422, json!({"message": "Invalid request: no body"})),
        },
        ("PATCH" | "DELETE", ["repos", _, _, "issues", "comments", id]) => {
            let id: u64 = id.parse().unwrap_or(0);
            let Some(at) = st.comments.iter().position(|c| c.id == id) else {
                return Reply::json(404, json!({"message": "Not Found"}));
            };
            if method == "DELETE" {
                st.comments.remove(at);
                return Reply::json(204, json!(null));
            }
            match new_body() {
                Some(text) => {
                    st.comments[at].body = text;
                    Reply::json(200, comment_json(&st.comments[at], base))
                }
                None => Reply::json(422, json!({"message": "Invalid request: no body"})),
            }
        }
        _ => Reply::json(404, json!({"message": "Not Found"})),
    }
}

/// One page of comments, oldest first, with a `Link` to the next page as GitHub sends it.
fn list(st: &State, path: &str, query: &str, base: &str) -> Reply {
    let param = |name: &str| {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
            .and_then(|v| v.parse::<usize>().ok())
    };
    let per_page = param("per_page").unwrap_or(30).clamp(1, 100);
    let page = param("page").unwrap_or(1).max(1);
    let start = (page - 1) * per_page;
    let items: Vec<Value> = st
        .comments
        .iter()
        .skip(start)
        .take(per_page)
        .map(|c| comment_json(c, base))
        .collect();
    let mut reply = Reply::json(200, Value::Array(items));
    if start + per_page < st.comments.len() {
        let next = format!("{base}{path}?per_page={per_page}&page={}", page + 1);
        let last = st.comments.len().div_ceil(per_page);
        let last = format!("{base}{path}?per_page={per_page}&page={last}");
        reply.link = Some(format!("<{next}>; rel=\"next\", <{last}>; rel=\"last\""));
    }
    reply
}
