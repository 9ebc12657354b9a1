//! Every route of the node on one screen, with what it requires. `route_table()` is the list the
//! RBAC matrix test walks; a route added here without an entry in that test fails the test.

use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::Method;
use axum::middleware::from_fn;
use axum::routing::{on, MethodFilter};
use axum::Router;

use super::routes::alerts::{
    self, family_pages, interventions, pages as alert_pages, student_page, summary_page, teaching,
};
use super::routes::{account, admin, health, imports, indicators, live_pages, pages, privacy, xapi};
use super::{session, AppState};
use crate::auth::Capability as C;

/// What a route requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, no session.
    Public,
    /// A JSON route: a session or bearer token with this capability (401/403 JSON otherwise).
    Api(C),
    /// A page: a session with this capability (redirect to the login page otherwise).
    Page(C),
    /// A data source's HTTP Basic credentials (401 without; 403 for a person's session), checked
    /// by the handler.
    DataSource,
}

#[derive(Debug, Clone)]
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
}

struct Routes {
    router: Router<AppState>,
    specs: Vec<RouteSpec>,
}

impl Routes {
    fn add<H, T>(mut self, method: Method, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone()).unwrap_or(MethodFilter::GET);
        let mr = on(filter, handler);
        let mr = match access {
            Access::Public | Access::DataSource => mr,
            Access::Api(cap) => mr.route_layer(from_fn(move |req, next| session::check(cap, req, next))),
            Access::Page(cap) => mr.route_layer(from_fn(move |req, next| session::check_page(cap, req, next))),
        };
        self.router = self.router.route(path, mr);
        self.specs.push(RouteSpec { method, path, access });
        self
    }
}

fn build() -> Routes {
    let (get, post, put, delete) = (Method::GET, Method::POST, Method::PUT, Method::DELETE);
    Routes { router: Router::new(), specs: Vec::new() }
        // Operations
        .add(get.clone(), "/healthz", Access::Public, health::healthz)
        .add(get.clone(), "/metrics", Access::Public, health::metrics)
        // Sessions and one's own account
        .add(post.clone(), "/api/v1/login", Access::Public, account::login)
        .add(post.clone(), "/api/v1/logout", Access::Api(C::OwnAccount), account::logout)
        .add(get.clone(), "/api/v1/me", Access::Api(C::OwnAccount), account::me)
        .add(post.clone(), "/api/v1/me/password", Access::Api(C::OwnAccount), account::change_password)
        .add(get.clone(), "/api/v1/me/sessions", Access::Api(C::OwnAccount), account::sessions)
        .add(delete.clone(), "/api/v1/me/sessions/{id}", Access::Api(C::OwnAccount), account::revoke_session)
        .add(post.clone(), "/api/v1/me/tokens", Access::Api(C::OwnAccount), account::create_token)
        // Administration
        .add(get.clone(), "/api/v1/accounts", Access::Api(C::ManageAccounts), admin::list_accounts)
        .add(post.clone(), "/api/v1/accounts", Access::Api(C::ManageAccounts), admin::create_account)
        .add(post.clone(), "/api/v1/accounts/{username}/links", Access::Api(C::ManageAccounts), admin::link_account)
        .add(
            post.clone(),
            "/api/v1/accounts/{username}/password",
            Access::Api(C::ManageAccounts),
            admin::reset_password,
        )
        .add(
            post.clone(),
            "/api/v1/accounts/{username}/disable",
            Access::Api(C::ManageAccounts),
            admin::disable_account,
        )
        // Imports (all or nothing)
        .add(get.clone(), "/api/v1/imports", Access::Api(C::ImportData), imports::list)
        .add(
            post.clone(),
            "/api/v1/imports/{kind}",
            Access::Api(C::ImportData),
            imports::upload.layer(DefaultBodyLimit::max(imports::MAX_UPLOAD_BYTES)),
        )
        // Privacy records
        .add(get.clone(), "/api/v1/privacy/access-log", Access::Api(C::ViewPrivacyRecords), privacy::access_log)
        .add(get.clone(), "/api/v1/privacy/access-log/verify", Access::Api(C::ViewPrivacyRecords), privacy::verify)
        // xAPI: the statements resource (data sources), and its administration
        .add(get.clone(), "/xapi/about", Access::Public, xapi::about)
        .add(get.clone(), "/xapi/statements", Access::DataSource, xapi::get_statements)
        .add(post.clone(), "/xapi/statements", Access::DataSource, xapi::post_statements)
        .add(put, "/xapi/statements", Access::DataSource, xapi::put_statements)
        .add(get.clone(), "/api/v1/sources", Access::Api(C::ManageSources), xapi::list_sources)
        .add(post.clone(), "/api/v1/sources", Access::Api(C::ManageSources), xapi::create_source)
        .add(post.clone(), "/api/v1/sources/{name}/revoke", Access::Api(C::ManageSources), xapi::revoke_source)
        .add(get.clone(), "/api/v1/xapi/unmatched", Access::Api(C::ManageSources), xapi::unmatched)
        // Early-warning alerts, interventions, appeals (issue 7)
        .add(get.clone(), "/api/v1/alerts", Access::Api(C::ManageAlerts), alerts::list)
        .add(get.clone(), "/api/v1/alerts/tuning", Access::Api(C::ViewSchoolwide), teaching::tuning)
        .add(get.clone(), "/api/v1/alerts/{id}", Access::Api(C::ManageAlerts), alerts::detail)
        .add(post.clone(), "/api/v1/alerts/{id}/transitions", Access::Api(C::ManageAlerts), alerts::transition)
        .add(post.clone(), "/api/v1/alerts/{id}/rating", Access::Api(C::ManageAlerts), alerts::rate)
        .add(get.clone(), "/api/v1/interventions", Access::Api(C::ManageAlerts), interventions::list)
        .add(post.clone(), "/api/v1/interventions", Access::Api(C::ManageAlerts), interventions::create)
        .add(get.clone(), "/api/v1/interventions/outcomes", Access::Api(C::ViewSchoolwide), interventions::outcomes)
        .add(get.clone(), "/api/v1/interventions/{id}", Access::Api(C::ManageAlerts), interventions::get)
        .add(post.clone(), "/api/v1/interventions/{id}/checks", Access::Api(C::ManageAlerts), interventions::check)
        .add(post.clone(), "/api/v1/interventions/{id}/close", Access::Api(C::ManageAlerts), interventions::close)
        .add(get.clone(), "/api/v1/appeals", Access::Api(C::ViewStudents), alerts::list_appeals)
        .add(post.clone(), "/api/v1/appeals", Access::Api(C::FileAppeal), alerts::file_appeal)
        .add(post.clone(), "/api/v1/appeals/{id}/answer", Access::Api(C::AnswerAppeals), alerts::answer_appeal)
        .add(get.clone(), "/api/v1/supports", Access::Api(C::FileAppeal), alerts::supports)
        .add(get.clone(), "/api/v1/classes/{class}/regroup", Access::Api(C::ViewClasses), teaching::regroup)
        .add(get.clone(), "/api/v1/students/{student}/next-steps", Access::Api(C::ViewStudents), teaching::next_steps)
        .add(
            post.clone(),
            "/api/v1/students/{student}/next-steps",
            Access::Api(C::ManageAlerts),
            teaching::accept_next_steps,
        )
        .add(get.clone(), "/api/v1/practice/next-steps", Access::DataSource, teaching::practice_next_steps)
        .add(get.clone(), "/api/v1/summaries/teacher", Access::Api(C::ViewClasses), teaching::teacher_summary)
        .add(get.clone(), "/api/v1/summaries/mtss", Access::Api(C::ViewSchoolwide), teaching::mtss_summary)
        .add(get.clone(), "/api/v1/summaries/family", Access::Api(C::ViewStudents), teaching::family_summary)
        // Pages
        .add(get.clone(), "/", Access::Public, pages::root)
        .add(get.clone(), "/login", Access::Public, pages::login_form)
        .add(post.clone(), "/login", Access::Public, pages::login_submit)
        .add(post.clone(), "/logout", Access::Page(C::OwnAccount), pages::logout)
        .add(get.clone(), "/home", Access::Page(C::OwnAccount), pages::home)
        .add(get.clone(), "/account/password", Access::Page(C::OwnAccount), pages::password_form)
        .add(get.clone(), "/alerts", Access::Page(C::ManageAlerts), alert_pages::list)
        .add(get.clone(), "/alerts/summary", Access::Page(C::ManageAlerts), summary_page::moved)
        .add(get.clone(), "/alerts/{id}", Access::Page(C::ManageAlerts), alert_pages::detail)
        .add(post.clone(), "/alerts/{id}", Access::Page(C::ManageAlerts), alert_pages::transition)
        .add(get.clone(), "/summaries", Access::Page(C::ViewClasses), summary_page::summaries)
        .add(get.clone(), "/students/{student}", Access::Page(C::ManageAlerts), student_page::student)
        .add(post.clone(), "/students/{student}/next-steps", Access::Page(C::ManageAlerts), student_page::accept)
        // Students' and families' pages: each role is sent to its own (a student to /me/progress,
        // a guardian to /family); filing an appeal is FileAppeal, as in the JSON route.
        .add(get.clone(), "/me/progress", Access::Page(C::FileAppeal), family_pages::my_progress)
        .add(get.clone(), "/family", Access::Page(C::FileAppeal), family_pages::family)
        .add(post.clone(), "/family/appeals", Access::Page(C::FileAppeal), family_pages::file_appeal)
        .add(post.clone(), "/account/password", Access::Page(C::OwnAccount), pages::password_submit)
        // Indicators and the live stream (issue 6)
        .add(get.clone(), "/api/v1/stream", Access::Api(C::ViewStudents), indicators::stream)
        .add(get.clone(), "/api/v1/classes/{class}/overview", Access::Api(C::ViewClasses), indicators::class_overview)
        .add(get.clone(), "/api/v1/classes/{class}/sessions", Access::Api(C::ViewClasses), indicators::class_sessions)
        .add(get.clone(), "/api/v1/classes/{class}/items", Access::Api(C::ViewClasses), indicators::class_items)
        .add(
            get.clone(),
            "/api/v1/classes/{class}/attendance",
            Access::Api(C::ViewClasses),
            indicators::class_attendance,
        )
        .add(get.clone(), "/api/v1/sessions/{id}", Access::Api(C::ViewClasses), indicators::session_state)
        .add(
            get.clone(),
            "/api/v1/students/{student}/indicators",
            Access::Api(C::ViewStudents),
            indicators::student_indicators,
        )
        .add(get.clone(), "/classes/{class}/live", Access::Page(C::ViewClasses), live_pages::live_class)
        .add(get.clone(), "/classes/{class}/mastery", Access::Page(C::ViewClasses), live_pages::mastery_grid)
}

/// The node's router (without state and outer layers; see `http::app`).
pub fn router() -> Router<AppState> {
    build().router
}

/// Every route with its access rule.
pub fn route_table() -> Vec<RouteSpec> {
    build().specs
}
