//! Irreversible steps on pages (批准、公示、抽取): a step's form carries
//! `confirm=1` once the user accepted it, in the browser's dialog
//! (`data-confirm`, see `app.js`) or, without script, on the confirmation page
//! [`ask`] renders; the handler refuses to act without it. After the step the
//! handler redirects with [`done`], and the next page says what was done.

use askama::Template;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};

use crate::auth::{User, set_cookie};
use crate::error::{Error, Result};
use crate::flash::{self, Done};
use crate::ops::plans::FormPairs;
use crate::pages::{Chrome, render};

/// Whether the form carries the confirmation (`confirm=1`).
pub(crate) fn confirmed(form: &FormPairs) -> bool {
    form.get("confirm") == "1"
}

/// What the confirmation page asks.
pub(crate) struct Question<'a> {
    /// The page's title, e.g. `确认公示计划`.
    pub title: &'a str,
    /// The sentence, e.g. `公示后计划向社会公开，不能撤回。确认公示？`.
    pub text: &'a str,
    /// The button that confirms, e.g. `确认公示`.
    pub button: &'a str,
    /// Where 取消 goes.
    pub back: &'a str,
}

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage<'a> {
    chrome: Chrome,
    question: &'a Question<'a>,
    action: &'a str,
    fields: Vec<(String, String)>,
}

/// The confirmation page: the same form, posted again to `action` with
/// `confirm=1` (the CSRF token and an earlier `confirm` are not repeated).
pub(crate) fn ask(
    user: &User,
    question: &Question<'_>,
    action: &str,
    form: &FormPairs,
) -> Result<Response> {
    let fields = form
        .pairs()
        .iter()
        .filter(|(name, _)| name != "csrf" && name != "confirm")
        .cloned()
        .collect();
    let page = ConfirmPage {
        chrome: Chrome::staff(user, question.title, ""),
        question,
        action,
        fields,
    };
    Ok(render(&page)?.into_response())
}

/// A redirect to `to` that tells, once, on that page, that `what` was done
/// to `subject` (an id or a count).
pub(crate) fn done(to: &str, what: Done, subject: &str) -> Result<Response> {
    let mut response = Redirect::to(to).into_response();
    let cookie = set_cookie(
        flash::COOKIE,
        &what.cookie_value(subject),
        Some(flash::LIFETIME),
    );
    response.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(Error::internal)?,
    );
    Ok(response)
}
