//! Export of a directory to CSV (UTF-8 with a BOM, so Excel reads it) or XLSX,
//! with the Chinese headers the importer reads: an export re-imports unchanged.
//! Every export carries the watermark of whom it was made for
//! ([`crate::watermark`]): in CSV a first `#` line the importer skips.

use std::path::Path;

use rust_xlsxwriter::Workbook;

use super::Kind;
use super::rows::LIST_SEPARATOR;
use crate::watermark::Watermark;
use domain::entity::MarketEntity;
use domain::inspector::{Inspector, Recusal};
use domain::item::{CheckMethod, InspectionItem, JointItem};
use domain::org::Department;
use storage::{EntityFilter, InspectorFilter, Store, export};

/// Rows read per page.
const PAGE: u32 = 5_000;

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the directory failed.
    #[error(transparent)]
    Store(#[from] storage::StoreError),
    /// Writing the CSV failed.
    #[error("cannot write {path}: {source}")]
    Csv {
        /// The file.
        path: String,
        /// The cause.
        source: csv::Error,
    },
    /// Writing the XLSX failed.
    #[error("cannot write {path}: {source}")]
    Xlsx {
        /// The file.
        path: String,
        /// The cause.
        source: rust_xlsxwriter::XlsxError,
    },
}

/// The export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Format {
    /// CSV, UTF-8 with a BOM.
    Csv,
    /// XLSX.
    Xlsx,
}

impl Format {
    /// XLSX for `.xlsx`, CSV otherwise.
    pub fn from_path(path: &Path) -> Self {
        match path.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("xlsx") => Format::Xlsx,
            _ => Format::Csv,
        }
    }
}

/// The header row of `kind`: every column's first Chinese header.
pub fn headers(kind: Kind) -> Vec<&'static str> {
    kind.columns().iter().map(|c| c.zh[0]).collect()
}

fn opt(value: Option<impl ToString>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// A department's cells, in [`super::columns::DEPARTMENTS`] order (the district by code).
pub fn department_cells(d: &Department) -> Vec<String> {
    vec![
        d.code().as_str().to_owned(),
        d.name().to_owned(),
        d.level().as_str().to_owned(),
        opt(d.district().map(|x| x.as_str())),
        opt(d.uscc().map(|x| x.as_str())),
        opt(d.short_name()),
    ]
}

/// An entity's cells, in [`super::columns::ENTITIES`] order.
pub fn entity_cells(e: &MarketEntity) -> Vec<String> {
    vec![
        e.uscc.as_str().to_owned(),
        e.name.clone(),
        e.entity_type.text().to_owned(),
        e.district.as_str().to_owned(),
        opt(e.industry.as_ref().map(|i| i.as_str())),
        e.registered_on.to_string(),
        e.status.as_str().to_owned(),
        opt(e.address.as_ref()),
        opt(e.legal_representative.as_ref()),
        opt(e.credit.map(|c| c.class.as_str())),
        opt(e.credit.map(|c| c.set_on)),
        e.special_pools.join(LIST_SEPARATOR),
        e.tags.join(LIST_SEPARATOR),
    ]
}

/// An inspector's cells, in [`super::columns::INSPECTORS`] order.
pub fn inspector_cells(i: &Inspector) -> Vec<String> {
    vec![
        i.cert_no.as_str().to_owned(),
        i.name.clone(),
        i.department.as_str().to_owned(),
        opt(i.id_card.as_ref().map(|c| c.as_str())),
        i.cert_valid_from.to_string(),
        i.cert_valid_until.to_string(),
        i.fields.join(LIST_SEPARATOR),
        opt(i.district.as_ref().map(|d| d.as_str())),
        i.register.status.as_str().to_owned(),
        opt(i.register.issuer.as_deref()),
        opt(i.register.exam_passed_on),
        if i.register.in_pool { "是" } else { "否" }.to_owned(),
    ]
}

/// A recusal's cells, in [`super::columns::RECUSALS`] order.
pub fn recusal_cells(r: &Recusal) -> Vec<String> {
    vec![
        r.inspector().as_str().to_owned(),
        r.entity().as_str().to_owned(),
        r.reason().to_owned(),
    ]
}

/// An item's cells, in [`super::columns::ITEMS`] order.
pub fn item_cells(i: &InspectionItem) -> Vec<String> {
    vec![
        i.code.as_str().to_owned(),
        i.category.clone(),
        i.name.clone(),
        i.legal_basis.clone(),
        i.department.as_str().to_owned(),
        i.target_type.clone(),
        methods_cell(&i.methods),
        i.ratio.to_string(),
        i.frequency.to_string(),
    ]
}

/// A joint item's cells, in [`super::columns::JOINT_ITEMS`] order; the
/// cooperating departments by code, separated by `、`.
pub fn joint_item_cells(i: &JointItem) -> Vec<String> {
    vec![
        i.code.as_str().to_owned(),
        i.field.clone(),
        i.name.clone(),
        i.legal_basis.clone(),
        i.lead.as_str().to_owned(),
        i.cooperating
            .iter()
            .map(|d| d.as_str())
            .collect::<Vec<_>>()
            .join(LIST_SEPARATOR),
        i.target_type.clone(),
        methods_cell(&i.methods),
        i.ratio.to_string(),
        i.frequency.to_string(),
    ]
}

fn methods_cell(methods: &[CheckMethod]) -> String {
    methods
        .iter()
        .map(|m| m.as_str())
        .collect::<Vec<_>>()
        .join(LIST_SEPARATOR)
}

/// Writes a table of text cells to a CSV (UTF-8 with a BOM, the watermark as a
/// first `#` line) or an XLSX file (the watermark in the sheet); every cell is
/// guarded against formula injection. For any list a page exports.
pub struct TableWriter {
    sink: Box<dyn Sink>,
    rows: u64,
}

impl TableWriter {
    /// Creates `path` in `format`, marked with `watermark`.
    pub fn create(path: &Path, format: Format, watermark: &Watermark) -> Result<Self, ExportError> {
        Ok(Self {
            sink: sink(path, format, watermark)?,
            rows: 0,
        })
    }

    /// Writes one row.
    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) -> Result<(), ExportError> {
        let cells: Vec<String> = cells.iter().map(|c| c.as_ref().to_owned()).collect();
        self.sink.row(&cells)?;
        self.rows += 1;
        Ok(())
    }

    /// Rows written so far, the header included.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Flushes and closes the file.
    pub fn finish(self) -> Result<(), ExportError> {
        self.sink.finish()
    }
}

/// Receives rows.
trait Sink {
    fn row(&mut self, cells: &[String]) -> Result<(), ExportError>;
    fn finish(self: Box<Self>) -> Result<(), ExportError>;
}

struct CsvSink {
    writer: csv::Writer<std::io::BufWriter<std::fs::File>>,
    path: String,
}

impl Sink for CsvSink {
    fn row(&mut self, cells: &[String]) -> Result<(), ExportError> {
        self.writer
            .write_record(
                super::formula::guard_row(cells)
                    .iter()
                    .map(|cell| cell.as_bytes()),
            )
            .map_err(|source| ExportError::Csv {
                path: self.path.clone(),
                source,
            })
    }

    fn finish(mut self: Box<Self>) -> Result<(), ExportError> {
        self.writer.flush().map_err(|e| ExportError::Csv {
            path: self.path.clone(),
            source: e.into(),
        })
    }
}

struct XlsxSink {
    workbook: Workbook,
    row: u32,
    path: std::path::PathBuf,
    watermark: Watermark,
}

impl Sink for XlsxSink {
    fn row(&mut self, cells: &[String]) -> Result<(), ExportError> {
        let path = self.path.display().to_string();
        let sheet = self
            .workbook
            .worksheet_from_index(0)
            .map_err(|source| ExportError::Xlsx {
                path: path.clone(),
                source,
            })?;
        for (col, cell) in cells.iter().enumerate() {
            sheet
                .write_string(self.row, col as u16, cell)
                .map_err(|source| ExportError::Xlsx {
                    path: path.clone(),
                    source,
                })?;
        }
        self.row += 1;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<(), ExportError> {
        let path = self.path.display().to_string();
        self.watermark
            .save(&mut self.workbook, &self.path)
            .map_err(|source| ExportError::Xlsx { path, source })
    }
}

fn sink(path: &Path, format: Format, watermark: &Watermark) -> Result<Box<dyn Sink>, ExportError> {
    let name = path.display().to_string();
    match format {
        Format::Csv => {
            let mut file = std::fs::File::create(path).map_err(|e| ExportError::Csv {
                path: name.clone(),
                source: e.into(),
            })?;
            let preamble = format!("\u{feff}{}\r\n", watermark.csv_line());
            std::io::Write::write_all(&mut file, preamble.as_bytes()).map_err(|e| {
                ExportError::Csv {
                    path: name.clone(),
                    source: e.into(),
                }
            })?;
            Ok(Box::new(CsvSink {
                writer: csv::Writer::from_writer(std::io::BufWriter::new(file)),
                path: name,
            }))
        }
        Format::Xlsx => {
            let mut workbook = Workbook::new();
            let sheet = workbook.add_worksheet();
            sheet
                .set_name("数据")
                .map_err(|source| ExportError::Xlsx { path: name, source })?;
            Ok(Box::new(XlsxSink {
                workbook,
                row: 0,
                path: path.to_path_buf(),
                watermark: watermark.clone(),
            }))
        }
    }
}

/// Writes every record of `kind` to `path`, marked with `watermark`; returns how many.
pub async fn export_file<S: Store>(
    store: &S,
    kind: Kind,
    path: &Path,
    format: Format,
    watermark: &Watermark,
) -> Result<u64, ExportError> {
    let mut out = TableWriter::create(path, format, watermark)?;
    out.row(&headers(kind))?;
    let mut count = 0u64;
    match kind {
        Kind::Departments => {
            for department in store.departments().await? {
                out.row(&department_cells(&department))?;
                count += 1;
            }
        }
        Kind::Entities => {
            let mut pages = export::Entities::new(store, EntityFilter::default(), PAGE);
            while let Some(batch) = pages.next_batch().await? {
                for e in &batch {
                    out.row(&entity_cells(e))?;
                    count += 1;
                }
            }
        }
        Kind::Inspectors => {
            let mut pages = export::Inspectors::new(store, InspectorFilter::default(), PAGE);
            while let Some(batch) = pages.next_batch().await? {
                for i in &batch {
                    out.row(&inspector_cells(i))?;
                    count += 1;
                }
            }
        }
        Kind::Recusals => {
            let mut pages = export::Recusals::new(store, PAGE);
            while let Some(batch) = pages.next_batch().await? {
                for r in &batch {
                    out.row(&recusal_cells(r))?;
                    count += 1;
                }
            }
        }
        Kind::Items => {
            for item in store.items(None).await? {
                out.row(&item_cells(&item))?;
                count += 1;
            }
        }
        Kind::JointItems => {
            for item in store.joint_items(None).await? {
                out.row(&joint_item_cells(&item))?;
                count += 1;
            }
        }
    }
    out.finish()?;
    Ok(count)
}
