//! Teacher and MTSS pages of a class: the live class view (who answered, per-item correct %, common
//! wrong answers and their misconceptions, who has not responded — updated over server-sent events
//! while the class answers) and the students × standards mastery grid.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;

use super::indicators::{read_entries, require_class};
use crate::auth::Principal;
use crate::http::views::{error_page, layout};
use crate::http::{ApiError, AppState};
use crate::indicators::sessions::{self, SessionState};
use crate::indicators::views::{self, ClassOverview};
use crate::store::indicators::reads;

fn page_error(e: ApiError) -> Response {
    error_page(&e).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveQuery {
    /// A session of the class; the latest when absent.
    pub session: Option<String>,
}

struct LiveData {
    title: String,
    names: Vec<(String, String)>,
    session: Option<SessionState>,
}

pub async fn live_class(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    Query(q): Query<LiveQuery>,
) -> Response {
    match live_class_inner(&state, &p, &id, q).await {
        Ok(m) => m.into_response(),
        Err(e) => page_error(e),
    }
}

async fn live_class_inner(state: &AppState, p: &Principal, id: &str, q: LiveQuery) -> Result<Markup, ApiError> {
    require_class(state, p, id).await?;
    let class = id.to_owned();
    let data = state
        .store
        .read(move |c| -> Result<LiveData, ApiError> {
            let title = reads::class_title(c, &class)?.unwrap_or_else(|| class.clone());
            let names = reads::class_students(c, &class)?;
            let session_id = match q.session {
                Some(s) => Some(s),
                None => reads::class_sessions(c, &class, 1)?.into_iter().next().map(|s| s.0),
            };
            let session = match session_id {
                Some(s) => sessions::session_state(c, &s)?.filter(|st| st.class_id.as_deref() == Some(class.as_str())),
                None => None,
            };
            Ok(LiveData { title, names, session })
        })
        .await?;
    let keys: Vec<String> = data.names.iter().map(|(k, _)| k.clone()).collect();
    let route = format!("/classes/{id}/live");
    crate::audit::record(&state.store, read_entries(state, p, "read_live_session", &route, &keys)).await?;
    Ok(layout(&format!("Live: {}", data.title), Some(p), live_markup(id, &data)))
}

fn pct(x: Option<f64>) -> String {
    x.map_or("–".to_owned(), |v| format!("{:.0}%", v * 100.0))
}

fn live_markup(class_id: &str, d: &LiveData) -> Markup {
    let session_id = d.session.as_ref().map(|s| s.session_id.clone()).unwrap_or_default();
    html! {
        h1 { "Live class: " (d.title) }
        p.muted { a href={"/classes/" (class_id) "/mastery"} { "Mastery grid" } " · updates as students answer" }
        div #live data-class=(class_id) data-session=(session_id) {
            @match &d.session {
                None => { div.card { p { "No live session yet. This page updates when the first answer arrives." } } }
                Some(s) => {
                    div.card {
                        h2 { "Items" }
                        table #items {
                            thead { tr { th { "Item" } th { "Answered" } th { "Correct" } th { "Common wrong answers" } } }
                            tbody {
                                @for it in &s.items {
                                    tr data-item=(it.item_id) {
                                        td { (it.item_id) }
                                        td.responders { (it.responders) }
                                        td.correct { (pct(it.correct_share)) }
                                        td.wrong {
                                            @for w in it.wrong_answers.iter().take(3) {
                                                span { (w.response) " ×" (w.count)
                                                    @if let Some(m) = &w.misconception { " (" (m) ")" } }
                                                " "
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            div.card {
                h2 { "Students" }
                table #students {
                    thead { tr { th { "Student" } th { "Answered" } th { "Correct" } } }
                    tbody {
                        @for (key, name) in &d.names {
                            @let st = d.session.as_ref().and_then(|s| s.students.iter().find(|x| &x.student_key == key));
                            @let answered = st.map_or(0, |x| x.answered);
                            tr data-student=(key) class=(if answered == 0 { "waiting" } else { "" }) {
                                td { (name) }
                                td.answered { (answered) }
                                td.right { (st.map_or(0, |x| x.correct)) }
                            }
                        }
                    }
                }
                p.muted { "Rows without answers yet are marked " span.flag.amber { "not responded" } }
            }
        }
        style { (PreEscaped("tr.waiting td:first-child::after{content:' · not responded';color:var(--amber);font-size:.85rem}")) }
        script { (PreEscaped(LIVE_JS)) }
    }
}

/// Applies live events to the tables: answers mark students, item totals replace an item's row; a
/// new session reloads the page. Text is set with textContent only (never HTML from events).
const LIVE_JS: &str = r#"
(function(){
  var root = document.getElementById('live'); if (!root || !window.EventSource) return;
  var cls = root.getAttribute('data-class'), session = root.getAttribute('data-session');
  var seen = {};
  var es = new EventSource('/api/v1/stream?class=' + encodeURIComponent(cls));
  function newSession(s){ if (s !== session) { es.close(); location.href = location.pathname + '?session=' + encodeURIComponent(s); return true; } return false; }
  es.addEventListener('answer_received', function(m){
    var e = JSON.parse(m.data); if (newSession(e.session_id)) return;
    var k = e.student_key + '|' + e.item_id; if (seen[k]) return; seen[k] = 1;
    var row = document.querySelector('tr[data-student="' + CSS.escape(e.student_key) + '"]'); if (!row) return;
    row.classList.remove('waiting');
    var a = row.querySelector('.answered'), r = row.querySelector('.right');
    a.textContent = String(Number(a.textContent) + 1); if (e.correct) r.textContent = String(Number(r.textContent) + 1);
  });
  es.addEventListener('item_stats_changed', function(m){
    var e = JSON.parse(m.data); if (newSession(e.session_id)) return;
    var body = document.querySelector('#items tbody'); if (!body) { location.reload(); return; }
    var row = body.querySelector('tr[data-item="' + CSS.escape(e.item_id) + '"]');
    if (!row) { row = document.createElement('tr'); row.setAttribute('data-item', e.item_id);
      ['item','responders','correct','wrong'].forEach(function(c){ var td = document.createElement('td'); td.className = c; row.appendChild(td); });
      row.firstChild.textContent = e.item_id; body.appendChild(row); }
    row.querySelector('.responders').textContent = e.responders;
    row.querySelector('.correct').textContent = e.responders ? Math.round(100 * e.correct / e.responders) + '%' : '–';
    row.querySelector('.wrong').textContent = e.wrong_answers.slice(0, 3).map(function(w){
      return w.response + ' ×' + w.count + (w.misconception ? ' (' + w.misconception + ')' : ''); }).join('  ');
  });
  es.addEventListener('reset', function(){ location.reload(); });
})();
"#;

pub async fn mastery_grid(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        require_class(&state, &p, &id).await?;
        let class = id.clone();
        let overview = state.store.read(move |c| views::class_overview(c, &class)).await?;
        let overview = overview.ok_or_else(|| ApiError::not_found("no such class"))?;
        let keys: Vec<String> = overview.students.iter().map(|s| s.student_key.clone()).collect();
        let route = format!("/classes/{id}/mastery");
        crate::audit::record(&state.store, read_entries(&state, &p, "read_class_mastery", &route, &keys)).await?;
        Ok::<_, ApiError>(layout(&format!("Mastery: {}", overview.title), Some(&p), grid_markup(&overview)))
    }
    .await;
    match result {
        Ok(m) => m.into_response(),
        Err(e) => page_error(e),
    }
}

fn grid_markup(o: &ClassOverview) -> Markup {
    html! {
        h1 { "Mastery by standard: " (o.title) }
        p.muted { a href={"/classes/" (o.class_id) "/live"} { "Live class view" }
            " · BKT mastery; the number of answers behind each value is shown small; "
            span.flag.green { "≥ 80%" } " " span.flag.amber { "60–80%" } " " span.flag.red { "< 60%" } }
        div.card style="overflow-x:auto" {
            table {
                thead { tr { th { "Student" } @for s in &o.standards { th title=(s) { (s.rsplit('.').take(3).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join(".")) } } } }
                tbody {
                    @for row in &o.students {
                        tr {
                            td { a href={"/students/" (row.student_key)} { (row.name) } }
                            @for s in &o.standards {
                                td {
                                    @if let Some(m) = row.mastery.get(s) {
                                        @let colour = if m.mastery >= 0.8 { "green" } else if m.mastery >= 0.6 { "amber" } else { "red" };
                                        span class={"flag " (colour)} title={(format!("{:.0}%–{:.0}%", m.low * 100.0, m.high * 100.0))} { (format!("{:.0}%", m.mastery * 100.0)) }
                                        small.muted { " " (m.evidence) }
                                    } @else { span.muted { "–" } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
