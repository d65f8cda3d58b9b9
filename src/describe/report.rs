//! The comparison report: descriptor distributions of an original and a generated set of
//! cells side by side, like the paper's Table 1 and Fig. 3, as CSV, SVG, Markdown and HTML.

use super::ks::{ks_2samp, ks_groups_permuted, KsTest, GROUP_PERMUTATIONS};
use super::plots::{box_plot, escape, qq_plot};
use super::table::{read_cell_columns, Row};
use crate::error::{Error, Result};
use crate::io::{write_bytes_atomic, OutputDir};
use std::fmt::Write as _;
use std::path::Path;

/// Descriptors compared: (CSV column, name, unit).
pub const COMPARED: [(&str, &str, &str); 5] = [
    ("volume_um3", "Volume", "µm³"),
    ("surface_um2", "Surface area", "µm²"),
    ("sphericity", "Sphericity", "1 = sphere"),
    ("inverse_sphericity", "Inverse sphericity (paper)", ">= 1"),
    ("components", "Connected components", "count"),
];

/// The compared descriptors of a set of cells, one value per cell and frame.
#[derive(Debug, Clone, Default)]
pub struct DescriptorSet {
    /// Values per compared descriptor, in [`COMPARED`] order.
    pub columns: Vec<Vec<f64>>,
    /// Per column, the cell each value belongs to (its frames share the key), so that the
    /// comparison can treat a cell's frames as one correlated group.
    pub cells: Vec<Vec<String>>,
}

impl DescriptorSet {
    pub fn from_rows(rows: &[Row]) -> Self {
        let get = |r: &Row, c: &str| match c {
            "volume_um3" => r.shape.volume_um3,
            "surface_um2" => r.shape.surface_um2,
            "sphericity" => r.shape.sphericity,
            "inverse_sphericity" => r.shape.inverse_sphericity,
            _ => r.shape.components as f64,
        };
        let keys: Vec<String> = rows
            .iter()
            .map(|r| format!("{}\t{}", r.source, r.label))
            .collect();
        DescriptorSet {
            columns: COMPARED
                .iter()
                .map(|(c, _, _)| rows.iter().map(|r| get(r, c)).collect())
                .collect(),
            cells: vec![keys; COMPARED.len()],
        }
    }

    /// Reads the compared columns of a table written by `write_table`.
    pub fn from_table(path: &Path) -> Result<Self> {
        let names: Vec<&str> = COMPARED.iter().map(|(c, _, _)| *c).collect();
        let read = read_cell_columns(path, &names)?;
        Ok(DescriptorSet {
            columns: read
                .iter()
                .map(|c| c.iter().map(|r| r.1).collect())
                .collect(),
            cells: read
                .into_iter()
                .map(|c| c.into_iter().map(|r| r.0).collect())
                .collect(),
        })
    }

    /// Column `k`'s values grouped by cell, cells in order of first appearance.
    fn grouped(&self, k: usize) -> Vec<Vec<f64>> {
        let mut index = std::collections::HashMap::new();
        let mut groups: Vec<Vec<f64>> = Vec::new();
        for (v, key) in self.columns[k].iter().zip(&self.cells[k]) {
            let g = *index.entry(key).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
            groups[g].push(*v);
        }
        groups
    }
}

/// Summary of one descriptor in the report.
#[derive(Debug, Clone)]
pub struct ComparedDescriptor {
    pub column: &'static str,
    pub original: (f64, f64, usize),
    pub generated: (f64, f64, usize),
    pub ks: KsTest,
    /// KS p-value with whole cells permuted between the sets ([`ks_groups_permuted`]):
    /// valid when a cell contributes several correlated frames.
    pub p_cells: f64,
}

/// Mean and sample standard deviation.
pub fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = if v.len() > 1 {
        v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (m, var.sqrt())
}

/// The files [`write_report`] writes.
pub fn report_files() -> Vec<String> {
    let mut names: Vec<String> = COMPARED
        .iter()
        .flat_map(|(c, _, _)| [format!("box_{c}.svg"), format!("qq_{c}.svg")])
        .collect();
    names.extend(["summary.csv", "report.md", "index.html"].map(String::from));
    names
}

/// Writes the report into `out` ([`report_files`], claimed first): `summary.csv`,
/// `box_*.svg`, `qq_*.svg`, `report.md` and `index.html`. `preamble` is Markdown placed
/// before the table (the evaluation adds its reconstruction figures there). Errors when a
/// set is empty.
pub fn write_report(
    out_dir: &mut OutputDir,
    title: &str,
    preamble: &str,
    original: &DescriptorSet,
    generated: &DescriptorSet,
) -> Result<Vec<ComparedDescriptor>> {
    for (name, set) in [("original", original), ("generated", generated)] {
        if set.columns.first().is_none_or(|c| c.is_empty()) {
            return Err(Error::invalid(
                name,
                "no cells to compare (no non-empty masks found)",
            ));
        }
    }
    out_dir.claim(&report_files())?;
    let dir = out_dir.dir().to_path_buf();
    let mut out = Vec::new();
    for (k, (column, name, unit)) in COMPARED.iter().enumerate() {
        let (a, b) = (&original.columns[k], &generated.columns[k]);
        let ks = ks_2samp(a, b)?;
        let p_cells = ks_groups_permuted(
            &original.grouped(k),
            &generated.grouped(k),
            GROUP_PERMUTATIONS,
            1,
        )?;
        let (ma, sa) = mean_sd(a);
        let (mb, sb) = mean_sd(b);
        out.push(ComparedDescriptor {
            column,
            original: (ma, sa, a.len()),
            generated: (mb, sb, b.len()),
            ks,
            p_cells,
        });
        let groups: [(&str, &[f64]); 2] = [("original", a), ("generated", b)];
        let svg = box_plot(name, unit, &groups);
        write_bytes_atomic(&dir.join(format!("box_{column}.svg")), svg.as_bytes())?;
        let svg = qq_plot(&format!("{name}: QQ plot"), unit, a, b);
        write_bytes_atomic(&dir.join(format!("qq_{column}.svg")), svg.as_bytes())?;
    }
    let mut csv = String::from(
        "descriptor,original_mean,original_sd,original_n,generated_mean,generated_sd,generated_n,ks_statistic,ks_p_value,ks_exact,ks_p_value_cells\n",
    );
    let mut md = format!(
        "# {title}\n\n{preamble}\n## Descriptors (mean ± sd per cell and frame)\n\n\
        | descriptor | original | generated | KS D | KS p | KS p, cells permuted |\n\
        |---|---|---|---|---|---|\n"
    );
    for (c, (_, name, unit)) in out.iter().zip(COMPARED) {
        let _ = writeln!(
            csv,
            "{},{},{},{},{},{},{},{},{},{},{}",
            c.column,
            c.original.0,
            c.original.1,
            c.original.2,
            c.generated.0,
            c.generated.1,
            c.generated.2,
            c.ks.statistic,
            c.ks.p_value,
            c.ks.exact,
            c.p_cells
        );
        let _ = writeln!(
            md,
            "| {name} ({unit}) | {:.3} ± {:.3} (n = {}) | {:.3} ± {:.3} (n = {}) | {:.3} | {:.3e}{} | {:.4} |",
            c.original.0, c.original.1, c.original.2, c.generated.0, c.generated.1,
            c.generated.2, c.ks.statistic, c.ks.p_value,
            if c.ks.exact { "" } else { " (asymptotic)" }, c.p_cells
        );
    }
    let _ = write!(
        md,
        "\nKS: two-sided two-sample Kolmogorov-Smirnov test per descriptor (exact p-values up \
         to 10,000 values per sample). Small p: the distributions differ. It counts every \
         frame as an independent value, but the frames of one cell are correlated, so with \
         several frames per cell it reports too small a p. \"KS p, cells permuted\" is valid \
         there: the same D, its null distribution from reassigning whole cells (a source \
         and label: a sequence's frames) between the two sets, {GROUP_PERMUTATIONS} times (seed 1). \
         Sphericity is pi^(1/3) (6V)^(2/3) / A (1 for a sphere); the paper reports its \
         inverse.\n\n## Plots\n\n",
    );
    for (column, name, _) in COMPARED {
        let _ = writeln!(
            md,
            "**{name}**\n\n![box](box_{column}.svg) ![qq](qq_{column}.svg)\n"
        );
    }
    write_bytes_atomic(&dir.join("summary.csv"), csv.as_bytes())?;
    write_bytes_atomic(&dir.join("report.md"), md.as_bytes())?;
    write_bytes_atomic(
        &dir.join("index.html"),
        markdown_page(title, &md).as_bytes(),
    )?;
    Ok(out)
}

/// A minimal HTML rendering of the report's Markdown (headings, tables, images, paragraphs).
fn markdown_page(title: &str, md: &str) -> String {
    let esc = escape;
    let mut html = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{}</title>\n<style>body{{font-family:sans-serif;max-width:900px;margin:2em auto}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px}}img{{margin:4px}}</style></head><body>\n",
        esc(title)
    );
    let mut in_table = false;
    for line in md.lines() {
        let t = line.trim();
        if t.starts_with('|') {
            if t.starts_with("|---") {
                continue;
            }
            if !in_table {
                html.push_str("<table>\n");
                in_table = true;
            }
            let cells: Vec<String> = t
                .trim_matches('|')
                .split('|')
                .map(|c| format!("<td>{}</td>", esc(c.trim())))
                .collect();
            let _ = writeln!(html, "<tr>{}</tr>", cells.join(""));
            continue;
        }
        if in_table {
            html.push_str("</table>\n");
            in_table = false;
        }
        if let Some(h) = t.strip_prefix("## ") {
            let _ = writeln!(html, "<h2>{}</h2>", esc(h));
        } else if let Some(h) = t.strip_prefix("# ") {
            let _ = writeln!(html, "<h1>{}</h1>", esc(h));
        } else if t.starts_with("![") {
            for part in t.split(") ") {
                if let (Some(a), Some(b)) = (part.find('('), part.rfind(')').or(Some(part.len()))) {
                    let src = &part[a + 1..b];
                    let _ = write!(
                        html,
                        "<img src=\"{}\" width=\"360\">",
                        esc(src.trim_end_matches(')'))
                    );
                }
            }
            html.push('\n');
        } else if let Some(b) = t.strip_prefix("**").and_then(|s| s.strip_suffix("**")) {
            let _ = writeln!(html, "<h3>{}</h3>", esc(b));
        } else if !t.is_empty() {
            let _ = writeln!(html, "<p>{}</p>", esc(t));
        }
    }
    if in_table {
        html.push_str("</table>\n");
    }
    html.push_str("</body></html>\n");
    html
}
