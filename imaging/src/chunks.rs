//! Bounds-checked walks over the container structure of JPEG (marker segments) and PNG
//! (chunks). They allocate nothing and never read past the input, whatever lengths it claims.

/// The marker segments of a JPEG from SOI up to and including the first SOS (whose payload is
/// the scan header), as `(marker, payload)`. Stops at EOI, at a second SOI, or where a length
/// runs past the input. Fill bytes and the parameterless markers (TEM, RSTn) are skipped.
pub(crate) fn jpeg_segments(jpeg: &[u8]) -> JpegSegments<'_> {
    JpegSegments { jpeg, pos: 2 }
}

pub(crate) struct JpegSegments<'a> {
    jpeg: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for JpegSegments<'a> {
    type Item = (u8, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (&0xFF, &marker) = (self.jpeg.get(self.pos)?, self.jpeg.get(self.pos + 1)?) else {
                return None;
            };
            self.pos += 2;
            match marker {
                0xFF => {
                    self.pos -= 1; // fill byte
                    continue;
                }
                0x01 | 0xD0..=0xD7 => continue,
                0xD8 | 0xD9 => return None,
                _ => {}
            }
            let len = self.jpeg.get(self.pos..self.pos + 2)?;
            let len = usize::from(u16::from_be_bytes([len[0], len[1]])).max(2);
            let segment = self.jpeg.get(self.pos + 2..self.pos + len)?;
            // After the first scan header, entropy-coded data follows: the walk ends there.
            self.pos = if marker == 0xDA {
                self.jpeg.len()
            } else {
                self.pos + len
            };
            return Some((marker, segment));
        }
    }
}

/// One PNG chunk: its type, the length its header declares, and as much of its data as the
/// input holds (shorter than `len` only in a truncated file).
pub(crate) struct PngChunk<'a> {
    pub kind: [u8; 4],
    pub len: u32,
    pub data: &'a [u8],
}

/// The chunks of a PNG after its signature, up to and including IEND.
pub(crate) fn png_chunks(png: &[u8]) -> PngChunks<'_> {
    PngChunks { png, pos: 8 }
}

pub(crate) struct PngChunks<'a> {
    png: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for PngChunks<'a> {
    type Item = PngChunk<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        let head = self.png.get(self.pos..self.pos.saturating_add(8))?;
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        let kind = [head[4], head[5], head[6], head[7]];
        let start = self.pos + 8;
        let end = start.saturating_add(len as usize).min(self.png.len());
        let data = &self.png[start..end];
        self.pos = if &kind == b"IEND" {
            self.png.len()
        } else {
            start.saturating_add(len as usize).saturating_add(4)
        };
        Some(PngChunk { kind, len, data })
    }
}
