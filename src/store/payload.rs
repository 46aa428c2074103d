//! How an item's payload is kept in `work_payloads`: the JSON as it came, or LZ4-compressed.
//!
//! Storing a delivery writes its payload twice (to the WAL, then to the database file at
//! checkpoint), so on SQLite the payload was most of the disk traffic of the ack path: 70 KiB of
//! writes per 30 KiB `pull_request` delivery, where the disk gives out at ~400 MiB/s. Webhook JSON
//! repeats itself (URLs, the repository object three times), so LZ4 shrinks a 30 KiB payload
//! ~7× and a 2 KiB one ~1.6×, for ~8 µs and ~2 µs of CPU in the request's own task, not in the
//! single writer (benches/README.md, round 3). PostgreSQL stores the same bytes.
//!
//! The stored bytes say what they are: compressed payloads start with [`MARKER`], which begins
//! with a NUL byte that no JSON text can start with (ingress only stores bodies that parse as
//! JSON, and jobs' payloads are serialised JSON). Rows stored before compression, or that did
//! not get smaller, are JSON as is and read back unchanged.

/// Starts every compressed payload; the LZ4 block follows, with its decompressed size (u32 LE)
/// first.
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

/// The bytes to store for `json`: compressed when that is smaller, else `json` itself.
pub fn encode(json: &[u8]) -> Vec<u8> {
    let mut out = vec![0; MARKER.len() + 4 + lz4_flex::block::get_maximum_output_size(json.len())];
    out[..MARKER.len()].copy_from_slice(MARKER);
    // A body over 4 GiB never gets here (the ingress body cap), but it must not wrap.
    let Ok(size) = u32::try_from(json.len()) else {
        return json.to_vec();
    };
    out[MARKER.len()..MARKER.len() + 4].copy_from_slice(&size.to_le_bytes());
    match lz4_flex::block::compress_into(json, &mut out[MARKER.len() + 4..]) {
        Ok(n) if MARKER.len() + 4 + n < json.len() => {
            out.truncate(MARKER.len() + 4 + n);
            out.shrink_to_fit();
            out
        }
        _ => json.to_vec(),
    }
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

    fn pull_request_like(repeats: usize) -> Vec<u8> {
        let repo = r#"{"id":1296269,"full_name":"octocat/Hello-World","html_url":"https://github.com/octocat/Hello-World","url":"https://api.github.com/repos/octocat/Hello-World"}"#;
        let mut json = String::from(r#"{"action":"opened","repos":["#);
        for n in 0..repeats {
            if n > 0 {
                json.push(',');
            }
            json.push_str(repo);
        }
        json.push_str("]}");
        json.into_bytes()
    }

    #[test]
    fn repetitive_json_is_stored_smaller_and_read_back_exactly() {
        let json = pull_request_like(50);
        let stored = encode(&json);
        assert!(stored.starts_with(MARKER));
        assert!(
            stored.len() * 5 < json.len(),
            "{} of {}",
            stored.len(),
            json.len()
        );
        assert_eq!(decode(stored).unwrap(), json);
    }

    #[test]
    fn json_that_does_not_shrink_and_rows_from_before_are_kept_as_they_are() {
        for json in [&b"{}"[..], b"{\"a\":1}", b"  [1,2,3]", b""] {
            let stored = encode(json);
            assert_eq!(stored, json);
            assert_eq!(decode(stored).unwrap(), json);
        }
    }

    #[test]
    fn damaged_rows_are_errors_not_panics_or_huge_allocations() {
        let mut stored = encode(&pull_request_like(50));
        // The recorded size, made enormous.
        stored[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(decode(stored), Err(PayloadError::TooLarge(_))));

        let mut stored = encode(&pull_request_like(50));
        let len = stored.len();
        stored.truncate(len - 10);
        assert!(matches!(decode(stored), Err(PayloadError::Damaged(_))));

        assert!(matches!(
            decode(b"\0lz4\x01".to_vec()),
            Err(PayloadError::Damaged(_))
        ));
    }
}
