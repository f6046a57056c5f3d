//! Accounts and API tokens on both backends: revocation by fingerprint, and a
//! new password or disabling revoking every token of the account in the same
//! write, each on the ledger, which still verifies.

use domain::account::{Account, ApiToken, Role};
use service::accounts::{self, Revoked};
use service::audit;
use storage::{Db, WorkflowStore};

use crate::common;

use common::{TestResult, contracts};

contracts!(
    "accounts";
    tokens_are_revoked_one_by_one_and_all_by_a_new_password,
    disabling_revokes_and_other_accounts_keep_theirs,
);

fn account(username: &str) -> Account {
    Account {
        username: username.to_owned(),
        display_name: username.to_owned(),
        role: Role::SystemAdmin,
        department: None,
        certificate: None,
        password_hash: String::new(),
        must_change_password: false,
        disabled: false,
    }
}

async fn live(db: &Db, username: &str) -> Result<usize, Box<dyn std::error::Error>> {
    Ok(accounts::tokens_of(db, username)
        .await?
        .iter()
        .filter(|t| !t.revoked)
        .count())
}

async fn revocations(db: &Db) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    Ok(db
        .ledger()
        .await?
        .into_iter()
        .filter(|e| e.action == "token.revoked")
        .map(|e| e.detail)
        .collect())
}

async fn tokens_are_revoked_one_by_one_and_all_by_a_new_password(db: &Db) -> TestResult {
    accounts::save_account(db, account("ops"), Some("first-password".into()), "test").await?;
    let first = accounts::issue_token(db, "ops", "nightly", "test").await?;
    let _second = accounts::issue_token(db, "ops", "report", "test").await?;
    let _third = accounts::issue_token(db, "ops", "spare", "test").await?;
    assert_eq!(live(db, "ops").await?, 3);
    let tokens: Vec<ApiToken> = accounts::tokens_of(db, "ops").await?;
    assert!(
        tokens
            .iter()
            .all(|t| t.issued_at.is_some() && t.fingerprint().len() == 12)
    );

    // By the token itself, then again (nothing written the second time).
    let revoked = accounts::revoke_token(db, "ops", &first, "test").await?;
    assert!(matches!(&revoked, Revoked::Now(t) if t.label == "nightly" && t.revoked));
    let again = accounts::revoke_token(db, "ops", &first, "test").await?;
    assert!(matches!(again, Revoked::Already(_)));
    assert_eq!(revocations(db).await?.len(), 1);
    // A fingerprint too short, or of another account's token, is refused.
    assert!(
        accounts::revoke_token(db, "ops", "abc", "test")
            .await
            .is_err()
    );
    let report = tokens
        .iter()
        .find(|t| t.label == "report")
        .ok_or("no report token")?;
    assert!(
        accounts::revoke_token(db, "nobody", report.fingerprint(), "test")
            .await
            .is_err()
    );
    assert!(matches!(
        accounts::revoke_token(db, "ops", &report.fingerprint().to_uppercase(), "test").await?,
        Revoked::Now(_)
    ));
    assert_eq!(live(db, "ops").await?, 1);

    // A new password revokes what is left, in the same write.
    let mut changed = account("ops");
    changed.must_change_password = true;
    accounts::save_account(db, changed, Some("second-password".into()), "test").await?;
    assert_eq!(live(db, "ops").await?, 0);
    let details = revocations(db).await?;
    assert_eq!(details.len(), 3, "{details:?}");
    assert_eq!(details.last().map(String::as_str), Some("password reset"));
    // A change without a new password revokes nothing.
    let _fresh = accounts::issue_token(db, "ops", "fresh", "test").await?;
    accounts::save_account(db, account("ops"), None, "test").await?;
    assert_eq!(live(db, "ops").await?, 1);
    let report = audit::verify(db).await?;
    assert!(report.intact(), "{:#?}", report.breaks);
    Ok(())
}

async fn disabling_revokes_and_other_accounts_keep_theirs(db: &Db) -> TestResult {
    accounts::save_account(db, account("leaver"), Some("a-password".into()), "test").await?;
    accounts::save_account(db, account("stayer"), Some("a-password".into()), "test").await?;
    accounts::issue_token(db, "leaver", "one", "test").await?;
    accounts::issue_token(db, "leaver", "two", "test").await?;
    accounts::issue_token(db, "stayer", "kept", "test").await?;
    let mut leaving = account("leaver");
    leaving.disabled = true;
    accounts::save_account(db, leaving.clone(), None, "test").await?;
    assert_eq!(live(db, "leaver").await?, 0);
    assert_eq!(live(db, "stayer").await?, 1);
    assert_eq!(
        revocations(db).await?,
        vec!["account disabled".to_owned(); 2]
    );
    // Saving it disabled again writes no revocation.
    accounts::save_account(db, leaving, None, "test").await?;
    assert_eq!(revocations(db).await?.len(), 2);
    let report = audit::verify(db).await?;
    assert!(report.intact(), "{:#?}", report.breaks);
    Ok(())
}
