//! OME-Zarr output (OME-NGFF 0.5 on Zarr v3, written with the `zarrs` crate): one time-lapse
//! image with axes t, z, y, x (seconds, micrometres) and scale transforms, a multiscale
//! pyramid (each level halves y and x), and optionally one NGFF `labels` image beside it
//! (`labels/<name>`). Chunks are one frame x `chunk_zyx` voxels, gzip-compressed.
//!
//! A store is written frame by frame into a hidden temporary folder next to its final path
//! and renamed into place by [`OmeZarrWriter::finish`], so a store at the final path is
//! always complete (a reader, or a resumed run, can trust it); a writer dropped before
//! `finish` removes its temporary folder. An existing store is replaced only with
//! `overwrite` and only when cellsdf wrote it (its attributes say so). Only cellsdf's own
//! files in it are replaced: the root attributes list the nodes (groups and arrays) cellsdf
//! wrote, and every other file a user put inside the store (notes, a `labels/manual` array
//! made in napari) is carried into the new store at the same place, or the replacement is
//! refused when the new store would write that very file.
//!
//! Arrays are [z, y, x] per frame; levels are "0", "1", ... under the store's root.

use crate::error::{Error, Result};
use crate::units::Calibration;
use ndarray::{s, Array3, ArrayView3};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use zarrs::array::{Array, ArrayBuilder};
use zarrs::filesystem::FilesystemStore;
use zarrs::group::GroupBuilder;

/// Layout of a store.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct OmeZarrLayout {
    /// Chunk size (z, y, x) in voxels (clamped to the image).
    pub chunk_zyx: [u64; 3],
    /// Pyramid levels after the full resolution: each halves y and x, and levels stop when
    /// y or x would fall below 32 voxels.
    pub max_levels: usize,
}

impl OmeZarrLayout {
    /// The default layout with chunks of `chunk_zyx` voxels (z, y, x), each 1 to 4096.
    pub fn with_chunk(chunk_zyx: [u64; 3]) -> Result<OmeZarrLayout> {
        if chunk_zyx.iter().any(|c| !(1..=4096).contains(c)) {
            return Err(Error::invalid(
                "zarr-chunk",
                format!("{chunk_zyx:?}: each chunk size must be 1 to 4096 voxels"),
            ));
        }
        Ok(OmeZarrLayout {
            chunk_zyx,
            ..OmeZarrLayout::default()
        })
    }
}

impl Default for OmeZarrLayout {
    fn default() -> Self {
        OmeZarrLayout {
            chunk_zyx: [64, 64, 64],
            max_levels: 3,
        }
    }
}

/// What a store holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoreSpec<'a> {
    pub frames: usize,
    /// Voxels (z, y, x) per frame.
    pub dims: [usize; 3],
    pub calibration: Calibration,
    /// Name of the labels image (uint16) beside the image, if any.
    pub labels: Option<&'a str>,
    /// The image is a mask (its pyramid keeps voxels instead of averaging them).
    pub mask: bool,
    pub layout: OmeZarrLayout,
}

/// An element type cellsdf writes: uint8 (masks) or uint16 (raw images, labels).
pub trait ZarrElement: zarrs::array::Element + Copy + Default + Into<u32> + Send + Sync {
    fn data_type() -> zarrs::array::DataType;
    fn from_u32(v: u32) -> Self;
}

impl ZarrElement for u8 {
    fn data_type() -> zarrs::array::DataType {
        zarrs::array::data_type::uint8()
    }
    fn from_u32(v: u32) -> Self {
        v as u8
    }
}

impl ZarrElement for u16 {
    fn data_type() -> zarrs::array::DataType {
        zarrs::array::data_type::uint16()
    }
    fn from_u32(v: u32) -> Self {
        v as u16
    }
}

/// How a level is made from the one above: intensities average 2 x 2 blocks, labels keep
/// one voxel of each block (no label that is not in the image appears).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Reduce {
    Mean,
    Pick,
}

/// One multiscale image of the store (the image, or a labels image).
struct Pyramid {
    levels: Vec<Array<FilesystemStore>>,
    reduce: Reduce,
}

/// Writes one OME-Zarr store frame by frame; see the module documentation.
pub struct OmeZarrWriter {
    path: PathBuf,
    tmp: PathBuf,
    dims: [usize; 3],
    frames: usize,
    image: Pyramid,
    labels: Option<Pyramid>,
    written: Vec<bool>,
    overwrite: bool,
    finished: bool,
    /// The nodes (groups and arrays, "" for the root) this writer creates.
    nodes: Vec<String>,
}

fn zerr(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::format(path, format!("OME-Zarr: {e}"))
}

/// Shapes (z, y, x) of the levels of an image of `dims`.
fn level_dims(dims: [usize; 3], max_levels: usize) -> Vec<[usize; 3]> {
    let mut out = vec![dims];
    while out.len() <= max_levels {
        let d = *out.last().expect("a level");
        let next = [d[0], d[1].div_ceil(2), d[2].div_ceil(2)];
        if next[1] < 32 || next[2] < 32 {
            break;
        }
        out.push(next);
    }
    out
}

/// The NGFF multiscales metadata of an image named `name` with `levels` levels.
fn multiscales(name: &str, levels: usize, calibration: Calibration) -> serde_json::Value {
    let v = calibration
        .voxel_um
        .unwrap_or(crate::VoxelSize::isotropic(1.0));
    let dt = calibration.frame_interval_s.unwrap_or(1.0);
    let mut time = serde_json::json!({"name": "t", "type": "time"});
    if calibration.frame_interval_s.is_some() {
        time["unit"] = "second".into();
    }
    let space = |n: &str| {
        let mut a = serde_json::json!({"name": n, "type": "space"});
        if calibration.voxel_um.is_some() {
            a["unit"] = "micrometer".into();
        }
        a
    };
    let datasets: Vec<_> = (0..levels)
        .map(|l| {
            let f = (1u64 << l) as f64;
            serde_json::json!({
                "path": l.to_string(),
                "coordinateTransformations": [
                    {"type": "scale", "scale": [dt, v.z, v.y * f, v.x * f]}
                ]
            })
        })
        .collect();
    serde_json::json!([{
        "name": name,
        "axes": [time, space("z"), space("y"), space("x")],
        "datasets": datasets,
    }])
}

fn attributes(ome: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    let mut m = serde_json::Map::new();
    m.insert("ome".into(), ome);
    m.insert(
        "cellsdf".into(),
        serde_json::json!({"writer": "cellsdf", "version": env!("CARGO_PKG_VERSION")}),
    );
    m
}

/// The nodes of a store with `levels` levels and the labels image `labels`: the root, its
/// levels, and the labels groups with their levels.
fn store_nodes(levels: usize, labels: Option<&str>) -> Vec<String> {
    let mut nodes = vec![String::new()];
    nodes.extend((0..levels).map(|l| l.to_string()));
    if let Some(l) = labels {
        nodes.push("labels".into());
        nodes.push(format!("labels/{l}"));
        nodes.extend((0..levels).map(|k| format!("labels/{l}/{k}")));
    }
    nodes
}

/// The nodes cellsdf wrote in the existing store at `path`: as its root attributes list
/// them, or for a store of an earlier version (no list) the nodes the new store writes plus
/// any all-digit level beside one of them (an earlier, larger pyramid).
fn existing_nodes(path: &Path, new_nodes: &[String]) -> std::collections::BTreeSet<String> {
    let listed = std::fs::read(path.join("zarr.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| {
            v["attributes"]["cellsdf"]["nodes"].as_array().map(|a| {
                a.iter()
                    .filter_map(|n| n.as_str().map(String::from))
                    .collect::<std::collections::BTreeSet<_>>()
            })
        });
    if let Some(nodes) = listed {
        return nodes;
    }
    let mut nodes: std::collections::BTreeSet<String> = new_nodes.iter().cloned().collect();
    for parent in new_nodes {
        let dir = path.join(parent);
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if is_digits(&name) && entry.path().join("zarr.json").is_file() {
                nodes.insert(join_node(parent, &name));
            }
        }
    }
    nodes
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn join_node(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}/{name}")
    }
}

/// Whether the store file `rel` ('/'-separated, relative to the root) is one cellsdf wrote:
/// the metadata of one of `nodes`, or a chunk (`NODE/c/<digits>/...`) of one of them.
fn is_cellsdf_file(rel: &str, nodes: &std::collections::BTreeSet<String>) -> bool {
    if rel == "zarr.json" {
        return nodes.contains("");
    }
    if let Some(node) = rel.strip_suffix("/zarr.json") {
        return nodes.contains(node);
    }
    let (node, key) = match rel.split_once("/c/") {
        Some(p) => p,
        None => return false,
    };
    // Chunk keys hold digits only; the node part may itself contain "/c/" only if a node
    // is named "c", which cellsdf never writes.
    nodes.contains(node) && key.split('/').all(is_digits)
}

/// Every file (not folder) under `root`, as '/'-separated paths relative to it. Links are
/// listed as files and not followed.
fn files_under(root: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))? {
            let entry = entry.map_err(|e| Error::io(&dir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let r = join_node(&rel, &name);
            let kind = entry.file_type().map_err(|e| Error::io(entry.path(), e))?;
            if kind.is_dir() {
                stack.push((entry.path(), r));
            } else {
                out.push(r);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Carries every file of the existing store `old` that cellsdf did not write into the new
/// store `new` at the same place (hard-linked, or copied where links are not possible).
/// Refuses, with nothing changed in `old`, when the new store writes the same file.
fn carry_foreign_files(old: &Path, new: &Path, new_nodes: &[String]) -> Result<usize> {
    let nodes = existing_nodes(old, new_nodes);
    let mut carried = 0;
    for rel in files_under(old)? {
        if is_cellsdf_file(&rel, &nodes) {
            continue;
        }
        let (from, to) = (old.join(&rel), new.join(&rel));
        if std::fs::symlink_metadata(&to).is_ok() {
            return Err(Error::invalid(
                "out",
                format!(
                    "{} holds {rel}, which cellsdf did not write and the new store would \
                     replace: move it out of the store, then run again",
                    old.display()
                ),
            ));
        }
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        if std::fs::hard_link(&from, &to).is_err() {
            std::fs::copy(&from, &to).map_err(|e| Error::io(&from, e))?;
        }
        carried += 1;
    }
    Ok(carried)
}

fn group(
    store: &Arc<FilesystemStore>,
    at: &str,
    attrs: serde_json::Map<String, serde_json::Value>,
    tmp: &Path,
) -> Result<()> {
    let g = GroupBuilder::new()
        .attributes(attrs)
        .build(store.clone(), at)
        .map_err(|e| zerr(tmp, e))?;
    g.store_metadata().map_err(|e| zerr(tmp, e))
}

fn pyramid<T: ZarrElement>(
    store: &Arc<FilesystemStore>,
    at: &str,
    frames: usize,
    dims: &[[usize; 3]],
    layout: OmeZarrLayout,
    reduce: Reduce,
    tmp: &Path,
) -> Result<Pyramid> {
    let levels = dims
        .iter()
        .enumerate()
        .map(|(l, d)| {
            let shape = vec![frames as u64, d[0] as u64, d[1] as u64, d[2] as u64];
            let chunk = vec![
                1,
                layout.chunk_zyx[0].clamp(1, d[0] as u64),
                layout.chunk_zyx[1].clamp(1, d[1] as u64),
                layout.chunk_zyx[2].clamp(1, d[2] as u64),
            ];
            let gzip = zarrs::array::codec::GzipCodec::new(5).map_err(|e| zerr(tmp, e))?;
            let a = ArrayBuilder::new(shape, chunk, T::data_type(), 0u8)
                .bytes_to_bytes_codecs(vec![Arc::new(gzip)])
                .dimension_names(Some(["t", "z", "y", "x"]))
                .build(store.clone(), &format!("{at}/{l}"))
                .map_err(|e| zerr(tmp, e))?;
            a.store_metadata().map_err(|e| zerr(tmp, e))?;
            Ok(a)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Pyramid { levels, reduce })
}

/// Whether `path` holds an OME-Zarr store that cellsdf wrote.
pub fn is_cellsdf_store(path: &Path) -> bool {
    std::fs::read(path.join("zarr.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .is_some_and(|v| v["attributes"]["cellsdf"]["writer"] == "cellsdf")
}

impl OmeZarrWriter {
    /// Opens a store at `path` (a folder, conventionally `*.ome.zarr`) for `spec`'s frames
    /// of `T`. Refuses an existing `path` unless `overwrite` and cellsdf wrote it.
    pub fn create<T: ZarrElement>(
        path: &Path,
        spec: &StoreSpec,
        overwrite: bool,
    ) -> Result<OmeZarrWriter> {
        let StoreSpec {
            frames,
            dims,
            calibration,
            labels,
            mask,
            layout,
        } = *spec;
        let ours = is_cellsdf_store(path);
        if path.exists() && !(overwrite && ours) {
            return Err(Error::invalid(
                "out",
                format!(
                    "{} exists{}: choose another name{}",
                    path.display(),
                    if ours {
                        ""
                    } else {
                        " and cellsdf did not write it"
                    },
                    if ours { " or pass --overwrite" } else { "" }
                ),
            ));
        }
        if frames == 0 || dims.contains(&0) {
            return Err(Error::invalid(
                "out",
                "an OME-Zarr image needs at least one voxel",
            ));
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let parent = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        let tmp = parent.join(format!(
            ".{name}.partial-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        std::fs::create_dir(&tmp).map_err(|e| Error::io(&tmp, e))?;
        // The writer exists from here on so that an error below removes `tmp` (Drop).
        let mut w = OmeZarrWriter {
            path: path.to_path_buf(),
            tmp: tmp.clone(),
            dims,
            frames,
            image: Pyramid {
                levels: Vec::new(),
                reduce: Reduce::Mean,
            },
            labels: None,
            written: vec![false; frames],
            overwrite,
            finished: false,
            nodes: Vec::new(),
        };
        let store = Arc::new(FilesystemStore::new(&tmp).map_err(|e| zerr(&tmp, e))?);
        let all = level_dims(dims, layout.max_levels);
        w.nodes = store_nodes(all.len(), labels);
        let stem = name.trim_end_matches(".zarr").trim_end_matches(".ome");
        let image_reduce = if mask { Reduce::Pick } else { Reduce::Mean };
        let mut root = attributes(serde_json::json!({
            "version": "0.5",
            "multiscales": multiscales(stem, all.len(), calibration),
        }));
        root["cellsdf"]["nodes"] = serde_json::json!(w.nodes);
        group(&store, "/", root, &tmp)?;
        w.image = pyramid::<T>(&store, "", frames, &all, layout, image_reduce, &tmp)?;
        if let Some(l) = labels {
            group(
                &store,
                "/labels",
                attributes(serde_json::json!({"version": "0.5", "labels": [l]})),
                &tmp,
            )?;
            let meta = serde_json::json!({
                "version": "0.5",
                "image-label": {"source": {"image": "../../"}},
                "multiscales": multiscales(l, all.len(), calibration),
            });
            group(&store, &format!("/labels/{l}"), attributes(meta), &tmp)?;
            w.labels = Some(pyramid::<u16>(
                &store,
                &format!("/labels/{l}"),
                frames,
                &all,
                layout,
                Reduce::Pick,
                &tmp,
            )?);
        }
        Ok(w)
    }

    /// Writes frame `t` ([z, y, x] of the store's dims): the image and, when the store has
    /// one, the labels image.
    pub fn frame<T: ZarrElement>(
        &mut self,
        t: usize,
        image: ArrayView3<T>,
        labels: Option<ArrayView3<u16>>,
    ) -> Result<()> {
        let dims = self.dims;
        let ok = |d: (usize, usize, usize)| [d.0, d.1, d.2] == dims;
        if t >= self.frames || !ok(image.dim()) || labels.is_some_and(|l| !ok(l.dim())) {
            return Err(Error::invalid(
                "frame",
                format!(
                    "frame {t} does not fit the store's {} x {:?}",
                    self.frames, dims
                ),
            ));
        }
        if labels.is_some() != self.labels.is_some() {
            return Err(Error::invalid(
                "labels",
                "the store's labels image and the frame disagree",
            ));
        }
        write_levels(&self.image, t, image, &self.tmp)?;
        if let (Some(p), Some(l)) = (&self.labels, labels) {
            write_levels(p, t, l, &self.tmp)?;
        }
        self.written[t] = true;
        Ok(())
    }

    /// Moves the complete store into place and returns its path; an error when a frame
    /// was not written.
    pub fn finish(mut self) -> Result<PathBuf> {
        if let Some(t) = self.written.iter().position(|&w| !w) {
            return Err(Error::invalid(
                "frames",
                format!("frame {t} of {} was not written", self.path.display()),
            ));
        }
        if self.path.exists() {
            // Checked at create: overwrite, and cellsdf wrote it. What a user added inside
            // the old store goes into the new one; then swap, and remove the old.
            if !(self.overwrite && is_cellsdf_store(&self.path)) {
                return Err(Error::invalid(
                    "out",
                    format!("{} appeared while writing", self.path.display()),
                ));
            }
            carry_foreign_files(&self.path, &self.tmp, &self.nodes)?;
            let old = self.tmp.with_extension("old");
            std::fs::rename(&self.path, &old).map_err(|e| Error::io(&self.path, e))?;
            std::fs::rename(&self.tmp, &self.path).map_err(|e| Error::io(&self.path, e))?;
            let _ = std::fs::remove_dir_all(&old);
        } else {
            std::fs::rename(&self.tmp, &self.path).map_err(|e| Error::io(&self.path, e))?;
        }
        self.finished = true;
        Ok(self.path.clone())
    }
}

impl Drop for OmeZarrWriter {
    fn drop(&mut self) {
        if !self.finished {
            let _ = std::fs::remove_dir_all(&self.tmp);
        }
    }
}

/// Writes frame `t` of `data` at every level of `p`, reducing y and x by 2 per level.
fn write_levels<T: ZarrElement>(
    p: &Pyramid,
    t: usize,
    data: ArrayView3<T>,
    tmp: &Path,
) -> Result<()> {
    // Level 0 is stored from the caller's frame (no copy when it is in standard layout);
    // each further level is made from the one before.
    let mut halved: Option<Array3<T>> = None;
    for (l, a) in p.levels.iter().enumerate() {
        if l > 0 {
            let above = halved.as_ref().map_or(data, |h| h.view());
            halved = Some(halve(above, p.reduce));
        }
        let level = halved.as_ref().map_or(data, |h| h.view());
        let (z, y, x) = level.dim();
        let subset = zarrs::array::ArraySubset::new_with_ranges(&[
            t as u64..t as u64 + 1,
            0..z as u64,
            0..y as u64,
            0..x as u64,
        ]);
        let standard = level.as_standard_layout();
        let flat = standard
            .as_slice()
            .expect("a standard-layout array is contiguous");
        a.store_array_subset(&subset, flat)
            .map_err(|e| zerr(tmp, e))?;
    }
    Ok(())
}

/// `v` with y and x halved (rounding up): the mean of each 2 x 2 block, or its first voxel.
fn halve<T: ZarrElement>(v: ArrayView3<T>, reduce: Reduce) -> Array3<T> {
    let (nz, ny, nx) = v.dim();
    Array3::from_shape_fn(
        (nz, ny.div_ceil(2), nx.div_ceil(2)),
        |(z, y, x)| match reduce {
            Reduce::Pick => v[[z, 2 * y, 2 * x]],
            Reduce::Mean => {
                let block = v.slice(s![
                    z,
                    2 * y..(2 * y + 2).min(ny),
                    2 * x..(2 * x + 2).min(nx)
                ]);
                let (sum, n) = block
                    .iter()
                    .fold((0u32, 0u32), |(s, n), &e| (s + e.into(), n + 1));
                T::from_u32((sum + n / 2) / n)
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_store(path: &Path, value: u16) -> Result<PathBuf> {
        let spec = StoreSpec {
            frames: 2,
            dims: [3, 40, 40],
            calibration: Calibration::default(),
            labels: Some("cells"),
            mask: false,
            layout: OmeZarrLayout::default(),
        };
        let mut w = OmeZarrWriter::create::<u16>(path, &spec, true)?;
        let img = Array3::<u16>::from_elem((3, 40, 40), value);
        for t in 0..2 {
            w.frame(t, img.view(), Some(img.view()))?;
        }
        w.finish()
    }

    #[test]
    fn files_a_user_added_inside_a_store_survive_its_replacement() {
        let tmp = tempfile::tempdir().unwrap();
        let store = tmp.path().join("a.ome.zarr");
        write_store(&store, 1).unwrap();
        let own = files_under(&store).unwrap();
        assert!(own.iter().any(|f| f.starts_with("0/c/")), "{own:?}");
        // A napari-made labels array, notes beside the image and inside a level folder.
        let added = [
            "NOTES.md",
            "labels/manual/zarr.json",
            "labels/manual/notes.txt",
            "0/README",
        ];
        for f in added {
            let p = store.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, f.as_bytes()).unwrap();
        }
        write_store(&store, 7).unwrap();
        for f in added {
            assert_eq!(std::fs::read(store.join(f)).unwrap(), f.as_bytes(), "{f}");
        }
        // cellsdf's files are the new ones, and no leftover sits beside the store.
        let after = files_under(&store).unwrap();
        assert_eq!(after.len(), own.len() + added.len());
        let siblings: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert_eq!(siblings.len(), 1);
    }

    #[test]
    fn a_user_file_the_new_store_would_write_stops_the_replacement() {
        let tmp = tempfile::tempdir().unwrap();
        let store = tmp.path().join("a.ome.zarr");
        write_store(&store, 1).unwrap();
        // A store of an earlier version that lists no nodes, with a user's file where a
        // chunk-like name is not under any node of it ("labels/other" is not cellsdf's).
        let root = store.join("zarr.json");
        let mut meta: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&root).unwrap()).unwrap();
        meta["attributes"]["cellsdf"]["nodes"] = serde_json::json!(["", "0"]);
        std::fs::write(&root, serde_json::to_vec(&meta).unwrap()).unwrap();
        let before = files_under(&store).unwrap();
        let e = write_store(&store, 9).unwrap_err().to_string();
        assert!(
            e.contains("cellsdf did not write") && e.contains("labels/"),
            "{e}"
        );
        assert_eq!(
            files_under(&store).unwrap(),
            before,
            "the old store was changed"
        );
        let siblings: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert_eq!(siblings.len(), 1, "a temporary store was left");
    }

    #[test]
    fn chunk_and_metadata_files_are_told_from_others() {
        let nodes: std::collections::BTreeSet<String> =
            store_nodes(2, Some("cells")).into_iter().collect();
        for ours in [
            "zarr.json",
            "1/zarr.json",
            "0/c/0/1/2/3",
            "labels/cells/1/c/4/0/0/0",
        ] {
            assert!(is_cellsdf_file(ours, &nodes), "{ours}");
        }
        for theirs in [
            "NOTES.md",
            "0/c/notes.txt",
            "2/zarr.json",
            "labels/x/zarr.json",
        ] {
            assert!(!is_cellsdf_file(theirs, &nodes), "{theirs}");
        }
    }

    #[test]
    fn levels_halve_y_and_x_until_32() {
        assert_eq!(
            level_dims([20, 256, 200], 5),
            vec![[20, 256, 200], [20, 128, 100], [20, 64, 50]]
        );
        assert_eq!(level_dims([20, 40, 40], 3), vec![[20, 40, 40]]);
    }

    #[test]
    fn halving_averages_intensities_and_picks_labels() {
        let v = Array3::from_shape_vec((1, 2, 3), vec![1u16, 3, 7, 5, 7, 9]).unwrap();
        assert_eq!(
            halve(v.view(), Reduce::Mean).into_raw_vec_and_offset().0,
            vec![4, 8]
        );
        assert_eq!(
            halve(v.view(), Reduce::Pick).into_raw_vec_and_offset().0,
            vec![1, 7]
        );
    }
}
