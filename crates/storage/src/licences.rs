//! The e-licence library: licence types, signed licences (written in bulk in
//! one transaction with one ledger entry per import), revocation (audited) and
//! the city's public signing key.

use std::collections::BTreeMap;
use std::future::Future;

use chrono::NaiveDate;

use super::StoreError;
use super::engine::{Arg, Column, Engine, OnConflict, RowRead, Table, bulk_insert};
use super::workflow::{Change, Document, put_in};
use domain::credit::Subject;
use domain::licence::{Licence, LicenceEvent, LicenceStatus, LicenceType};

/// A licence as stored: the licence, its signature and any revocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLicence {
    /// The licence (its `status` as recorded: 注销 once revoked).
    pub licence: Licence,
    /// The Ed25519 signature (hex) over the licence object's canonical JSON.
    pub signature: String,
    /// When it was revoked.
    pub revoked_on: Option<NaiveDate>,
    /// Why.
    pub revoked_reason: Option<String>,
}

/// A licence with its signature, to be written.
#[derive(Debug, Clone)]
pub struct SignedLicence {
    /// The licence.
    pub licence: Licence,
    /// The signature (hex).
    pub signature: String,
}

impl Document for LicenceEvent {
    const NOUN: &'static str = "licence event";
    const TABLE: &'static str = "licence_events";
    const COLUMNS: &'static [&'static str] = &["kind"];
    fn key(&self) -> String {
        self.id.clone()
    }
    fn columns(&self) -> Vec<Option<String>> {
        vec![Some(self.kind.clone())]
    }
}

/// The event of `change` (`kind` from its action) about `subject`, with `detail`.
fn event(change: &Change, subject: &str, detail: String, unique: bool) -> LicenceEvent {
    let at = change
        .at
        .to_rfc3339_opts(chrono::SecondsFormat::Nanos, false);
    LicenceEvent {
        id: if unique {
            format!("{}:{subject}", change.action)
        } else {
            format!("{}:{subject}:{at}", change.action)
        },
        kind: change.action.clone(),
        subject: subject.to_owned(),
        at,
        actor: change.actor.clone(),
        detail,
    }
}

/// Records `event` with its ledger entry (the change's detail replaced by the event's).
async fn record_in<E: Engine>(
    tx: &mut E::Tx,
    event: &LicenceEvent,
    change: &Change,
) -> Result<(), StoreError> {
    let change = Change {
        detail: event.detail.clone(),
        ..change.clone()
    };
    put_in::<E, LicenceEvent>(tx, event, &change).await
}

const TYPES: Table = Table {
    name: "licence_types",
    columns: &["code", "name", "issuer", "years", "fields"],
    key: &["code"],
};

const LICENCES: Table = Table {
    name: "licences",
    columns: &[
        "no",
        "type_code",
        "type_name",
        "holder",
        "holder_name",
        "issuer",
        "issued_on",
        "valid_from",
        "valid_until",
        "status",
        "fields",
        "signature",
    ],
    key: &["no"],
};

const LICENCE_SELECT: &str = "SELECT no, type_code, type_name, holder, holder_name, issuer, \
     issued_on, valid_from, valid_until, status, fields, signature, revoked_on, revoked_reason \
     FROM licences";

fn corrupt(key: &str, reason: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        table: "licences",
        key: key.to_owned(),
        reason: reason.into(),
    }
}

fn licence_from_row(row: &impl RowRead) -> Result<StoredLicence, StoreError> {
    let no = row.text(0)?;
    let holder =
        Subject::parse_valid(&row.text(3)?).map_err(|e| corrupt(&no, format!("holder: {e}")))?;
    let status = LicenceStatus::parse(&row.text(9)?).map_err(|e| corrupt(&no, e.to_string()))?;
    let fields: BTreeMap<String, String> =
        serde_json::from_str(&row.text(10)?).map_err(|e| corrupt(&no, e.to_string()))?;
    Ok(StoredLicence {
        licence: Licence {
            no: no.clone(),
            type_code: row.text(1)?,
            type_name: row.text(2)?,
            holder,
            holder_name: row.text(4)?,
            issuer: row.text(5)?,
            issued_on: row.date(6)?,
            valid_from: row.date(7)?,
            valid_until: row.opt_date(8)?,
            status,
            fields,
        },
        signature: row.text(11)?,
        revoked_on: row.opt_date(12)?,
        revoked_reason: row.opt_text(13)?,
    })
}

/// The licences' columns, for a bulk write.
fn licence_columns(batch: Vec<SignedLicence>) -> Vec<Column> {
    let n = batch.len();
    let mut text: [Vec<String>; 8] = Default::default();
    let (mut issued, mut from, mut until, mut status, mut signatures) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for column in &mut text {
        column.reserve(n);
    }
    for SignedLicence { licence, signature } in batch {
        let [no, code, name, holder, holder_name, issuer, fields, _] = &mut text;
        fields.push(serde_json::to_string(&licence.fields).unwrap_or_else(|_| "{}".into()));
        no.push(licence.no);
        code.push(licence.type_code);
        name.push(licence.type_name);
        holder.push(licence.holder.as_str().to_owned());
        holder_name.push(licence.holder_name);
        issuer.push(licence.issuer);
        issued.push(licence.issued_on);
        from.push(licence.valid_from);
        until.push(licence.valid_until);
        status.push(licence.status.as_str().to_owned());
        signatures.push(signature);
    }
    let [no, code, name, holder, holder_name, issuer, fields, _] = text;
    vec![
        Column::Text(no),
        Column::Text(code),
        Column::Text(name),
        Column::Text(holder),
        Column::Text(holder_name),
        Column::Text(issuer),
        Column::Date(issued),
        Column::Date(from),
        Column::OptDate(until),
        Column::Text(status),
        Column::Text(fields),
        Column::Text(signatures),
    ]
}

/// A bulk licence write in progress: one transaction, committed with its
/// ledger entry by [`LicenceWriter::finish`]; dropped, it rolls back.
pub struct LicenceWriter<E: Engine> {
    tx: E::Tx,
    before: u64,
    changed: u64,
}

impl<E: Engine> std::fmt::Debug for LicenceWriter<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LicenceWriter")
            .field("before", &self.before)
            .field("changed", &self.changed)
            .finish_non_exhaustive()
    }
}

/// What a bulk write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LicencesWritten {
    /// Licences new to the library.
    pub inserted: u64,
    /// Licences replaced with different values.
    pub updated: u64,
    /// Licences in the library after the write.
    pub after: u64,
}

async fn count_in<E: Engine>(tx: &mut E::Tx) -> Result<u64, StoreError> {
    let rows = E::tx_fetch_all(tx, "SELECT COUNT(*) FROM licences", Vec::new()).await?;
    let count = rows.first().map(|r| r.int(0)).transpose()?.unwrap_or(0);
    Ok(u64::try_from(count).unwrap_or(0))
}

/// A type code the licence names that is not in `licence_types`.
fn write_error(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.kind() == sqlx::error::ErrorKind::ForeignKeyViolation => {
            StoreError::MissingReference {
                record: "licence".into(),
                field: "type_code",
                value: String::new(),
                directory: "licence_types",
            }
        }
        _ => StoreError::Database(error),
    }
}

impl<E: Engine> LicenceWriter<E> {
    /// Upserts a batch by 证照编号 (a licence whose values are unchanged is not written).
    pub async fn add(&mut self, batch: Vec<SignedLicence>) -> Result<(), StoreError> {
        let columns = licence_columns(batch);
        self.changed += bulk_insert::<E>(&mut self.tx, &LICENCES, columns, OnConflict::Update)
            .await
            .map_err(write_error)?;
        Ok(())
    }

    /// Appends the ledger entry (`change`, subject the import) and commits.
    pub async fn finish(
        mut self,
        subject: &str,
        change: &Change,
    ) -> Result<LicencesWritten, StoreError> {
        let after = count_in::<E>(&mut self.tx).await?;
        let inserted = after.saturating_sub(self.before);
        let written = LicencesWritten {
            inserted,
            updated: self.changed.saturating_sub(inserted),
            after,
        };
        if self.changed > 0 {
            let detail = format!(
                "{}: {} inserted, {} updated",
                change.detail, written.inserted, written.updated
            );
            let unique = change.action == "licence.issued";
            record_in::<E>(
                &mut self.tx,
                &event(change, subject, detail, unique),
                change,
            )
            .await?;
        }
        E::commit(self.tx).await?;
        Ok(written)
    }
}

/// The e-licence library's storage.
pub trait LicenceStore: Send + Sync {
    /// The writer type of this store.
    type Writer: Send;

    /// Upserts licence types by code in one transaction with one ledger entry
    /// (when any changed); returns (inserted, updated).
    fn put_licence_types(
        &self,
        types: &[LicenceType],
        change: &Change,
    ) -> impl Future<Output = Result<(u64, u64), StoreError>> + Send;

    /// Every licence type, by code.
    fn licence_types(&self) -> impl Future<Output = Result<Vec<LicenceType>, StoreError>> + Send;

    /// Starts a bulk write of licences (one transaction).
    fn licence_writer(&self) -> impl Future<Output = Result<Self::Writer, StoreError>> + Send;

    /// One licence by 证照编号.
    fn licence(
        &self,
        no: &str,
    ) -> impl Future<Output = Result<Option<StoredLicence>, StoreError>> + Send;

    /// A holder's licences (by 统一社会信用代码 or ID number), by 证照编号.
    fn licences_of(
        &self,
        holder: &Subject,
    ) -> impl Future<Output = Result<Vec<StoredLicence>, StoreError>> + Send;

    /// Marks a licence 注销 with its new signature, with the ledger entry, in
    /// one transaction; `false` when no licence has the number or it is
    /// revoked already (nothing written).
    fn revoke_licence(
        &self,
        no: &str,
        on: NaiveDate,
        reason: &str,
        signature: &str,
        change: &Change,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The city's public signing key (hex), if recorded.
    fn licence_public_key(&self)
    -> impl Future<Output = Result<Option<String>, StoreError>> + Send;

    /// Records the city's public signing key (hex) and when (`at`, RFC 3339).
    /// Public reference data, like the districts: no ledger entry, so `setup`
    /// stays one entry. A different key recorded already is
    /// [`StoreError::Constraint`].
    fn set_licence_public_key(
        &self,
        hex: &str,
        at: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

impl<E: Engine> LicenceStore for E
where
    E::Tx: Send,
{
    type Writer = LicenceWriter<E>;

    async fn put_licence_types(
        &self,
        types: &[LicenceType],
        change: &Change,
    ) -> Result<(u64, u64), StoreError> {
        let mut tx = self.begin().await?;
        let count = |rows: Vec<E::Row>| -> Result<i64, StoreError> {
            Ok(rows.first().map(|r| r.int(0)).transpose()?.unwrap_or(0))
        };
        let before = count(
            E::tx_fetch_all(&mut tx, "SELECT COUNT(*) FROM licence_types", Vec::new()).await?,
        )?;
        let columns = vec![
            Column::Text(types.iter().map(|t| t.code.clone()).collect()),
            Column::Text(types.iter().map(|t| t.name.clone()).collect()),
            Column::Text(types.iter().map(|t| t.issuer.clone()).collect()),
            Column::OptText(
                types
                    .iter()
                    .map(|t| t.years.map(|y| y.to_string()))
                    .collect(),
            ),
            Column::Text(
                types
                    .iter()
                    .map(|t| serde_json::to_string(&t.fields).unwrap_or_else(|_| "[]".into()))
                    .collect(),
            ),
        ];
        let changed = bulk_insert::<E>(&mut tx, &TYPES, columns, OnConflict::Update).await?;
        let after = count(
            E::tx_fetch_all(&mut tx, "SELECT COUNT(*) FROM licence_types", Vec::new()).await?,
        )?;
        let inserted = u64::try_from(after - before).unwrap_or(0);
        let updated = changed.saturating_sub(inserted);
        if changed > 0 {
            let detail = format!("{}: {inserted} inserted, {updated} updated", change.detail);
            record_in::<E>(&mut tx, &event(change, "types", detail, false), change).await?;
        }
        E::commit(tx).await?;
        Ok((inserted, updated))
    }

    async fn licence_types(&self) -> Result<Vec<LicenceType>, StoreError> {
        let rows = self
            .fetch_all(
                "SELECT code, name, issuer, CAST(years AS TEXT), fields FROM licence_types ORDER BY code",
                Vec::new(),
            )
            .await?;
        rows.iter()
            .map(|row| {
                let code = row.text(0)?;
                let bad = |reason: String| StoreError::Corrupt {
                    table: "licence_types",
                    key: code.clone(),
                    reason,
                };
                let years = row
                    .opt_text(3)?
                    .map(|y| y.parse::<u32>().map_err(|e| bad(e.to_string())))
                    .transpose()?;
                let fields: Vec<String> =
                    serde_json::from_str(&row.text(4)?).map_err(|e| bad(e.to_string()))?;
                Ok(LicenceType {
                    code: code.clone(),
                    name: row.text(1)?,
                    issuer: row.text(2)?,
                    years,
                    fields,
                })
            })
            .collect()
    }

    async fn licence_writer(&self) -> Result<LicenceWriter<E>, StoreError> {
        let mut tx = self.begin().await?;
        let before = count_in::<E>(&mut tx).await?;
        Ok(LicenceWriter {
            tx,
            before,
            changed: 0,
        })
    }

    async fn licence(&self, no: &str) -> Result<Option<StoredLicence>, StoreError> {
        let rows = self
            .fetch_all(
                &format!("{LICENCE_SELECT} WHERE no = $1"),
                vec![Arg::Text(no.to_owned())],
            )
            .await?;
        rows.first().map(licence_from_row).transpose()
    }

    async fn licences_of(&self, holder: &Subject) -> Result<Vec<StoredLicence>, StoreError> {
        let rows = self
            .fetch_all(
                &format!("{LICENCE_SELECT} WHERE holder = $1 ORDER BY no"),
                vec![Arg::Text(holder.as_str().to_owned())],
            )
            .await?;
        rows.iter().map(licence_from_row).collect()
    }

    async fn revoke_licence(
        &self,
        no: &str,
        on: NaiveDate,
        reason: &str,
        signature: &str,
        change: &Change,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let updated = E::tx_execute(
            &mut tx,
            "UPDATE licences SET status = '注销', revoked_on = $1, revoked_reason = $2, signature = $3 \
             WHERE no = $4 AND status <> '注销'",
            vec![
                Arg::Date(on),
                Arg::Text(reason.to_owned()),
                Arg::Text(signature.to_owned()),
                Arg::Text(no.to_owned()),
            ],
        )
        .await?;
        if updated == 0 {
            return Ok(false);
        }
        let detail = format!("{no} 注销 {on}：{reason}");
        record_in::<E>(&mut tx, &event(change, no, detail, true), change).await?;
        E::commit(tx).await?;
        Ok(true)
    }

    async fn licence_public_key(&self) -> Result<Option<String>, StoreError> {
        let rows = self
            .fetch_all(
                "SELECT public_key FROM licence_key WHERE one = 1",
                Vec::new(),
            )
            .await?;
        Ok(rows.first().map(|r| r.text(0)).transpose()?)
    }

    async fn set_licence_public_key(&self, hex: &str, at: &str) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let rows = E::tx_fetch_all(
            &mut tx,
            "SELECT public_key FROM licence_key WHERE one = 1",
            Vec::new(),
        )
        .await?;
        match rows.first().map(|r| r.text(0)).transpose()? {
            Some(stored) if stored == hex => return Ok(()),
            Some(_) => {
                return Err(StoreError::Constraint {
                    message: "another licence-signing public key is recorded for this city".into(),
                });
            }
            None => {}
        }
        E::tx_execute(
            &mut tx,
            "INSERT INTO licence_key (one, public_key, created_at) VALUES (1, $1, $2)",
            vec![Arg::Text(hex.to_owned()), Arg::Text(at.to_owned())],
        )
        .await?;
        E::commit(tx).await?;
        Ok(())
    }
}
