//! Legacy Excel (`.xls`, BIFF5 and BIFF8) sized before calamine opens it.
//!
//! calamine reads every sheet of an `.xls` when it opens the file, each
//! into a dense grid spanning its filled cells (and reserves, first, room
//! for the rows times the columns its DIMENSIONS record claims). Two cells
//! at opposite corners of a sheet make a grid of 16 million cells; ten such
//! sheets, gigabytes, from a file of a few kilobytes. So the workbook
//! stream is walked here first, record by record, without holding any
//! cell: each sheet's span (and claimed dimensions) is counted, and the
//! sum over the sheets goes against the sheet cell limit before calamine
//! is asked to read anything.
//!
//! The container is OLE's compound file (MS-CFB): a FAT of sector chains,
//! a directory naming the `Workbook` (BIFF8) or `Book` (BIFF5) stream, and
//! a mini stream for streams under 4,096 bytes.

use super::*;

/// Whether `bytes` start as a compound file (every `.xls` does).
pub(crate) fn is_xls(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1])
}

fn malformed(what: &str) -> FileError {
    FileError::Workbook(format!("the .xls workbook is malformed ({what})"))
}

const END_OF_CHAIN: u32 = 0xFFFF_FFFE;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The cells calamine would lay out for the workbook: each sheet's span of
/// filled cells, or the rows times columns it claims if more, summed.
pub(crate) fn cells_to_expand(bytes: &[u8]) -> Result<usize, FileError> {
    let stream = workbook_stream(bytes)?;
    let mut total = 0usize;
    let mut depth = 0usize;
    let mut sheet = Span::default();
    let mut at = 0usize;
    while let (Some(kind), Some(len)) = (u16_at(&stream, at), u16_at(&stream, at + 2)) {
        let data = stream
            .get(at + 4..at + 4 + len as usize)
            .ok_or_else(|| malformed("a record runs past its stream"))?;
        at += 4 + len as usize;
        match kind {
            // BOF: a substream begins (the globals, a sheet, a chart in a sheet).
            0x0809 | 0x0409 | 0x0209 | 0x0009 => {
                depth += 1;
                if depth == 1 {
                    sheet = Span::default();
                }
            }
            // EOF: a substream ends.
            0x000A => {
                if depth == 1 {
                    total = total.saturating_add(sheet.cells());
                }
                depth = depth.saturating_sub(1);
            }
            _ if depth != 1 => {}
            // DIMENSIONS: BIFF8 with 32-bit rows, earlier with 16-bit.
            0x0200 => {
                let at = |i| u16_at(data, i).map_or(0, u32::from);
                let (first_row, end_row, first_col, end_col) = if data.len() >= 14 {
                    (
                        u32_at(data, 0).unwrap_or(0),
                        u32_at(data, 4).unwrap_or(0),
                        at(8),
                        at(10),
                    )
                } else {
                    (at(0), at(2), at(4), at(6))
                };
                let rows = end_row.saturating_sub(first_row) as usize;
                let cols = end_col.saturating_sub(first_col) as usize;
                sheet.claimed = sheet.claimed.max(rows.saturating_mul(cols));
            }
            // One cell: Number, Label, BoolErr, RK, LabelSst, RString, Formula.
            0x0203 | 0x0204 | 0x0205 | 0x027E | 0x00FD | 0x00D6 | 0x0006 => {
                if let (Some(r), Some(c)) = (u16_at(data, 0), u16_at(data, 2)) {
                    sheet.add(r, c);
                }
            }
            // MulRk: one row, a run of columns.
            0x00BD => {
                if let (Some(r), Some(first), Some(last)) = (
                    u16_at(data, 0),
                    u16_at(data, 2),
                    u16_at(data, data.len().saturating_sub(2)),
                ) {
                    sheet.add(r, first);
                    sheet.add(r, last);
                }
            }
            _ => {}
        }
    }
    Ok(total)
}

/// A sheet's filled span, and the cells its dimensions claim.
#[derive(Default)]
struct Span {
    rows: Option<(u16, u16)>,
    cols: Option<(u16, u16)>,
    claimed: usize,
}

impl Span {
    fn add(&mut self, r: u16, c: u16) {
        self.rows = Some(self.rows.map_or((r, r), |(a, b)| (a.min(r), b.max(r))));
        self.cols = Some(self.cols.map_or((c, c), |(a, b)| (a.min(c), b.max(c))));
    }

    fn cells(&self) -> usize {
        let span = match (self.rows, self.cols) {
            (Some((r0, r1)), Some((c0, c1))) => (r1 - r0 + 1) as usize * (c1 - c0 + 1) as usize,
            _ => 0,
        };
        span.max(self.claimed)
    }
}

/// Sector `n` of a compound file whose sectors are `size` bytes (the
/// header takes the first).
fn sector_of(b: &[u8], size: usize, n: u32) -> Option<&[u8]> {
    let start = (n as usize).checked_add(1)?.checked_mul(size)?;
    b.get(start..start.checked_add(size)?)
}

/// The `Workbook` (or `Book`) stream of a compound file.
fn workbook_stream(b: &[u8]) -> Result<Vec<u8>, FileError> {
    if !is_xls(b) || b.len() < 512 {
        return Err(malformed("not a compound file"));
    }
    let shift = u16_at(b, 0x1E).ok_or_else(|| malformed("no header"))?;
    if shift != 9 && shift != 12 {
        return Err(malformed("an unknown sector size"));
    }
    let size = 1usize << shift;
    let sector = |n: u32| sector_of(b, size, n);
    // The FAT's own sectors: the first 109 in the header, the rest in DIFAT sectors.
    let mut fat_sectors: Vec<u32> = (0..109).filter_map(|i| u32_at(b, 0x4C + 4 * i)).collect();
    let mut difat = u32_at(b, 0x44).unwrap_or(END_OF_CHAIN);
    let mut hops = 0usize;
    while difat < END_OF_CHAIN - 5 {
        let s = sector(difat).ok_or_else(|| malformed("a DIFAT sector past the end"))?;
        let per = size / 4 - 1;
        fat_sectors.extend((0..per).filter_map(|i| u32_at(s, 4 * i)));
        difat = u32_at(s, 4 * per).unwrap_or(END_OF_CHAIN);
        hops += 1;
        if hops > b.len() / size {
            return Err(malformed("a DIFAT chain that loops"));
        }
    }
    let fat: Vec<u32> = fat_sectors
        .iter()
        .filter(|&&s| s < END_OF_CHAIN - 5)
        .filter_map(|&s| sector(s))
        .flat_map(|s| {
            s.chunks_exact(4)
                .map(|c| u32::from_le_bytes(c.try_into().unwrap_or([0xFF; 4])))
        })
        .collect();
    // A chain of sectors, at most as many as the file has.
    let chain = |first: u32| -> Result<Vec<u8>, FileError> {
        let mut out = Vec::new();
        let mut at = first;
        let mut n = 0usize;
        while at < END_OF_CHAIN - 5 {
            out.extend_from_slice(sector(at).ok_or_else(|| malformed("a sector past the end"))?);
            at = *fat
                .get(at as usize)
                .ok_or_else(|| malformed("a sector outside the FAT"))?;
            n += 1;
            if n > b.len() / size + 1 {
                return Err(malformed("a sector chain that loops"));
            }
        }
        Ok(out)
    };
    let directory = chain(u32_at(b, 0x30).ok_or_else(|| malformed("no directory"))?)?;
    let entries: Vec<&[u8]> = directory.chunks_exact(128).collect();
    let name = |e: &[u8]| -> String {
        let len = (u16_at(e, 0x40).unwrap_or(0) as usize).min(64);
        let units: Vec<u16> = e[..len]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units).trim_end_matches('\0').to_string()
    };
    let root = entries.first().ok_or_else(|| malformed("an empty directory"))?;
    let entry = entries
        .iter()
        .find(|e| e[0x42] == 2 && matches!(name(e).as_str(), "Workbook" | "Book"))
        .ok_or_else(|| malformed("no Workbook stream"))?;
    let start = u32_at(entry, 0x74).unwrap_or(END_OF_CHAIN);
    let len = u32_at(entry, 0x78).unwrap_or(0) as usize;
    let cutoff = u32_at(b, 0x38).unwrap_or(4096) as usize;
    let mut stream = if len >= cutoff {
        chain(start)?
    } else {
        // In the mini stream: 64-byte sectors chained by the mini FAT.
        let mini = chain(u32_at(root, 0x74).unwrap_or(END_OF_CHAIN))?;
        let minifat: Vec<u32> = chain(u32_at(b, 0x3C).unwrap_or(END_OF_CHAIN))?
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let mut out = Vec::new();
        let mut at = start;
        while at < END_OF_CHAIN - 5 && out.len() < len {
            let from = at as usize * 64;
            out.extend_from_slice(
                mini.get(from..from + 64)
                    .ok_or_else(|| malformed("a mini sector past the end"))?,
            );
            at = *minifat
                .get(at as usize)
                .ok_or_else(|| malformed("a mini sector outside the mini FAT"))?;
        }
        out
    };
    stream.truncate(len);
    Ok(stream)
}
