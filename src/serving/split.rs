//! `--split`: weighted A/B routing of `/invocations` between served models,
//! sticky per client when the request carries the split header.

use axum::http::HeaderName;

/// Weighted routing of `/invocations` between served models (`--split`).
pub struct Split {
    /// (index into the served models, cumulative weight).
    pub cumulative: Vec<(usize, u64)>,
    /// A request carrying this header always goes to the same model.
    pub sticky_header: HeaderName,
}

impl Split {
    pub fn new(weights: &[(usize, u32)], sticky_header: HeaderName) -> Split {
        let mut total = 0;
        let cumulative = weights
            .iter()
            .map(|&(i, w)| {
                total += u64::from(w);
                (i, total)
            })
            .collect();
        Split {
            cumulative,
            sticky_header,
        }
    }

    pub(crate) fn pick(&self, key: Option<&[u8]>) -> usize {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let total = self.cumulative.last().map_or(1, |(_, c)| *c).max(1);
        let draw = match key {
            Some(k) => fnv1a(k),
            None => splitmix(COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)),
        } % total;
        self.cumulative
            .iter()
            .find(|(_, c)| draw < *c)
            .map_or(0, |(i, _)| *i)
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A well-mixed sequence from a counter: an even spread without a RNG dependency.
fn splitmix(n: u64) -> u64 {
    let mut z = n
        .wrapping_add(0x9e37_79b9_7f4a_7c15)
        .wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
