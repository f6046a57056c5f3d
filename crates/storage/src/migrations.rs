//! The embedded, forward-only migrations of each backend.
//!
//! The SQL files under `crates/storage/migrations/{sqlite,postgres}` are
//! compiled into the binary with `include_str!` and handed to sqlx's
//! [`Migrator`], which records them in `_sqlx_migrations` with a checksum and
//! refuses to run against a database whose applied migrations were edited or
//! that has migrations this binary does not know.
//!
//! Why not `sqlx::migrate!`: that macro needs sqlx's `macros` feature, which
//! builds the query-checking proc-macro crate and its dependency tree only to
//! read a directory; listing the files here costs nothing at build time. A test
//! checks that this list and the directories agree, so a file cannot be
//! forgotten.

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};

/// A migration file: version, description, SQL.
type Embedded = (i64, &'static str, &'static str);

/// SQLite migrations, in version order.
const SQLITE: &[Embedded] = &[
    (
        1,
        "directories",
        include_str!("../migrations/sqlite/0001_directories.sql"),
    ),
    (
        2,
        "workflow",
        include_str!("../migrations/sqlite/0002_workflow.sql"),
    ),
    (
        3,
        "accounts",
        include_str!("../migrations/sqlite/0003_accounts.sql"),
    ),
    (
        4,
        "credit",
        include_str!("../migrations/sqlite/0004_credit.sql"),
    ),
    (
        5,
        "hotline",
        include_str!("../migrations/sqlite/0005_hotline.sql"),
    ),
    (
        6,
        "governance",
        include_str!("../migrations/sqlite/0006_governance.sql"),
    ),
    (
        7,
        "calendar",
        include_str!("../migrations/sqlite/0007_calendar.sql"),
    ),
    (
        8,
        "city",
        include_str!("../migrations/sqlite/0008_city.sql"),
    ),
    (
        9,
        "departments",
        include_str!("../migrations/sqlite/0009_departments.sql"),
    ),
    (
        10,
        "registration_types",
        include_str!("../migrations/sqlite/0010_registration_types.sql"),
    ),
    (
        11,
        "enforcement",
        include_str!("../migrations/sqlite/0011_enforcement.sql"),
    ),
    (
        14,
        "rectification_targets",
        include_str!("../migrations/sqlite/0014_rectification_targets.sql"),
    ),
    (
        15,
        "work_order_search",
        include_str!("../migrations/sqlite/0015_work_order_search.sql"),
    ),
    (
        20,
        "services",
        include_str!("../migrations/sqlite/0020_services.sql"),
    ),
    (
        21,
        "false_promise",
        include_str!("../migrations/sqlite/0021_false_promise.sql"),
    ),
    (
        23,
        "licences",
        include_str!("../migrations/sqlite/0023_licences.sql"),
    ),
    (
        25,
        "review",
        include_str!("../migrations/sqlite/0025_review.sql"),
    ),
    (
        26,
        "review_draw",
        include_str!("../migrations/sqlite/0026_review_draw.sql"),
    ),
    (
        27,
        "reconsideration",
        include_str!("../migrations/sqlite/0027_reconsideration.sql"),
    ),
    (
        28,
        "service_window",
        include_str!("../migrations/sqlite/0028_service_window.sql"),
    ),
    (
        29,
        "verification",
        include_str!("../migrations/sqlite/0029_verification.sql"),
    ),
    (
        36,
        "review_scoring",
        include_str!("../migrations/sqlite/0036_review_scoring.sql"),
    ),
];

/// PostgreSQL migrations, in version order.
const POSTGRES: &[Embedded] = &[
    (
        1,
        "directories",
        include_str!("../migrations/postgres/0001_directories.sql"),
    ),
    (
        2,
        "workflow",
        include_str!("../migrations/postgres/0002_workflow.sql"),
    ),
    (
        3,
        "accounts",
        include_str!("../migrations/postgres/0003_accounts.sql"),
    ),
    (
        4,
        "credit",
        include_str!("../migrations/postgres/0004_credit.sql"),
    ),
    (
        5,
        "hotline",
        include_str!("../migrations/postgres/0005_hotline.sql"),
    ),
    (
        6,
        "governance",
        include_str!("../migrations/postgres/0006_governance.sql"),
    ),
    (
        7,
        "calendar",
        include_str!("../migrations/postgres/0007_calendar.sql"),
    ),
    (
        8,
        "city",
        include_str!("../migrations/postgres/0008_city.sql"),
    ),
    (
        9,
        "departments",
        include_str!("../migrations/postgres/0009_departments.sql"),
    ),
    (
        10,
        "registration_types",
        include_str!("../migrations/postgres/0010_registration_types.sql"),
    ),
    (
        11,
        "enforcement",
        include_str!("../migrations/postgres/0011_enforcement.sql"),
    ),
    (
        14,
        "rectification_targets",
        include_str!("../migrations/postgres/0014_rectification_targets.sql"),
    ),
    (
        15,
        "work_order_search",
        include_str!("../migrations/postgres/0015_work_order_search.sql"),
    ),
    (
        20,
        "services",
        include_str!("../migrations/postgres/0020_services.sql"),
    ),
    (
        21,
        "false_promise",
        include_str!("../migrations/postgres/0021_false_promise.sql"),
    ),
    (
        23,
        "licences",
        include_str!("../migrations/postgres/0023_licences.sql"),
    ),
    (
        25,
        "review",
        include_str!("../migrations/postgres/0025_review.sql"),
    ),
    (
        26,
        "review_draw",
        include_str!("../migrations/postgres/0026_review_draw.sql"),
    ),
    (
        27,
        "reconsideration",
        include_str!("../migrations/postgres/0027_reconsideration.sql"),
    ),
    (
        28,
        "service_window",
        include_str!("../migrations/postgres/0028_service_window.sql"),
    ),
    (
        29,
        "verification",
        include_str!("../migrations/postgres/0029_verification.sql"),
    ),
    (
        36,
        "review_scoring",
        include_str!("../migrations/postgres/0036_review_scoring.sql"),
    ),
];

fn migrator(files: &'static [Embedded]) -> Migrator {
    let migrations = files
        .iter()
        .map(|&(version, description, sql)| {
            Migration::new(
                version,
                Cow::Borrowed(description),
                MigrationType::Simple,
                Cow::Borrowed(sql),
                false,
            )
        })
        .collect::<Vec<_>>();
    Migrator {
        migrations: Cow::Owned(migrations),
        ..Migrator::DEFAULT
    }
}

/// The SQLite migrator.
pub fn sqlite() -> Migrator {
    migrator(SQLITE)
}

/// The PostgreSQL migrator.
pub fn postgres() -> Migrator {
    migrator(POSTGRES)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedded list must be exactly the files on disk, named `NNNN_description.sql`.
    fn check(dir: &str, embedded: &[Embedded]) -> Result<(), Box<dyn std::error::Error>> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(dir);
        let mut on_disk = Vec::new();
        for entry in std::fs::read_dir(&path)? {
            let name = entry?.file_name().to_string_lossy().into_owned();
            let stem = name
                .strip_suffix(".sql")
                .ok_or(format!("{dir}/{name} is not a .sql file"))?;
            let (version, description) = stem
                .split_once('_')
                .ok_or(format!("{dir}/{name}: expected NNNN_description.sql"))?;
            let text = std::fs::read_to_string(path.join(&name))?;
            on_disk.push((version.parse::<i64>()?, description.to_owned(), text));
        }
        on_disk.sort();
        let embedded: Vec<_> = embedded
            .iter()
            .map(|&(v, d, s)| (v, d.to_owned(), s.to_owned()))
            .collect();
        assert_eq!(
            on_disk, embedded,
            "migrations/{dir} and src/storage/migrations.rs disagree"
        );
        Ok(())
    }

    #[test]
    fn embedded_lists_match_the_directories() -> Result<(), Box<dyn std::error::Error>> {
        check("sqlite", SQLITE)?;
        check("postgres", POSTGRES)?;
        let versions = |files: &[Embedded]| files.iter().map(|f| f.0).collect::<Vec<_>>();
        assert_eq!(
            versions(SQLITE),
            versions(POSTGRES),
            "both backends have the same migration versions"
        );
        Ok(())
    }
}
