//! Bounds applied while reading an archive, so a crafted file cannot make the
//! reader allocate or decompress without limit.

/// Resource bounds for [`crate::Archive::from_bytes_with_limits`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest uncompressed size of one archive member (schema.json, a .npy).
    pub max_member_bytes: u64,
    /// Largest sum of uncompressed sizes over all members read.
    pub max_total_bytes: u64,
    /// Largest element count of one array (guards zero-width dtypes too).
    pub max_array_elements: u64,
    /// Largest number of members in the zip directory.
    pub max_members: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_member_bytes: 2 << 30,
            max_total_bytes: 4 << 30,
            max_array_elements: 1 << 31,
            max_members: 1 << 20,
        }
    }
}
