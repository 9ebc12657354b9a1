//! Server-rendered pages (maud): the layout shared by every page, and small building blocks.
//! Pages work without JavaScript; live views add a little for server-sent events.

use maud::{html, Markup, DOCTYPE};

use super::error::ApiError;
use crate::auth::Principal;

const STYLE: &str = r#"
:root { --ink:#1d2330; --muted:#5b6475; --line:#d9dee7; --bg:#f7f8fb; --accent:#1f5fbf;
        --green:#1b7f3b; --amber:#a35f00; --red:#b3261e; }
* { box-sizing: border-box; }
body { margin:0; font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--ink); background:var(--bg); }
header { background:#fff; border-bottom:1px solid var(--line); padding:.6rem 1rem; display:flex; gap:1rem; align-items:center; flex-wrap:wrap; }
header .brand { font-weight:700; color:var(--accent); text-decoration:none; }
header .who { margin-left:auto; color:var(--muted); font-size:.9rem; }
main { max-width: 72rem; margin: 1.2rem auto; padding: 0 1rem; }
.card { background:#fff; border:1px solid var(--line); border-radius:.5rem; padding:1rem 1.2rem; margin-bottom:1rem; }
h1 { font-size:1.4rem; margin:.2rem 0 1rem; } h2 { font-size:1.1rem; margin:.2rem 0 .6rem; }
label { display:block; margin:.6rem 0 .2rem; font-weight:600; }
input[type=text], input[type=password] { width:100%; max-width:22rem; padding:.5rem; border:1px solid var(--line); border-radius:.35rem; font-size:1rem; }
button { background:var(--accent); color:#fff; border:0; border-radius:.35rem; padding:.5rem 1rem; font-size:1rem; cursor:pointer; }
button.link { background:none; color:var(--accent); padding:0; }
.error { color:var(--red); font-weight:600; } .muted { color:var(--muted); }
table { border-collapse: collapse; width:100%; } th, td { text-align:left; padding:.35rem .5rem; border-bottom:1px solid var(--line); }
.flag { display:inline-block; padding:.05rem .5rem; border-radius:1rem; font-size:.85rem; font-weight:600; }
.flag.green { background:#e3f3e8; color:var(--green); } .flag.amber { background:#fdf0dc; color:var(--amber); } .flag.red { background:#fbe4e2; color:var(--red); }
@media (max-width: 40rem) { body { font-size: 17px; } header .who { margin-left:0; width:100%; } }
"#;

/// The page frame: header with the school and the signed-in person, then `content`.
pub fn layout(title: &str, principal: Option<&Principal>, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Lantern" }
                style { (maud::PreEscaped(STYLE)) }
            }
            body {
                header {
                    a.brand href="/" { "Lantern" }
                    @if let Some(p) = principal {
                        span.who {
                            (p.username) " · " (p.role.title()) " · "
                            form method="post" action="/logout" style="display:inline" {
                                input type="hidden" name="_csrf" value=(p.csrf_token);
                                button.link type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main { (content) }
            }
        }
    }
}

/// An error as a page, with the same status as the JSON form would have.
pub fn error_page(e: &ApiError) -> (axum::http::StatusCode, Markup) {
    let body = layout(
        "Problem",
        None,
        html! {
            div.card {
                h1 { "Sorry — that did not work" }
                p.error { (e.message) }
                p { a href="/home" { "Back to your home page" } }
            }
        },
    );
    (e.status, body)
}
