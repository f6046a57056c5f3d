//! What every page shares: the layout's [`Chrome`] (navigation by permission,
//! the CSRF token), the login and password pages, the error page, and small
//! text helpers.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::AppState;
use super::auth::{
    self, Caller, ClientIp, LOGIN_CSRF_COOKIE, MaybeUser, SESSION_COOKIE, SESSION_IDLE, User,
};
use super::error::{Error, ErrorMark, Result};
pub use super::text::{escape, url_decode, url_encode};
use domain::account::{Account, Permission};
use service::accounts;
use storage::{Store, WorkflowStore};

/// One entry of the navigation bar.
#[derive(Debug, Clone)]
pub struct NavItem {
    /// Link.
    pub href: &'static str,
    /// Chinese label.
    pub label: &'static str,
    /// The current section.
    pub active: bool,
}

/// What the layout (`base.html`) needs: the title, the user, the navigation
/// and the CSRF token for forms and htmx.
#[derive(Debug, Clone, Default)]
pub struct Chrome {
    /// Page title.
    pub title: String,
    /// Logged-in user's display name, role, department code and department name.
    pub user: Option<(String, String, String, String)>,
    /// Navigation, by permission, grouped.
    pub nav: Vec<NavEntry>,
    /// The session's CSRF token ("" when not logged in).
    pub csrf: String,
    /// A sensitive page's watermark (see [`Chrome::sensitive`]).
    pub watermark: Option<files::watermark::Watermark>,
    /// The city's name, e.g. `宜昌市` ("" before the city is set up).
    pub city: String,
    /// The message shown once after a state change (see [`crate::flash`]).
    pub flash: Option<String>,
}

/// The staff sections: link, label, the menu group holding it (`None`: on the
/// bar itself), and who sees them in the navigation. Grouped so that the bar
/// fits at 1366 px.
type Section = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<Permission>,
);

const SECTIONS: &[Section] = &[
    ("/dashboard", "工作台", None, None),
    ("/directories", "名录库", None, None),
    ("/plans", "抽查计划", None, None),
    ("/rounds", "抽查批次", None, None),
    ("/results", "检查结果", None, Some(Permission::EnterResults)),
    ("/hotline", "12345热线", None, None),
    (
        "/credit",
        "信用监管",
        Some("信用"),
        Some(Permission::CheckCredit),
    ),
    ("/credit/repair", "信用修复", Some("信用"), None),
    (
        "/credit/risk",
        "风险分类",
        Some("信用"),
        Some(Permission::SeeRiskClasses),
    ),
    (
        "/credit/score",
        "信用积分",
        Some("信用"),
        Some(Permission::SeePersonalCredit),
    ),
    (
        "/services/window",
        "综合窗口",
        Some("政务服务"),
        Some(Permission::CheckCredit),
    ),
    ("/services/matters", "事项清单", Some("政务服务"), None),
    ("/supervision", "执法监督", Some("监督"), None),
    ("/cases", "行政处罚案件", Some("监督"), None),
    ("/review", "案卷评查", Some("监督"), None),
    ("/reconsideration", "行政复议", Some("监督"), None),
    ("/litigation", "出庭应诉", Some("监督"), None),
    (
        "/reports",
        "统计报表",
        Some("监督"),
        Some(Permission::DownloadReports),
    ),
    (
        "/services/kpi",
        "政务服务考核",
        Some("监督"),
        Some(Permission::DownloadReports),
    ),
    (
        "/ledger",
        "审计台账",
        Some("监督"),
        Some(Permission::AuditLedger),
    ),
    (
        "/accounts",
        "账号管理",
        Some("管理"),
        Some(Permission::ManageAccounts),
    ),
    (
        "/calendar",
        "工作日历",
        Some("管理"),
        Some(Permission::ManageAccounts),
    ),
    ("/gongshi", "公示平台", None, None),
];

/// An entry of the bar: a link, or a group of links (a drop-down).
#[derive(Debug, Clone)]
pub struct NavEntry {
    /// The link, or the group's label.
    pub label: &'static str,
    /// The link's address ("" for a group).
    pub href: &'static str,
    /// The group's links (empty for a link).
    pub items: Vec<NavItem>,
    /// The current section is this link or in this group.
    pub active: bool,
}

/// The bar for `account`: the sections it may see, the groups placed where
/// their first section would be.
fn navigation(account: &Account, section: &str) -> Vec<NavEntry> {
    let visible = SECTIONS
        .iter()
        .filter(|(_, _, _, need)| need.is_none_or(|p| account.may(p)))
        .filter(|(href, _, _, _)| *href != "/hotline" || crate::ops::hotline::may_read(account));
    let mut entries: Vec<NavEntry> = Vec::new();
    for &(href, label, group, _) in visible {
        let item = NavItem {
            href,
            label,
            active: href == section,
        };
        match group {
            None => entries.push(NavEntry {
                label,
                href,
                active: item.active,
                items: Vec::new(),
            }),
            Some(group) => {
                let index = match entries
                    .iter()
                    .position(|e| e.href.is_empty() && e.label == group)
                {
                    Some(index) => index,
                    None => {
                        entries.push(NavEntry {
                            label: group,
                            href: "",
                            active: false,
                            items: Vec::new(),
                        });
                        entries.len() - 1
                    }
                };
                if let Some(entry) = entries.get_mut(index) {
                    entry.active |= item.active;
                    entry.items.push(item);
                }
            }
        }
    }
    // A group of one is a plain link.
    entries
        .into_iter()
        .map(|entry| match entry.items.as_slice() {
            [only] if entry.href.is_empty() => NavEntry {
                label: only.label,
                href: only.href,
                active: only.active,
                items: Vec::new(),
            },
            _ => entry,
        })
        .collect()
}

impl Chrome {
    /// The chrome of a staff page in section `section` (its link).
    pub fn staff(user: &User, title: impl Into<String>, section: &str) -> Self {
        let account = user.account();
        Self {
            title: title.into(),
            user: Some(describe(account, &user.0.department_name)),
            nav: navigation(account, section),
            csrf: user.0.csrf.clone(),
            watermark: None,
            city: crate::city::current_name(),
            flash: user.0.flash.clone(),
        }
    }

    /// Marks the page sensitive: the user's name and the time repeated
    /// diagonally over it, and no selecting, copying or context menu.
    pub fn sensitive(mut self, user: &User) -> Self {
        self.watermark = Some(files::watermark::Watermark::web(
            user.account(),
            self.title.clone(),
        ));
        self
    }

    /// The chrome of a public page (login link, or the user's name).
    pub fn public(viewer: &MaybeUser, title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            user: viewer
                .0
                .as_ref()
                .map(|c| describe(&c.account, &c.department_name)),
            nav: Vec::new(),
            csrf: viewer
                .0
                .as_ref()
                .map(|c| c.csrf.clone())
                .unwrap_or_default(),
            watermark: None,
            city: crate::city::current_name(),
            flash: viewer.0.as_ref().and_then(|c| c.flash.clone()),
        }
    }
}

fn describe(account: &Account, department_name: &str) -> (String, String, String, String) {
    let code = account.department.clone().unwrap_or_default();
    let name = if department_name.is_empty() {
        code.clone()
    } else {
        department_name.to_owned()
    };
    (
        account.display_name.clone(),
        account.role.label().to_owned(),
        code,
        name,
    )
}

/// Every active department as (code, name), for the select boxes of forms.
pub async fn department_options(state: &AppState) -> Result<Vec<(String, String)>> {
    Ok(state
        .db
        .departments()
        .await?
        .iter()
        .filter(|d| d.is_active())
        .map(|d| (d.code().as_str().to_owned(), d.name().to_owned()))
        .collect())
}

/// Renders a template into an HTML answer.
pub fn render<T: Template>(template: &T) -> Result<Html<String>> {
    Ok(Html(template.render()?))
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    chrome: Chrome,
    status: u16,
    heading: &'static str,
    message: &'a str,
    code: &'a str,
    field: Option<(&'a str, &'static str)>,
}

/// The Chinese heading of an error status.
fn status_heading(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "输入有误",
        401 => "请先登录",
        403 => "无权办理",
        404 => "未找到",
        409 => "当前不能办理",
        429 => "尝试过于频繁",
        503 => "服务器繁忙",
        _ => "出错了",
    }
}

/// The HTML error page, inside the app frame of `user` when logged in (its
/// navigation and name), with the message, the field at fault and a way back
/// to the form.
pub fn error_page(status: StatusCode, mark: &ErrorMark, user: Option<&User>) -> String {
    let chrome = match user {
        Some(user) => Chrome {
            flash: None,
            ..Chrome::staff(user, "出错了", "")
        },
        None => Chrome {
            title: "出错了".into(),
            city: crate::city::current_name(),
            ..Chrome::default()
        },
    };
    let page = ErrorPage {
        chrome,
        status: status.as_u16(),
        heading: status_heading(status),
        message: &mark.message,
        code: mark.code,
        field: mark
            .field
            .map(|field| (field, domain::field::field_label(field))),
    };
    page.render()
        .unwrap_or_else(|_| format!("<p>{}</p>", escape(&mark.message)))
}

/// Where a login goes when `next` is missing or refused.
const HOME: &str = "/dashboard";
/// The longest `next` followed.
const MAX_NEXT: usize = 2048;

/// Only a same-origin path is followed after login. Control characters are
/// removed first (browsers drop tabs and newlines inside URLs, so
/// `/\t/evil.example` means `//evil.example`); then the path must start with
/// one `/` not followed by `/` or `\`, contain no `\`, and stay so after
/// percent-decoding (up to three rounds). Anything else goes home.
pub fn safe_next(next: Option<&str>) -> String {
    let without_controls =
        |text: &str| text.chars().filter(|c| !c.is_control()).collect::<String>();
    let Some(next) = next else {
        return HOME.to_owned();
    };
    let cleaned = without_controls(next);
    if cleaned.len() > MAX_NEXT || !is_local_path(&cleaned) {
        return HOME.to_owned();
    }
    let mut decoded = cleaned.clone();
    let mut settled = false;
    for _ in 0..3 {
        let again = without_controls(&url_decode_path(&decoded));
        if !is_local_path(&again) {
            return HOME.to_owned();
        }
        settled = again == decoded;
        if settled {
            break;
        }
        decoded = again;
    }
    if !settled {
        return HOME.to_owned();
    }
    // Only visible ASCII goes into the Location header.
    cleaned
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() {
                c.to_string()
            } else {
                url_encode(&c.to_string())
            }
        })
        .collect()
}

fn is_local_path(path: &str) -> bool {
    let mut chars = path.chars();
    chars.next() == Some('/') && !matches!(chars.next(), Some('/' | '\\')) && !path.contains('\\')
}

/// Percent-decoding of a path (unlike a form value, `+` stays `+`).
fn url_decode_path(text: &str) -> String {
    url_decode(&text.replace('+', "%2B"))
}

/// The routes of this module: `/`, login, logout and the password page.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route(
            "/account/password",
            get(password_form).post(change_password),
        )
}

async fn home(viewer: MaybeUser) -> Redirect {
    Redirect::to(if viewer.0.is_some() {
        "/dashboard"
    } else {
        "/gongshi"
    })
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    next: String,
    login_csrf: String,
    username: String,
    message: String,
}

#[derive(Debug, Deserialize)]
struct NextQuery {
    next: Option<String>,
}

fn login_page(next: &str, username: &str, message: &str, status: StatusCode) -> Result<Response> {
    let token = auth::random_token()?;
    let page = LoginPage {
        chrome: Chrome {
            title: "登录".into(),
            city: crate::city::current_name(),
            ..Chrome::default()
        },
        next: next.to_owned(),
        login_csrf: token.clone(),
        username: username.to_owned(),
        message: message.to_owned(),
    };
    let mut response = (status, render(&page)?).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        header_value(&auth::set_cookie(LOGIN_CSRF_COOKIE, &token, None))?,
    );
    Ok(response)
}

fn header_value(text: &str) -> Result<HeaderValue> {
    HeaderValue::from_str(text).map_err(Error::internal)
}

async fn login_form(Query(query): Query<NextQuery>) -> Result<Response> {
    login_page(&safe_next(query.next.as_deref()), "", "", StatusCode::OK)
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

async fn login(
    State(state): State<Arc<AppState>>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response> {
    let next = safe_next(form.next.as_deref());
    let username = form.username.trim().to_owned();
    if auth::cookie(&headers, LOGIN_CSRF_COOKIE) != Some(form.csrf.as_str()) || form.csrf.is_empty()
    {
        return Err(Error::Csrf);
    }
    if let Some(refusal) = state.limiter.check(&username, ip) {
        tracing::warn!(%ip, username, ?refusal, "login refused: rate limit");
        return Err(refusal.into());
    }
    let account = state
        .db
        .get::<Account>(&username)
        .await?
        .filter(|a| !a.disabled);
    let matches = match &account {
        Some(account) => {
            auth::password_matches(form.password, account.password_hash.clone()).await?
        }
        None => {
            // Spend the same time on unknown names.
            let _ = auth::password_matches(form.password, DUMMY_HASH.into()).await?;
            false
        }
    };
    let Some(account) = account.filter(|_| matches) else {
        state.limiter.failed(&username, ip);
        tracing::info!(%ip, username, "login failed");
        return login_page(
            &next,
            &username,
            "用户名或密码错误",
            StatusCode::UNAUTHORIZED,
        );
    };
    state.limiter.succeeded(&username, ip);
    tracing::info!(%ip, username, "login");
    let token = state.sessions.start(&account.username)?;
    let target = if account.must_change_password {
        "/account/password".to_owned()
    } else {
        next
    };
    let mut response = Redirect::to(&target).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        header_value(&auth::set_cookie(
            SESSION_COOKIE,
            &token,
            Some(SESSION_IDLE),
        ))?,
    );
    response.headers_mut().append(
        header::SET_COOKIE,
        header_value(&auth::set_cookie(
            LOGIN_CSRF_COOKIE,
            "",
            Some(std::time::Duration::ZERO),
        ))?,
    );
    Ok(response)
}

/// A valid Argon2id hash of a random string, checked for unknown user names.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ";

async fn logout(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    _user: User,
) -> Result<Response> {
    if let Some(token) = auth::cookie(&headers, SESSION_COOKIE) {
        state.sessions.end(token);
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        header_value(&auth::set_cookie(
            SESSION_COOKIE,
            "",
            Some(std::time::Duration::ZERO),
        ))?,
    );
    Ok(response)
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    chrome: Chrome,
    forced: bool,
    message: String,
}

async fn password_form(user: User) -> Result<Html<String>> {
    render(&PasswordPage {
        forced: user.account().must_change_password,
        chrome: Chrome::staff(&user, "修改密码", ""),
        message: String::new(),
    })
}

#[derive(Deserialize)]
struct PasswordForm {
    current: String,
    new_password: String,
    confirm: String,
}

async fn change_password(
    State(state): State<Arc<AppState>>,
    user: User,
    Form(form): Form<PasswordForm>,
) -> Result<Response> {
    let account = user.account().clone();
    let problem = if !auth::password_matches(form.current, account.password_hash.clone()).await? {
        Some("当前密码不正确".to_owned())
    } else if form.new_password != form.confirm {
        Some("两次输入的新密码不一致".to_owned())
    } else if form.new_password.chars().count() < accounts::MIN_CHOSEN_PASSWORD_CHARS {
        Some(format!(
            "新密码至少 {} 个字符",
            accounts::MIN_CHOSEN_PASSWORD_CHARS
        ))
    } else {
        None
    };
    if let Some(message) = problem {
        let page = PasswordPage {
            forced: account.must_change_password,
            chrome: Chrome::staff(&user, "修改密码", ""),
            message,
        };
        return Ok((StatusCode::BAD_REQUEST, render(&page)?).into_response());
    }
    let changed = accounts::change_password_with(
        &state.db,
        account,
        form.new_password,
        &user.actor(),
        auth::HashGate::global(),
    )
    .await?;
    state.sessions.end_all_of(&changed.username);
    Ok(Redirect::to("/login").into_response())
}

/// The request header with which app.js asks for an error as JSON (its
/// `code`, Chinese `message` and `field`), to show it beside the form it sent.
pub const INLINE_ERRORS_HEADER: &str = "x-inline-errors";

/// A redirect answered to app.js's fetch as `200 {"location": …}`, its cookies
/// (the flash message) kept, so that the script navigates there itself and the
/// page shown once is the one the browser loads.
fn inline_redirect(response: Response) -> Response {
    let location = response
        .headers()
        .get(header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("/")
        .to_owned();
    let mut answer = axum::Json(serde_json::json!({ "location": location })).into_response();
    for cookie in response.headers().get_all(header::SET_COOKIE) {
        answer
            .headers_mut()
            .append(header::SET_COOKIE, cookie.clone());
    }
    answer
}

/// A request axum could not read into a handler's form or query (a malformed
/// value: its rejection answers 4xx in English plain text) as a coded Chinese
/// error, so the page or app.js shows it like any other.
fn rejection_in_chinese(response: Response) -> Response {
    let status = response.status();
    let plain_text = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    let rejected = matches!(
        status,
        StatusCode::BAD_REQUEST
            | StatusCode::UNPROCESSABLE_ENTITY
            | StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    if !rejected || !plain_text || response.extensions().get::<ErrorMark>().is_some() {
        return response;
    }
    Error::Coded {
        status,
        code: "malformed_request",
        message: "提交的内容格式有误，无法识别，请检查各项（如日期、数字）后重试".to_owned(),
        field: None,
    }
    .into_response()
}

/// Middleware of the page routers: an [`Error`] answer becomes the HTML error
/// page, and "login required" a redirect to the login page.
pub async fn html_errors(request: Request, next: Next) -> Response {
    let wanted = request
        .uri()
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
    let htmx = request.headers().contains_key("hx-request");
    // app.js sends forms with fetch and shows the JSON error beside the form.
    let inline = request.headers().contains_key(INLINE_ERRORS_HEADER);
    let user = request.extensions().get::<Caller>().cloned().map(User);
    let response = rejection_in_chinese(next.run(request).await);
    if inline && response.status().is_redirection() {
        return inline_redirect(response);
    }
    let Some(mark) = response.extensions().get::<ErrorMark>().cloned() else {
        return response;
    };
    let status = response.status();
    if status == StatusCode::UNAUTHORIZED && !htmx {
        let login = Redirect::to(&format!("/login?next={}", url_encode(&wanted))).into_response();
        return if inline {
            inline_redirect(login)
        } else {
            login
        };
    }
    if inline {
        return response;
    }
    let page = error_page(status, &mark, user.as_ref());
    let mut answer = (status, Html(page)).into_response();
    if htmx {
        // htmx swaps only 2xx answers; ask it to show this one in the message area.
        answer
            .headers_mut()
            .insert("hx-retarget", header::HeaderValue::from_static("#flash"));
        answer
            .headers_mut()
            .insert("hx-reswap", header::HeaderValue::from_static("innerHTML"));
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_coding_round_trips() {
        for text in ["a b", "统一社会信用代码", "100%", "x=1&y"] {
            assert_eq!(url_decode(&url_encode(text)), text);
        }
        assert_eq!(url_decode("a+b%2"), "a b%2");
    }

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(safe_next(Some("/plans")), "/plans");
        assert_eq!(
            safe_next(Some("/directories?q=a%20b&page=2")),
            "/directories?q=a%20b&page=2"
        );
        assert_eq!(safe_next(Some("/名录")), "/%E5%90%8D%E5%BD%95");
        assert_eq!(
            safe_next(Some("/\nplans")),
            "/plans",
            "controls are removed"
        );
        for hostile in [
            "//evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "\t//evil.example",
            "/\u{0}/evil.example",
            "/\u{7f}/evil.example",
            "/\u{85}/evil.example",
            "/\\evil.example",
            "\\/evil.example",
            "/\\/evil.example",
            "/.\\evil.example",
            "https://evil.example",
            "HTTPS://evil.example",
            "javascript:alert(1)",
            "evil.example",
            "%2F%2Fevil.example",
            "/%2Fevil.example",
            "/%2fevil.example",
            "/%252Fevil.example",
            "/%25252Fevil.example",
            "/%5Cevil.example",
            "/%09/evil.example",
            "/%0A/evil.example",
            "/%2509/evil.example",
            "",
        ] {
            assert_eq!(safe_next(Some(hostile)), "/dashboard", "{hostile:?}");
        }
        assert_eq!(
            safe_next(Some(&format!("/{}", "a".repeat(5000)))),
            "/dashboard"
        );
        assert_eq!(safe_next(None), "/dashboard");
    }

    proptest::proptest! {
        #[test]
        fn whatever_next_is_the_redirect_is_a_local_visible_path(next in "\\PC{0,40}|[/\\\\%2fF5cC09\t\n .a-z:]{0,24}") {
            let target = safe_next(Some(&next));
            proptest::prop_assert!(target.starts_with('/'));
            proptest::prop_assert!(!target.starts_with("//") && !target.contains('\\'));
            proptest::prop_assert!(target.chars().all(|c| c.is_ascii_graphic()), "{target:?}");
            proptest::prop_assert!(HeaderValue::from_str(&target).is_ok());
            proptest::prop_assert!(is_local_path(&url_decode_path(&target)));
        }
    }
}
