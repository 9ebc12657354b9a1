//! Account administration for school admins: list, create, link, reset, disable.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Extension;
use serde::Deserialize;
use serde_json::json;

use crate::auth::{self, AuthError, LinkTarget, Principal, Role};
use crate::http::error::JsonBody;
use crate::http::{ApiError, AppState};
use crate::store::accounts as sql;

/// Runs blocking account work (argon2, the writer) off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, AuthError> + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal("running an account task", e))?
        .map_err(ApiError::from)
}

pub async fn list_accounts(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let rows = state.store.read(sql::list_accounts).await?;
    let list: Vec<_> = rows
        .into_iter()
        .map(|a| {
            json!({"id": a.id, "username": a.username, "role": a.role, "person_key": a.person_key,
                   "disabled": a.disabled, "must_change_password": a.must_change_password})
        })
        .collect();
    Ok(axum::Json(json!({ "accounts": list })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    pub username: String,
    pub role: String,
    /// Omit to generate a one-time password (returned once).
    pub password: Option<String>,
    /// OneRoster sourcedId of the rostered person this account is.
    pub person: Option<String>,
}

pub async fn create_account(
    State(state): State<AppState>,
    JsonBody(b): JsonBody<CreateBody>,
) -> Result<impl IntoResponse, ApiError> {
    let role: Role = b.role.parse().map_err(ApiError::unprocessable)?;
    let (store, now) = (state.store.clone(), state.clock.now());
    let username = b.username.clone();
    let added =
        blocking(move || auth::add_user(&store, &b.username, role, b.password.as_deref(), b.person.as_deref(), now))
            .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(
            json!({"id": added.account_id, "username": username, "role": role, "one_time_password": added.generated_password}),
        ),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    /// Student sourcedId (guardian and student accounts).
    pub student: Option<String>,
    /// Class sourcedId (teacher accounts).
    pub class: Option<String>,
}

pub async fn link_account(
    State(state): State<AppState>,
    Path(username): Path<String>,
    JsonBody(b): JsonBody<LinkBody>,
) -> Result<impl IntoResponse, ApiError> {
    let target = match (b.student, b.class) {
        (Some(s), None) => LinkTarget::Student(s),
        (None, Some(c)) => LinkTarget::Class(c),
        _ => return Err(ApiError::unprocessable("give exactly one of \"student\" or \"class\"")),
    };
    let (store, now) = (state.store.clone(), state.clock.now());
    let created = blocking(move || auth::link(&store, &username, target, now)).await?;
    Ok(axum::Json(json!({"linked": true, "new": created})))
}

pub async fn reset_password(
    State(state): State<AppState>,
    Path(username): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let (store, now) = (state.store.clone(), state.clock.now());
    let generated = blocking(move || auth::set_password(&store, &username, None, true, now)).await?;
    Ok(axum::Json(json!({"one_time_password": generated})))
}

pub async fn disable_account(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(username): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    if username.eq_ignore_ascii_case(&p.username) {
        return Err(ApiError::conflict("you cannot disable your own account"));
    }
    let now = auth::ts(state.clock.now());
    state
        .store
        .write(move |c| -> Result<(), AuthError> {
            let a = sql::find_account(c, &username)?.ok_or_else(|| AuthError::UnknownUser(username.clone()))?;
            sql::set_disabled(c, a.id, true)?;
            sql::revoke_all_sessions(c, a.id, &now)?;
            Ok(())
        })
        .await?;
    Ok(axum::Json(json!({"disabled": true})))
}
