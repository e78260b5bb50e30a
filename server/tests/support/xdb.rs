//! A writer of ip2region xdb files (format 2), for the tests: a 256-byte header, a 256×256 vector index of
//! 8-byte entries, 14-byte segments `first last length pointer`, then the region strings.

const HEADER: usize = 256;
const VECTOR_ROWS: usize = 256;
const VECTOR_COLS: usize = 256;
const VECTOR_ENTRY: usize = 8;
const SEGMENT: usize = 14;

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

/// Builds a format-2 xdb file from `(first, last, region)` segments, each inside one /16 block
pub fn build_xdb(segments: &[(u32, u32, &str)]) -> Vec<u8> {
    let mut data = vec![0u8; HEADER + VECTOR_ROWS * VECTOR_COLS * VECTOR_ENTRY];
    data[0..2].copy_from_slice(&2u16.to_le_bytes());
    let mut regions = Vec::new();
    let mut segment_at = data.len() + segments.iter().map(|(_, _, r)| r.len()).sum::<usize>();
    let mut index = Vec::new();
    for (first, last, region) in segments {
        let pointer = data.len() + regions.len();
        regions.extend_from_slice(region.as_bytes());
        let entry = HEADER
            + (((first >> 24) as usize) * VECTOR_COLS + ((first >> 16) & 0xff) as usize)
                * VECTOR_ENTRY;
        if u32_at(&data, entry) == Some(0) {
            data[entry..entry + 4].copy_from_slice(&(segment_at as u32).to_le_bytes());
        }
        data[entry + 4..entry + 8].copy_from_slice(&(segment_at as u32).to_le_bytes());
        index.extend_from_slice(&first.to_le_bytes());
        index.extend_from_slice(&last.to_le_bytes());
        index.extend_from_slice(&(region.len() as u16).to_le_bytes());
        index.extend_from_slice(&(pointer as u32).to_le_bytes());
        segment_at += SEGMENT;
    }
    data.extend_from_slice(&regions);
    data.extend_from_slice(&index);
    data
}
