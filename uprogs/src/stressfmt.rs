//! What fsstress writes and fscheck verifies (both include this file).
//!
//! Every file version and every appended record starts with a header that
//! names where it belongs and how long it is, followed by bytes that are a
//! function of (home, version, offset). So a reader needs no knowledge of
//! the run to tell a complete version from a torn or mixed one.

/// A whole file version.
pub const FILE_MAGIC: [u8; 4] = *b"FSS1";
/// One record of an append-only file.
pub const RECORD_MAGIC: [u8; 4] = *b"FSA1";
/// Bytes of the home name in a header ("p3/d1/f2" at most).
pub const HOME: usize = 12;
/// magic, home, version, length.
pub const HEADER: usize = 4 + HOME + 4 + 4;
/// Largest record: one record must fit one write transaction of the
/// kernel (MAXWRITE in file.rs), so that an append is all or nothing.
pub const MAX_RECORD: usize = 3 * 1024;

pub struct Header {
    pub magic: [u8; 4],
    pub home: [u8; HOME],
    pub version: u32,
    pub len: u32,
}

impl Header {
    pub fn parse(b: &[u8]) -> Option<Header> {
        if b.len() < HEADER {
            return None;
        }
        let word = |o: usize| u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
        let mut home = [0u8; HOME];
        home.copy_from_slice(&b[4..4 + HOME]);
        Some(Header {
            magic: [b[0], b[1], b[2], b[3]],
            home,
            version: word(4 + HOME),
            len: word(8 + HOME),
        })
    }

    /// The home name without its NUL padding.
    pub fn home(&self) -> &[u8] {
        let n = self.home.iter().position(|&c| c == 0).unwrap_or(HOME);
        &self.home[..n]
    }
}

/// FNV-1a over the home name and version: the seed of the body bytes.
pub fn key(home: &[u8], version: u32) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &c in home.iter().chain(&version.to_le_bytes()) {
        h = (h ^ u64::from(c)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Body byte at offset `i` (from the start of the version or record).
pub fn byte_at(key: u64, i: usize) -> u8 {
    let mut z = key ^ ((i / 8) as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z >> ((i % 8) * 8)) as u8
}

/// Writes a version (or record) of `len` bytes into `out`.
pub fn make(out: &mut alloc::vec::Vec<u8>, magic: [u8; 4], home: &[u8], version: u32, len: usize) {
    out.clear();
    out.extend_from_slice(&magic);
    let mut h = [0u8; HOME];
    h[..home.len()].copy_from_slice(home);
    out.extend_from_slice(&h);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&(len as u32).to_le_bytes());
    let k = key(home, version);
    out.extend((HEADER..len).map(|i| byte_at(k, i)));
}

/// The first offset in `body` (which starts at offset `HEADER`) whose byte
/// is wrong, if any.
pub fn first_bad(key: u64, body: &[u8]) -> Option<usize> {
    body.iter()
        .enumerate()
        .position(|(j, &c)| c != byte_at(key, HEADER + j))
        .map(|j| HEADER + j)
}
