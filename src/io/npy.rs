//! NumPy `.npy` files (format 1.0, little-endian float32, C order): written as a stream of
//! rows, read back through a memory map so that large datasets never need to fit in RAM.
//! numpy opens them with `np.load(path, mmap_mode="r")`.

use crate::error::{Error, Result};
use memmap2::Mmap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

const MAGIC: &[u8] = b"\x93NUMPY\x01\x00";

/// Header bytes (magic, length, dict) padded to a multiple of 64, at least `min_len` long.
fn header_padded(shape: &[usize], min_len: usize) -> Vec<u8> {
    let mut h = header(shape);
    if h.len() < min_len {
        let extra = min_len - h.len();
        let newline = h.pop().expect("header ends with a newline");
        h.extend(std::iter::repeat_n(b' ', extra));
        h.push(newline);
        let dict_len = (h.len() - 10) as u16;
        h[8..10].copy_from_slice(&dict_len.to_le_bytes());
    }
    h
}

/// Room reserved for the header of a file whose first dimension grows while writing.
const GROWING_HEADER: usize = 256;

fn header(shape: &[usize]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let tuple = if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let mut dict = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {tuple}, }}");
    // Pad with spaces so that the data starts on a 64-byte boundary; end with a newline.
    let total = MAGIC.len() + 2 + dict.len() + 1;
    dict.push_str(&" ".repeat((64 - total % 64) % 64));
    dict.push('\n');
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out
}

/// Writes a float32 array of a shape fixed up front, one chunk at a time, in C order.
pub struct NpyWriter {
    path: PathBuf,
    out: BufWriter<File>,
    expected: u64,
    written: u64,
    /// For a growing file: the shape after the first dimension.
    growing: Option<Vec<usize>>,
}

impl NpyWriter {
    pub fn create(path: &Path, shape: &[usize]) -> Result<NpyWriter> {
        let file = File::create(path).map_err(|e| Error::io(path, e))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        out.write_all(&header(shape))
            .map_err(|e| Error::io(path, e))?;
        Ok(NpyWriter {
            path: path.to_path_buf(),
            out,
            expected: shape.iter().map(|&d| d as u64).product(),
            written: 0,
            growing: None,
        })
    }

    /// A file of shape (n, inner...) where n is whatever whole number of (inner...) blocks
    /// was written when [`NpyWriter::finish`] rewrites the header.
    pub fn create_growing(path: &Path, inner: &[usize]) -> Result<NpyWriter> {
        let file = File::create(path).map_err(|e| Error::io(path, e))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let mut shape = vec![0];
        shape.extend_from_slice(inner);
        out.write_all(&header_padded(&shape, GROWING_HEADER))
            .map_err(|e| Error::io(path, e))?;
        Ok(NpyWriter {
            path: path.to_path_buf(),
            out,
            expected: u64::MAX,
            written: 0,
            growing: Some(inner.to_vec()),
        })
    }

    /// Appends `values` (the next elements in C order).
    pub fn write(&mut self, values: &[f32]) -> Result<()> {
        self.written += values.len() as u64;
        if self.written > self.expected {
            return Err(Error::invalid(
                "npy",
                format!("{}: more values than its shape holds", self.path.display()),
            ));
        }
        for v in values {
            self.out
                .write_all(&v.to_le_bytes())
                .map_err(|e| Error::io(&self.path, e))?;
        }
        Ok(())
    }

    /// Checks that every element was written and flushes to disk.
    pub fn finish(mut self) -> Result<()> {
        if let Some(inner) = self.growing.take() {
            let block: u64 = inner.iter().map(|&d| d as u64).product();
            if block == 0 || !self.written.is_multiple_of(block) {
                return Err(Error::invalid(
                    "npy",
                    format!(
                        "{}: {} values are not whole blocks of {inner:?}",
                        self.path.display(),
                        self.written
                    ),
                ));
            }
            let mut shape = vec![(self.written / block) as usize];
            shape.extend_from_slice(&inner);
            let h = header_padded(&shape, GROWING_HEADER);
            if h.len() != GROWING_HEADER {
                return Err(Error::invalid(
                    "npy",
                    "shape too long for the reserved header",
                ));
            }
            use std::io::{Seek, SeekFrom};
            self.out.flush().map_err(|e| Error::io(&self.path, e))?;
            let f = self.out.get_mut();
            f.seek(SeekFrom::Start(0))
                .map_err(|e| Error::io(&self.path, e))?;
            f.write_all(&h).map_err(|e| Error::io(&self.path, e))?;
            self.expected = self.written;
        }
        if self.written != self.expected {
            return Err(Error::invalid(
                "npy",
                format!(
                    "{}: wrote {} of {} values",
                    self.path.display(),
                    self.written,
                    self.expected
                ),
            ));
        }
        self.out.flush().map_err(|e| Error::io(&self.path, e))?;
        let file = self
            .out
            .into_inner()
            .map_err(|e| Error::io(&self.path, e.into_error()))?;
        file.sync_all().map_err(|e| Error::io(&self.path, e))?;
        Ok(())
    }
}

/// A memory-mapped float32 `.npy` file.
pub struct NpyArray {
    map: Mmap,
    offset: usize,
    shape: Vec<usize>,
}

impl NpyArray {
    /// Maps `path`; checks magic, dtype ('<f4'), C order and that the file holds the data.
    pub fn open(path: &Path) -> Result<NpyArray> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        // SAFETY: the map is read-only; a concurrent truncation by another process would be a
        // misuse of the dataset directory, as for any memory-mapped file.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
        let bad = |m: &str| Error::format(path, format!("not a float32 .npy file: {m}"));
        if map.len() < 10 || &map[..8] != MAGIC {
            return Err(bad("missing NUMPY 1.0 magic"));
        }
        let hlen = u16::from_le_bytes([map[8], map[9]]) as usize;
        let text = std::str::from_utf8(
            map.get(10..10 + hlen)
                .ok_or_else(|| bad("truncated header"))?,
        )
        .map_err(|_| bad("header is not text"))?;
        if !text.contains("'descr': '<f4'") || !text.contains("'fortran_order': False") {
            return Err(bad("expected descr '<f4' in C order"));
        }
        let tuple = text
            .split("'shape': (")
            .nth(1)
            .and_then(|s| s.split(')').next())
            .ok_or_else(|| bad("no shape"))?;
        let shape = tuple
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<usize>().map_err(|_| bad("bad shape")))
            .collect::<Result<Vec<_>>>()?;
        let offset = 10 + hlen;
        if !offset.is_multiple_of(4) {
            return Err(bad(
                "the data does not start on a 4-byte boundary (numpy pads headers to 64 bytes)",
            ));
        }
        let need = shape
            .iter()
            .try_fold(4usize, |acc, &d| acc.checked_mul(d))
            .ok_or_else(|| bad("shape too large"))?;
        if map.len() - offset < need {
            return Err(Error::format(
                path,
                format!(
                    "truncated: shape {shape:?} needs {need} bytes of data, found {}",
                    map.len() - offset
                ),
            ));
        }
        Ok(NpyArray { map, offset, shape })
    }

    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// All elements, in C order.
    pub fn data(&self) -> &[f32] {
        let n = self.shape.iter().product::<usize>();
        bytemuck::cast_slice(&self.map[self.offset..self.offset + 4 * n])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_alignment() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.npy");
        let mut w = NpyWriter::create(&p, &[2, 3]).unwrap();
        w.write(&[1.0, 2.0]).unwrap();
        w.write(&[3.0, 4.0, 5.0, 6.5]).unwrap();
        w.finish().unwrap();
        let a = NpyArray::open(&p).unwrap();
        assert_eq!(a.shape(), &[2, 3]);
        assert_eq!(a.data(), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.5]);
        assert_eq!(a.offset % 64, 0);
        let mut g = NpyWriter::create_growing(&p, &[2]).unwrap();
        g.write(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        g.finish().unwrap();
        let a = NpyArray::open(&p).unwrap();
        assert_eq!(a.shape(), &[3, 2]);
        assert_eq!(a.data()[5], 6.0);
        let mut short = NpyWriter::create(&p, &[4]).unwrap();
        short.write(&[1.0]).unwrap();
        assert!(short.finish().is_err());
    }
}
