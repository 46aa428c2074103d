//! Reading payloads that an earlier relman stored LZ4-compressed.
//!
//! relman stores a payload as the JSON it received. Before the store had one driver it
//! compressed some of them: such a row starts with [`MARKER`] (a NUL byte first, which no JSON
//! text starts with), then the decompressed size (u32 LE), then an LZ4 block. A database
//! upgraded with deliveries still pending holds such rows until they run, so the claim reads
//! both. Nothing writes the compressed form any more.

const MARKER: &[u8; 4] = b"\0lz4";

/// Larger than any payload relman stores (GitHub caps webhooks at 25 MiB); a stored size above
/// it is a damaged row, not an allocation to attempt.
const MAX_DECODED: usize = 64 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    #[error("compressed payload says it is {0} bytes, more than any webhook")]
    TooLarge(usize),
    #[error("compressed payload is damaged: {0}")]
    Damaged(String),
}

/// The JSON that `stored` holds.
pub fn decode(stored: Vec<u8>) -> Result<Vec<u8>, PayloadError> {
    let Some(compressed) = stored.strip_prefix(MARKER) else {
        return Ok(stored);
    };
    let (size, block) = lz4_flex::block::uncompressed_size(compressed)
        .map_err(|e| PayloadError::Damaged(e.to_string()))?;
    if size > MAX_DECODED {
        return Err(PayloadError::TooLarge(size));
    }
    let mut json = vec![0; size];
    let n = lz4_flex::block::decompress_into(block, &mut json)
        .map_err(|e| PayloadError::Damaged(e.to_string()))?;
    if n != size {
        return Err(PayloadError::Damaged(format!(
            "{n} bytes where {size} were recorded"
        )));
    }
    Ok(json)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row as the earlier relman stored it.
    fn compressed(json: &[u8]) -> Vec<u8> {
        let mut stored = MARKER.to_vec();
        stored.extend_from_slice(&lz4_flex::block::compress_prepend_size(json));
        stored
    }

    #[test]
    fn rows_compressed_by_an_earlier_relman_and_plain_rows_read_back_exactly() {
        let json =
            br#"{"repository":{"full_name":"octocat/Hello-World"},"sender":{"login":"octocat"}}"#;
        assert_eq!(decode(compressed(json)).unwrap(), json);
        for json in [&b"{}"[..], b"{\"a\":1}", b""] {
            assert_eq!(decode(json.to_vec()).unwrap(), json);
        }
    }

    #[test]
    fn damaged_rows_are_errors_not_panics_or_huge_allocations() {
        let mut stored = compressed(&[b'x'; 500]);
        stored[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(decode(stored), Err(PayloadError::TooLarge(_))));

        let mut stored = compressed(&[b'x'; 500]);
        let len = stored.len();
        stored.truncate(len - 3);
        assert!(matches!(decode(stored), Err(PayloadError::Damaged(_))));

        assert!(matches!(
            decode(b"\0lz4\x01".to_vec()),
            Err(PayloadError::Damaged(_))
        ));
    }
}
