//! Reading members of a zip archive (stored or deflated) under [`Limits`].

use std::io::{Cursor, Read};

use zip::result::ZipError;
use zip::{CompressionMethod, ZipArchive};

use crate::error::{Result, SkopsError};
use crate::Limits;

/// Never reserve more than this up front: a member's declared size is
/// attacker-controlled, the real size is only known after inflating.
const MAX_PREALLOC: u64 = 16 << 20;

pub(crate) struct Members<'a> {
    zip: ZipArchive<Cursor<&'a [u8]>>,
    limits: &'a Limits,
}

impl<'a> Members<'a> {
    pub(crate) fn open(bytes: &'a [u8], limits: &'a Limits) -> Result<Members<'a>> {
        let zip =
            ZipArchive::new(Cursor::new(bytes)).map_err(|e| SkopsError::Zip(e.to_string()))?;
        if zip.len() > limits.max_members {
            return Err(SkopsError::Limit(format!(
                "{} archive members (limit {})",
                zip.len(),
                limits.max_members
            )));
        }
        Ok(Members { zip, limits })
    }

    pub(crate) fn names(&self) -> Result<Vec<String>> {
        self.zip
            .file_names()
            .map(|n| {
                n.map(|n| n.into_owned())
                    .map_err(|e| SkopsError::Zip(e.to_string()))
            })
            .collect()
    }

    /// Inflates member `name`, adding its size to `*total` (shared by all
    /// archives read for one skops file, nested .npz included).
    pub(crate) fn read(&mut self, name: &str, total: &mut u64) -> Result<Vec<u8>> {
        let limits = self.limits;
        let file = self.zip.by_name(name).map_err(|e| match e {
            ZipError::FileNotFound => SkopsError::MissingMember(name.to_owned()),
            ZipError::UnsupportedArchive(m) => {
                SkopsError::Unsupported(format!("zip member {name:?}: {m}"))
            }
            other => SkopsError::Zip(format!("member {name:?}: {other}")),
        })?;
        match file.compression() {
            CompressionMethod::Stored | CompressionMethod::Deflated => {}
            other => {
                return Err(SkopsError::Unsupported(format!(
                    "zip member {name:?} uses compression {other}"
                )))
            }
        }
        let declared = file.size();
        if declared > limits.max_member_bytes {
            return Err(SkopsError::Limit(format!(
                "member {name:?} declares {declared} bytes (limit {})",
                limits.max_member_bytes
            )));
        }
        let remaining = limits.max_total_bytes.saturating_sub(*total);
        let cap = limits.max_member_bytes.min(remaining);
        let mut buf = Vec::with_capacity(usize::try_from(declared.min(MAX_PREALLOC)).unwrap_or(0));
        // One byte more than allowed tells "at the limit" from "over it"; the
        // zip crate checks the CRC when the member is read to its end.
        file.take(cap.saturating_add(1))
            .read_to_end(&mut buf)
            .map_err(|e| SkopsError::Zip(format!("member {name:?}: {e}")))?;
        let n = buf.len() as u64;
        if n > cap {
            return Err(SkopsError::Limit(format!(
                "member {name:?} inflates beyond the size limit"
            )));
        }
        if n != declared {
            return Err(SkopsError::Zip(format!(
                "member {name:?} has {n} bytes, its header declares {declared}"
            )));
        }
        *total += n;
        Ok(buf)
    }
}

impl<'a> Members<'a> {
    pub(crate) fn limits(&self) -> &'a Limits {
        self.limits
    }
}
