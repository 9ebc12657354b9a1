//! Every route of the aggregator on one screen, with who may call it.
//!
//! | route | access |
//! |---|---|
//! | `POST /api/v1/releases` | a registered node (the envelope's signature) |
//! | `GET /api/v1/ledger`, `/api/v1/trends`, `/api/v1/audits/bias`, `/` | analyst token |
//! | `GET /login`, `POST /login`, `POST /logout`, `/healthz`, `/metrics` | public |

use axum::routing::{get, post};
use axum::Router;

use super::{api, pages, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/releases", post(api::post_release))
        .route("/api/v1/ledger", get(api::get_ledger))
        .route("/api/v1/trends", get(api::get_trends))
        .route("/api/v1/audits/bias", get(api::get_bias_audit))
        .route("/", get(pages::dashboard))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/healthz", get(api::healthz))
        .route("/metrics", get(api::metrics))
}
